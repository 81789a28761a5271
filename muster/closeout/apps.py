from django.apps import AppConfig


class CloseoutConfig(AppConfig):
    name = "muster.closeout"
    verbose_name = "Closeout"

    def ready(self):
        # Here, not at the top: a panel module imports models, which the app registry
        # loads only after every AppConfig exists.
        from muster.notifications import schedule
        from muster.timeline.services import register_due_copy

        from . import (
            models,
            panels,  # noqa: F401  (registers this app's panels on contract pages)
            tasks,
        )

        schedule.register_keeper(tasks.keep_sweep_scheduled)
        register_due_copy(models.refresh_due)  # the stored `due` follows its step
