from django.apps import AppConfig


class IdentityConfig(AppConfig):
    """Getting in: sign-in, invitations, password reset, single sign-on, the second factor,
    sessions and the account lifecycle, on django-allauth."""

    name = "muster.identity"
    verbose_name = "Sign-in and accounts"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()  # account events on the audit record (receivers.py)
