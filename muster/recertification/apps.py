from django.apps import AppConfig


class RecertificationConfig(AppConfig):
    """Access recertification campaigns: the team opens one with a due date, each SO
    certifies their users' grants ("still needed" or "remove"); on the due date what is not
    certified pauses (the daily sweep), and a late certification resumes it."""

    name = "muster.recertification"
    verbose_name = "Recertification"

    def ready(self):
        # Here, not at the top: these modules import models, loaded after every AppConfig.
        from muster.closeout import sweep

        from . import (
            panels,  # noqa: F401  (registers the SO's panels)
            services,
        )

        sweep.register_daily_job("recertification_reminders", services.send_reminders)
        sweep.register_daily_job("recertification_pauses", services.pause_uncertified)
