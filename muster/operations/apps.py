from django.apps import AppConfig
from django.db.backends.signals import connection_created


class OperationsConfig(AppConfig):
    """Running Muster as a service: health and readiness, metrics, logs, backups. Beside
    the demo at the top of the layers: it reads every app (pending emails, overdue steps,
    the last sweep) and no app imports it."""

    name = "muster.operations"
    verbose_name = "Operations"

    def ready(self):
        from .database import keep_prepared_statements

        connection_created.connect(keep_prepared_statements,
                                   dispatch_uid="muster.operations.prepared_statements")
