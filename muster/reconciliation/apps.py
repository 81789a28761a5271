from django.apps import AppConfig


class ReconciliationConfig(AppConfig):
    """Reconciliation: every disagreement between what was approved and what is granted,
    found by queries over the live data; the daily sweep emails the team what is new."""

    name = "muster.reconciliation"
    verbose_name = "Reconciliation"
