from django.apps import AppConfig


class IdentityConfig(AppConfig):
    """Getting in: sign-in, invitations, password reset, single sign-on, the second factor,
    sessions and the account lifecycle, on django-allauth."""

    name = "muster.identity"
    verbose_name = "Sign-in and accounts"

    def ready(self) -> None:
        # Here, not at the top: these modules import models, loaded after every AppConfig.
        from muster.accounts.signals import team_role_added

        from . import (
            panels,  # noqa: F401  (the contract page's "Signing in" panel)
            receivers,
        )
        from .invitations import team_member_added

        team_role_added.connect(team_member_added, dispatch_uid="identity.team_member_added")
        receivers.connect()  # account events on the audit record (receivers.py)
