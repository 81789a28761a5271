from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Running Muster as a service: health and readiness, metrics, logs, backups. Beside
    the demo at the top of the layers: it reads every app (pending emails, overdue steps,
    the last sweep) and no app imports it."""

    name = "muster.operations"
    verbose_name = "Operations"
