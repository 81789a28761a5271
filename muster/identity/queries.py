"""Reads about accounts that pages share: whether a person is invited, active, has never
signed in, or is disabled."""

from django.db import models
from django.db.models import Exists, OuterRef

from muster import clock

from .models import Invitation


class AccountStatus(models.TextChoices):
    INVITED = "invited", "Invited"
    ACTIVE = "active", "Active"
    NEVER_SIGNED_IN = "never_signed_in", "Never signed in"
    DISABLED = "disabled", "Disabled"


def with_account_status(users: models.QuerySet) -> models.QuerySet:
    """Users annotated with `invitation_pending`, which account_status() reads: one query
    for a whole roster, however long."""
    pending = Invitation.objects.pending(clock.now()).filter(user=OuterRef("pk"))
    return users.annotate(invitation_pending=Exists(pending))


def account_status(user) -> AccountStatus:
    """Disabled (not active), active (has signed in), invited (a link is waiting), or never
    signed in (named, with no link waiting: not invited yet, or the link ran out)."""
    if not user.is_active:
        return AccountStatus.DISABLED
    if user.last_login is not None:
        return AccountStatus.ACTIVE
    pending = getattr(user, "invitation_pending", None)
    if pending is None:
        pending = Invitation.objects.pending(clock.now()).filter(user=user).exists()
    return AccountStatus.INVITED if pending else AccountStatus.NEVER_SIGNED_IN
