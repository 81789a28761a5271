from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "muster.notifications"
    verbose_name = "Notifications"

    def ready(self):
        from . import receivers  # noqa: F401  (connects the audit record's emails)
