from django.apps import AppConfig


class ReconciliationConfig(AppConfig):
    """Reconciliation: every disagreement between what was approved and what is granted,
    found by queries over the live data; the daily sweep emails the team what is new."""

    name = "muster.reconciliation"
    verbose_name = "Reconciliation"

    def ready(self):
        from muster.closeout import sweep

        from . import services

        sweep.register_daily_job("reconciliation_new_findings", services.check)
