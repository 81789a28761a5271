from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "muster.onboarding"
    verbose_name = "Onboarding"

    def ready(self):
        # Here, not at the top: a panel module imports models, which the app registry
        # loads only after every AppConfig exists.
        from . import panels  # noqa: F401  (registers this app's panels on contract pages)
