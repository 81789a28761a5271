"""Reads of the outbox that pages share."""

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from .models import OutboxEmail, OutboxRecipient

# The outbox lists at most this many rows per status; the admin has the rest.
OUTBOX_LIMIT = 100


def emails_to(user) -> QuerySet[OutboxEmail]:
    """Emails the person received: addressed to their account, or to their address."""
    to_them = OutboxRecipient.objects.filter(email=OuterRef("pk")).filter(
        Q(user=user) | Q(address=user.email.strip().lower())
    )
    return OutboxEmail.objects.filter(Exists(to_them)).select_related("contract")


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
