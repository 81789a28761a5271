from django.apps import AppConfig


class RecertificationConfig(AppConfig):
    """Access recertification campaigns: the team opens one with a due date, each SO
    certifies their users' grants ("still needed" or "remove"); on the due date what is not
    certified pauses (the daily sweep), and a late certification resumes it."""

    name = "muster.recertification"
    verbose_name = "Recertification"
