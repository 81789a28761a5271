from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "muster.onboarding"
    verbose_name = "Onboarding"
