from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    """Evidence for auditors: one zip per contract (a tagged PDF report, CSV files, the
    contract's audit events with their hashes and the latest checkpoint) and the command
    that verifies a downloaded package offline."""

    name = "muster.evidence"
    verbose_name = "Evidence for auditors"

    def ready(self):
        # Here, not at the top: the panel module imports models.
        from . import panels  # noqa: F401  (registers the contract page's panel)
