from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Metrics of the process over a period (cycle times, on-time share, surveys, decisions,
    grants, DUAs, closeouts): server-rendered SVG charts, each with its table and CSV. Reads
    every app; only the demo imports it."""

    name = "muster.reports"
    verbose_name = "Reports"
