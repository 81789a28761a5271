from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Signed webhooks: the team registers endpoints for event types; each audit event of
    such a type queues a delivery in the change's own transaction (muster.audit.listeners),
    and the worker sends it, signed, with retries."""

    name = "muster.webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from muster.audit import listeners
        from muster.notifications import schedule

        from . import services, tasks

        listeners.register(services.queue_deliveries)
        schedule.register_keeper(tasks.keep_delivery_scheduled)
