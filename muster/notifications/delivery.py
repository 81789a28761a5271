"""Delivery of the outbox's emails: at least once.

A worker claims a small batch (OUTBOX_BATCH_SIZE rows: `select_for_update(skip_locked=True)`
on PostgreSQL; SQLite serializes writers), renews its claim on each row just before
sending it, and records each row sent in its own commit as soon as the mail server accepts
it. Two live workers never send the same row. A worker that dies leaves its claimed rows
'sending'; once a claim is OUTBOX_CLAIM_SECONDS old any worker takes the row over. The one
row whose message the server had taken but Muster had not yet recorded is then sent again,
with the same Message-ID, so mail systems can tell the repeat. Each send counts as an
attempt, so a row that kills every worker ends 'failed' (visible to the team) instead of
looping. The worker runs this from `tasks.deliver_outbox`; tests and the sweep call
`deliver_due` directly.
"""

import datetime
import logging
from dataclasses import dataclass
from email import policy as email_policy

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import F, Min, Q

from muster import clock

from .models import OutboxEmail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
MAX_BACKOFF = datetime.timedelta(hours=6)
MAILER = "default"  # the MAILERS alias emails go through
REQUEST_ID_HEADER = "X-Request-ID"


def backoff(attempts: int) -> datetime.timedelta:
    """1, 2, 4, ... minutes after each failure, at most 6 hours."""
    if attempts >= 20:  # 2**19 minutes is far past the cap; no need for huge numbers
        return MAX_BACKOFF
    return min(datetime.timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def claim_timeout() -> datetime.timedelta:
    """How old a claim must be before another worker may take the row over. It must be
    longer than one send can take (the SMTP timeout), or a slow send may be repeated."""
    return datetime.timedelta(seconds=settings.OUTBOX_CLAIM_SECONDS)


def _due(now) -> Q:
    return Q(status=OutboxEmail.Status.PENDING, next_attempt_at__lte=now) | Q(
        status=OutboxEmail.Status.SENDING, claimed_at__lt=now - claim_timeout()
    )


CONFIDENTIAL_BODY = "(Held a personal sign-in link; Muster keeps no copy once it is sent.)\n"


def _claim(now, limit: int) -> list[int]:
    """Mark due rows as being sent by this worker; concurrent workers skip them
    (PostgreSQL: locked rows are skipped; SQLite: one writer at a time, and the update
    re-checks that each row is still due). `now` is the claim's token."""
    with transaction.atomic(durable=True):
        rows = OutboxEmail.objects.filter(_due(now)).order_by("next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        ids = list(rows.values_list("id", flat=True)[:limit])
        if not ids:
            return []
        OutboxEmail.objects.filter(id__in=ids).filter(_due(now)).update(
            status=OutboxEmail.Status.SENDING, claimed_at=now
        )
        return list(
            OutboxEmail.objects.filter(
                id__in=ids, status=OutboxEmail.Status.SENDING, claimed_at=now
            ).order_by("next_attempt_at", "id").values_list("id", flat=True)
        )


def _start_attempt(email: OutboxEmail, claimed_at) -> datetime.datetime | None:
    """Renew this worker's claim just before sending, counting the attempt. None when the
    claim was lost (it timed out and another worker took the row): then this worker must
    not send it."""
    renewed = clock.now()
    taken = OutboxEmail.objects.filter(
        pk=email.pk, status=OutboxEmail.Status.SENDING, claimed_at=claimed_at
    ).update(claimed_at=renewed, attempts=F("attempts") + 1)
    if not taken:
        return None
    email.attempts += 1
    return renewed


class _NoEmptyFirstLine(email_policy.EmailPolicy):
    """Python folds an address list that would fit on a line of its own onto the next
    line, leaving "Cc:" empty on the first (mail programs show an empty Cc). Keep the
    value's first part on the header's own line: a little over 78 characters, far below
    the 998 the standard allows."""

    def fold(self, name, value):
        folded = super().fold(name, value)
        first, separator, rest = folded.partition(self.linesep)
        if separator and first.rstrip() == f"{name}:" and rest.startswith(" "):
            return first.rstrip() + rest
        return folded

    def fold_binary(self, name, value):
        folded = super().fold_binary(name, value)
        first, separator, rest = folded.partition(self.linesep.encode())
        if separator and first.rstrip() == f"{name}:".encode() and rest.startswith(b" "):
            return first.rstrip() + rest
        return folded


class _MusterEmail(EmailMessage):
    def message(self, *, policy=email_policy.default):
        return super().message(policy=_NoEmptyFirstLine().clone(**policy.__dict__))


def _message(email: OutboxEmail) -> EmailMessage:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "muster.invalid"
    # A stable Message-ID: if a crash makes Muster send a row again, mail systems can
    # recognize the repeat.
    headers = {"X-Muster-Key": email.key, "Message-ID": f"<muster-{email.pk}@{domain}>"}
    if email.request_id:
        # The request (or command or task run) that queued it: the same id as its audit
        # events and log lines.
        headers[REQUEST_ID_HEADER] = email.request_id
    message = _MusterEmail(
        subject=email.subject, body=email.body, from_email=settings.DEFAULT_FROM_EMAIL,
        to=email.to, cc=email.cc, headers=headers,
    )
    for item in email.attachments:
        with default_storage.open(item["path"], "rb") as f:
            message.attach(item["name"], f.read(), item.get("mimetype", "application/pdf"))
    return message


def _record_failure(email: OutboxEmail, claimed_at, now, error: str, report) -> None:
    gave_up = email.attempts >= MAX_ATTEMPTS
    OutboxEmail.objects.filter(pk=email.pk, claimed_at=claimed_at).update(
        status=OutboxEmail.Status.FAILED if gave_up else OutboxEmail.Status.PENDING,
        last_error=error[:2000], next_attempt_at=now + backoff(email.attempts),
        claimed_at=None,
    )
    report.failed += gave_up
    report.retrying += not gave_up


def deliver_due(limit: int = 1000, on_claim=None) -> DeliveryReport:
    """Send what is due now, a small batch at a time, up to `limit` emails; failures wait
    with backoff, and give up after MAX_ATTEMPTS. `on_claim(claimed_at)` is called after
    each batch is claimed (the worker schedules its own takeover there)."""
    report = DeliveryReport()
    handled = 0
    while handled < limit:
        now = clock.now()
        ids = _claim(now, min(settings.OUTBOX_BATCH_SIZE, limit - handled))
        if not ids:
            break
        if on_claim is not None:
            on_claim(now)
        handled += len(ids)
        emails = OutboxEmail.objects.in_bulk(ids)
        for email_id in ids:
            _deliver_one(emails[email_id], now, report)
    return report


def _deliver_one(email: OutboxEmail, claimed_at, report: DeliveryReport) -> None:
    if email.attempts >= MAX_ATTEMPTS:
        # Claimed again after workers stopped while sending it MAX_ATTEMPTS times.
        _record_failure(email, claimed_at, clock.now(), "A worker stopped while sending this "
                        f"email {MAX_ATTEMPTS} times; not tried again.", report)
        return
    claimed_at = _start_attempt(email, claimed_at)
    if claimed_at is None:
        return
    try:
        _message(email).send(using=MAILER)
    except Exception as error:  # any failure: the row waits, nothing is lost
        _record_failure(email, claimed_at, clock.now(), f"{type(error).__name__}: {error}",
                        report)
        log.warning("Email %s not sent (attempt %s): %s", email.pk, email.attempts,
                    type(error).__name__)
        return
    # Its own commit, at once: a worker killed after this point never repeats this email.
    sent = {"status": OutboxEmail.Status.SENT, "sent_at": clock.now(), "last_error": "",
            "claimed_at": None}
    if email.confidential:  # its sign-in link is the person's alone: keep no copy
        sent["body"] = CONFIDENTIAL_BODY
    with transaction.atomic(durable=True):
        OutboxEmail.objects.filter(pk=email.pk).update(**sent)
    report.sent += 1


def next_retry_at() -> datetime.datetime | None:
    """When the worker should look again: the first waiting row, or the first row left
    'sending' by a worker that stopped (due once its claim times out)."""
    waiting = OutboxEmail.objects.filter(status=OutboxEmail.Status.PENDING).aggregate(
        at=Min("next_attempt_at"))["at"]
    stuck = OutboxEmail.objects.filter(status=OutboxEmail.Status.SENDING).aggregate(
        at=Min("claimed_at"))["at"]
    candidates = [at for at in (waiting, stuck and stuck + claim_timeout()) if at]
    return min(candidates) if candidates else None
