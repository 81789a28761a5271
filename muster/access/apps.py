from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "muster.access"
    verbose_name = "Contractor access"

    def ready(self):
        # Here, not at the top: a panel module imports models, which the app registry
        # loads only after every AppConfig exists.
        from . import panels  # noqa: F401  (registers this app's panels on contract pages)
