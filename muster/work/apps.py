from django.apps import AppConfig


class WorkConfig(AppConfig):
    """The onboarding team's daily work: assignment of requests, grants and closeouts, "My
    work" (the team's landing page) and the dashboard of counts and aging. Near the top of
    the layers: it reads onboarding's, access's and closeout's items; only the demo imports it."""

    name = "muster.work"
    verbose_name = "Team work"

    def ready(self):
        from . import panels  # noqa: F401  (registers the panels on the lower pages)
