from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "muster.notifications"
    verbose_name = "Notifications"

    def ready(self):
        from . import (
            backends,
            receivers,  # noqa: F401  (connects the audit record's emails)
            schedule,
            tasks,
        )

        backends.forward_backport_signals()
        schedule.register_keeper(tasks.keep_delivery_scheduled)
