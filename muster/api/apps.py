from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The doors for other systems: the REST API (`/api/v1/`, django-ninja, ADR 0008), the
    API tokens people make on their settings page, and the SCIM 2.0 provisioning feed
    (`/scim/v2/`). Every call goes through the same permission module and services as the
    pages; the audit record marks what came through the API (`AuditEvent.channel`)."""

    name = "muster.api"
    verbose_name = "API"

    def ready(self) -> None:
        from muster.audit import listeners

        from .services import account_switched_off

        # Tokens end with the account (identity records it; it imports nothing above).
        listeners.register(account_switched_off)
