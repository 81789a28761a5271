"""Reads of the outbox that pages share."""

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from muster.compiled import Compiled

from .models import OutboxEmail, OutboxRecipient

# The outbox lists at most this many rows per status; the admin has the rest.
OUTBOX_LIMIT = 100


def to_them(user) -> Q:
    """A recipient row of the person: addressed to their account, or to their address
    (an email queued before they had an account)."""
    return _to(user.pk, _address(user))


def _to(user_id: int, address: str) -> Q:
    return Q(user_id=user_id) | Q(user__isnull=True, address=address)


def _address(user) -> str:
    return user.email.strip().lower()


def emails_to(user) -> QuerySet[OutboxEmail]:
    """Emails the person received, each marked `unread` while they have not marked it
    as read."""
    theirs = OutboxRecipient.objects.filter(to_them(user), email=OuterRef("pk"))
    return (OutboxEmail.objects.filter(Exists(theirs))
            .annotate(unread=Exists(theirs.filter(read_at__isnull=True)))
            .select_related("contract"))


# The header's count, on every page: built once (muster/compiled.py).
_UNREAD = Compiled(
    lambda user_id, address: OutboxRecipient.objects.filter(
        _to(user_id, address), read_at__isnull=True).values("email_id").distinct(),
    user_id=int, address=str,
)


def unread_count(user) -> int:
    """How many emails the person has not marked as read: one query."""
    return _UNREAD.count(user_id=user.pk, address=_address(user))


def outbox(limit: int = OUTBOX_LIMIT) -> dict:
    """The outbox as the team watches it: how many emails are in each status, the failed
    ones (latest first) and those waiting (next first), at most `limit` of each."""
    Status = OutboxEmail.Status
    counts = dict(
        OutboxEmail.objects.values_list("status").annotate(n=Count("id")).order_by()
    )
    rows = OutboxEmail.objects.select_related("contract")
    return {
        "counts": [(value, label, counts.get(value, 0)) for value, label in Status.choices],
        "failed": rows.filter(status=Status.FAILED).order_by("-next_attempt_at", "-id")[:limit],
        "waiting": rows.filter(status__in=[Status.PENDING, Status.SENDING]).order_by(
            "next_attempt_at", "id")[:limit],
        "failed_count": counts.get(Status.FAILED, 0),
        "waiting_count": counts.get(Status.PENDING, 0) + counts.get(Status.SENDING, 0),
        "limit": limit,
    }
