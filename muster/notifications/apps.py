from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "muster.notifications"
    verbose_name = "Notifications"
