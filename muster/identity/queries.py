"""Reads about accounts that pages share: whether a person is invited, active, has never
signed in, or is disabled."""

import datetime

from django.db import models
from django.db.models import Exists, OuterRef, Subquery

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
    """A user's status (status_of), `invitation_pending` read if the query did not
    annotate it."""
    pending = getattr(user, "invitation_pending", None)
    if pending is None and user.is_active and user.last_login is None:
        pending = Invitation.objects.pending(clock.now()).filter(user=user).exists()
    return status_of(user.is_active, user.last_login, bool(pending))


def status_of(is_active: bool, last_login: datetime.datetime | None,
              invitation_pending: bool) -> AccountStatus:
    """Disabled (not active), active (has signed in), invited (a link is waiting), or never
    signed in (named, with no link waiting: not invited yet, or the link ran out)."""
    if not is_active:
        return AccountStatus.DISABLED
    if last_login is not None:
        return AccountStatus.ACTIVE
    return AccountStatus.INVITED if invitation_pending else AccountStatus.NEVER_SIGNED_IN


def open_invitation_expiry() -> Subquery:
    """For a users query: when the person's latest-expiring invitation neither used nor
    withdrawn expires (None: there is none). It is pending (Invitation.objects.pending)
    while that is still to come: a query that need not carry the time, so it can be built
    once (muster/compiled.py). See is_pending."""
    return Subquery(Invitation.objects.filter(
        user=OuterRef("pk"), used_at__isnull=True, withdrawn_at__isnull=True,
    ).order_by("-expires_at").values("expires_at")[:1])


def is_pending(expiry: datetime.datetime | None, now: datetime.datetime) -> bool:
    """What open_invitation_expiry's value says at `now`: a link is waiting."""
    return expiry is not None and expiry > now
