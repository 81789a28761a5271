"""Queue emails in the outbox (inside the caller's transaction) and deliver them.

Delivery is at least once. A worker claims a small batch (OUTBOX_BATCH_SIZE rows:
`select_for_update(skip_locked=True)` on PostgreSQL; SQLite serializes writers), renews
its claim on each row just before sending it, and records each row sent in its own commit
as soon as the mail server accepts it. Two live workers never send the same row. A worker
that dies leaves its claimed rows 'sending'; once a claim is OUTBOX_CLAIM_SECONDS old any
worker takes the row over. The one row whose message the server had taken but Muster had
not yet recorded is then sent again, with the same Message-ID, so mail systems can tell
the repeat. Each send counts as an attempt, so a row that kills every worker ends
'failed' (visible to the team) instead of looping.
"""

import datetime
import logging
from dataclasses import dataclass
from email import policy as email_policy

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Min, Q
from django.template import Context
from django.template.loader import get_template

from muster import clock
from muster.accounts.models import User
from muster.catalog.models import HelpContact

from .models import OutboxEmail, OutboxRecipient

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
MAX_BACKOFF = datetime.timedelta(hours=6)
KEY_LENGTH = OutboxEmail._meta.get_field("key").max_length
MAILER = "default"  # the MAILERS alias emails go through
SUBJECT_LENGTH = OutboxEmail._meta.get_field("subject").max_length


def backoff(attempts: int) -> datetime.timedelta:
    """1, 2, 4, ... minutes after each failure, at most 6 hours."""
    if attempts >= 20:  # 2**19 minutes is far past the cap; no need for huge numbers
        return MAX_BACKOFF
    return min(datetime.timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _address(recipient) -> str:
    if recipient is None:
        return ""
    value = recipient.email if isinstance(recipient, User) else str(recipient)
    return (value or "").strip().lower()


def _addresses(recipients) -> list[str]:
    """Lowercase, stripped, without blanks or repeats, in the order given. One address or
    one User may be given instead of a list."""
    if recipients is None:
        return []
    if isinstance(recipients, (str, User)):
        recipients = [recipients]
    return list(dict.fromkeys(a for a in (_address(r) for r in recipients) if a))


def render(template_name: str, context: dict) -> str:
    """Render a plain-text email template. No HTML escaping: "O'Brien & Sons" must read
    as typed, not "O&#x27;Brien &amp; Sons"."""
    template = get_template(template_name).template
    return template.render(Context(context, autoescape=False))


def queue(
    template: str,
    *,
    to,
    key: str,
    context: dict | None = None,
    cc=(),
    contract=None,
    attachments=(),
) -> OutboxEmail | None:
    """Render `emails/<template>_subject.txt` and `emails/<template>.txt` now and store the
    email; the worker sends it after the transaction commits. A key already queued is not
    queued again (so retries of the same action never email twice). Returns None when
    there is nobody to send to."""
    to_addresses = _addresses(to)
    cc_addresses = [a for a in _addresses(cc) if a not in to_addresses]
    if not to_addresses:
        return None
    key = key[:KEY_LENGTH]
    existing = OutboxEmail.objects.filter(key=key).first()
    if existing:
        return existing
    context = {"site_url": settings.MUSTER_BASE_URL.rstrip("/"), "contract": contract,
               "help_contacts": list(HelpContact.objects.all()), **(context or {})}
    subject = " ".join(render(f"emails/{template}_subject.txt", context).split())
    body = render(f"emails/{template}.txt", context).strip() + "\n"
    try:
        # A savepoint: if another transaction queued the same key meanwhile, the caller's
        # transaction goes on (with that row) instead of breaking.
        with transaction.atomic():
            email = OutboxEmail.objects.create(
                key=key, template=template, subject=subject[:SUBJECT_LENGTH], body=body,
                to=to_addresses, cc=cc_addresses, contract=contract,
                attachments=list(attachments), next_attempt_at=clock.now(),
                created_at=clock.now(),
            )
    except IntegrityError:
        existing = OutboxEmail.objects.filter(key=key).first()
        if existing is None:
            raise
        return existing
    everyone = to_addresses + cc_addresses
    # User.save stores emails lowercased, so the unique index on email answers this.
    users = {u.email: u for u in User.objects.filter(email__in=everyone)}
    OutboxRecipient.objects.bulk_create(
        OutboxRecipient(email=email, address=a, user=users.get(a)) for a in everyone
    )
    _kick_after_commit()
    email.just_queued = True  # callers counting new emails tell them from repeats
    return email


def _kick_after_commit() -> None:
    """One delivery task per transaction, however many emails it queued."""
    # Django drops pending callbacks on rollback, so this list is the truth.
    pending = transaction.get_connection().run_on_commit
    if not any(entry[1] is kick_worker for entry in pending):
        transaction.on_commit(kick_worker)


def kick_worker(run_after: datetime.datetime | None = None):
    """Enqueue a delivery run (now, or at `run_after`); its TaskResult, or None."""
    from .tasks import deliver_outbox

    task = deliver_outbox.using(run_after=run_after) if run_after else deliver_outbox
    try:
        return task.enqueue()
    except Exception:  # the next kick (or a periodic sweep) delivers what is left
        log.exception("Could not enqueue outbox delivery")
        return None


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
    message = _MusterEmail(
        subject=email.subject, body=email.body, from_email=settings.DEFAULT_FROM_EMAIL,
        to=email.to, cc=email.cc,
        # A stable Message-ID: if a crash makes Muster send a row again, mail systems can
        # recognize the repeat.
        headers={"X-Muster-Key": email.key, "Message-ID": f"<muster-{email.pk}@{domain}>"},
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
    with transaction.atomic(durable=True):
        OutboxEmail.objects.filter(pk=email.pk).update(
            status=OutboxEmail.Status.SENT, sent_at=clock.now(), last_error="",
            claimed_at=None,
        )
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


@transaction.atomic
def retry_now(actor, email: OutboxEmail) -> OutboxEmail:
    """The team asks for a failed email to be tried again (now, with a fresh count)."""
    from muster.audit import services as audit

    email = OutboxEmail.objects.select_for_update().get(pk=email.pk)
    if email.status != OutboxEmail.Status.FAILED:
        return email
    email.status, email.attempts = OutboxEmail.Status.PENDING, 0
    email.next_attempt_at = clock.now()
    email.save(update_fields=["status", "attempts", "next_attempt_at"])
    audit.record(actor, "notifications.retry", email, f"Asked to resend “{email.subject}”",
                 contract=email.contract,
                 before={"status": OutboxEmail.Status.FAILED},
                 after={"status": OutboxEmail.Status.PENDING})
    transaction.on_commit(kick_worker)
    return email
