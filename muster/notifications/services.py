"""Queue emails in the outbox (inside the caller's transaction) and deliver them."""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage, mailers
from django.db import connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string

from muster import clock
from muster.accounts.models import User
from muster.catalog.models import HelpContact

from .models import OutboxEmail, OutboxRecipient

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# A row claimed this long ago by a worker that never finished is tried again.
CLAIM_TIMEOUT = datetime.timedelta(minutes=10)


def backoff(attempts: int) -> datetime.timedelta:
    """1, 2, 4, ... minutes after each failure, at most 6 hours."""
    return datetime.timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def _address(recipient) -> str:
    return (recipient.email if isinstance(recipient, User) else str(recipient)).strip().lower()


def _unique(addresses) -> list[str]:
    return list(dict.fromkeys(a for a in addresses if a))


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
    to_addresses = _unique(_address(r) for r in to)
    cc_addresses = [a for a in _unique(_address(r) for r in cc) if a not in to_addresses]
    if not to_addresses:
        return None
    existing = OutboxEmail.objects.filter(key=key).first()
    if existing:
        return existing
    context = {"site_url": settings.MUSTER_BASE_URL.rstrip("/"), "contract": contract,
               "help_contacts": list(HelpContact.objects.all()), **(context or {})}
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    email = OutboxEmail.objects.create(
        key=key[:200], template=template, subject=subject[:250],
        body=render_to_string(f"emails/{template}.txt", context).strip() + "\n",
        to=to_addresses, cc=cc_addresses, contract=contract,
        attachments=list(attachments), next_attempt_at=clock.now(),
    )
    users = {u.email: u for u in User.objects.filter(email__in=to_addresses + cc_addresses)}
    OutboxRecipient.objects.bulk_create(
        OutboxRecipient(email=email, address=a, user=users.get(a))
        for a in to_addresses + cc_addresses
    )
    transaction.on_commit(kick_worker)
    return email


def kick_worker(run_after: datetime.datetime | None = None) -> None:
    from .tasks import deliver_outbox

    task = deliver_outbox.using(run_after=run_after) if run_after else deliver_outbox
    try:
        task.enqueue()
    except Exception:  # the sweep delivers whatever a lost kick leaves behind
        log.exception("Could not enqueue outbox delivery")


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def _due(now) -> Q:
    return Q(status=OutboxEmail.Status.PENDING, next_attempt_at__lte=now) | Q(
        status=OutboxEmail.Status.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT
    )


def _claim(now, limit: int) -> list[int]:
    """Mark due rows as being sent by this worker; concurrent workers skip them."""
    with transaction.atomic():
        rows = OutboxEmail.objects.filter(_due(now)).order_by("next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        ids = list(rows.values_list("id", flat=True)[:limit])
        OutboxEmail.objects.filter(id__in=ids).filter(_due(now)).update(
            status=OutboxEmail.Status.SENDING, claimed_at=now
        )
    return ids


def _message(email: OutboxEmail, conn) -> EmailMessage:
    message = EmailMessage(
        subject=email.subject, body=email.body, from_email=settings.DEFAULT_FROM_EMAIL,
        to=email.to, cc=email.cc, connection=conn,
        headers={"X-Muster-Key": email.key},
    )
    for item in email.attachments:
        with default_storage.open(item["path"], "rb") as f:
            message.attach(item["name"], f.read(), item.get("mimetype", "application/pdf"))
    return message


def deliver_due(limit: int = 200) -> DeliveryReport:
    """Send what is due now; failures wait with backoff, and give up after MAX_ATTEMPTS."""
    now = clock.now()
    report = DeliveryReport()
    ids = _claim(now, limit)
    if not ids:
        return report
    conn = mailers.default
    for email in OutboxEmail.objects.filter(id__in=ids, claimed_at=now):
        try:
            _message(email, conn).send()
        except Exception as error:  # any failure: the row waits, nothing is lost
            attempts = email.attempts + 1
            gave_up = attempts >= MAX_ATTEMPTS
            OutboxEmail.objects.filter(pk=email.pk).update(
                status=OutboxEmail.Status.FAILED if gave_up else OutboxEmail.Status.PENDING,
                attempts=attempts, last_error=f"{type(error).__name__}: {error}"[:2000],
                next_attempt_at=now + backoff(attempts), claimed_at=None,
            )
            report.failed += gave_up
            report.retrying += not gave_up
            log.warning("Email %s not sent (attempt %s): %s", email.pk, attempts, error)
        else:
            OutboxEmail.objects.filter(pk=email.pk).update(
                status=OutboxEmail.Status.SENT, sent_at=clock.now(), attempts=email.attempts + 1,
                last_error="",
            )
            report.sent += 1
    return report


def next_retry_at() -> datetime.datetime | None:
    row = (
        OutboxEmail.objects.filter(status=OutboxEmail.Status.PENDING)
        .order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()
    )
    return row


@transaction.atomic
def retry_now(actor, email: OutboxEmail) -> OutboxEmail:
    """The team asks for a failed email to be tried again."""
    from muster.audit import services as audit

    email = OutboxEmail.objects.select_for_update().get(pk=email.pk)
    if email.status != OutboxEmail.Status.FAILED:
        return email
    email.status, email.attempts = OutboxEmail.Status.PENDING, 0
    email.next_attempt_at = clock.now()
    email.save(update_fields=["status", "attempts", "next_attempt_at"])
    audit.record(actor, "notifications.retry", email, f"Asked to resend “{email.subject}”",
                 contract=email.contract)
    transaction.on_commit(kick_worker)
    return email
