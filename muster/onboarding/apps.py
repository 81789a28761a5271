from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "muster.onboarding"
    verbose_name = "Onboarding"

    def ready(self):
        # Here, not at the top: a panel module imports models, which the app registry
        # loads only after every AppConfig exists.
        from muster.notifications import schedule
        from muster.timeline.services import register_due_copy

        from . import (
            models,
            package,
            panels,  # noqa: F401  (registers this app's panels on contract pages)
        )

        # Packages waiting for their PDF (a retry, or a run whose kick was lost).
        schedule.register_keeper(package.keep_preparation_scheduled)
        register_due_copy(models.refresh_due)  # the stored `due` follows its step
