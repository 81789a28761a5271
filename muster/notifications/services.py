"""Queue emails in the outbox, inside the caller's transaction: a change that rolls back
sends nothing. The worker delivers them after the commit (delivery.py, tasks.py)."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template import Context, Engine
from django_fsm import can_proceed

from muster import after_commit, bulk, clock, workflow
from muster.accounts.models import User
from muster.audit import correlation
from muster.catalog.models import HelpContact
from muster.errors import DomainError

from .models import OutboxEmail, OutboxRecipient
from .queries import to_them
from .tasks import kick_worker

KEY_LENGTH = OutboxEmail._meta.get_field("key").max_length
SUBJECT_LENGTH = OutboxEmail._meta.get_field("subject").max_length


@dataclass
class _Batch:
    help_contacts: list | None = None
    kick: bool = False


_batch: ContextVar[_Batch | None] = ContextVar("mail_batch", default=None)


@contextmanager
def batch() -> Iterator[None]:
    """Many emails queued in a row, in many short transactions (the daily sweep): the help
    contacts every email lists are read once, and the worker is kicked once at the end
    (after the commit, if a transaction is open) rather than after each transaction. A
    kick for a transaction that rolled back finds nothing to send: harmless."""
    if _batch.get() is not None:
        yield
        return
    token = _batch.set(_Batch())
    try:
        yield
    finally:
        state = _batch.get()
        _batch.reset(token)
        if state is not None and state.kick:
            transaction.on_commit(kick_worker)


def _help_contacts() -> list:
    state = _batch.get()
    if state is None:
        return list(HelpContact.objects.all())
    if state.help_contacts is None:
        state.help_contacts = list(HelpContact.objects.all())
    return state.help_contacts


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
    template = Engine.get_default().get_template(template_name)
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
    if not _addresses(to):
        return None
    existing = OutboxEmail.objects.filter(key=key[:KEY_LENGTH]).first()
    if existing:
        return existing
    subject, body = _render_email(template, contract, context)
    return _store(template, subject=subject, body=body, to=to, key=key, cc=cc,
                  contract=contract, attachments=attachments)


def _render_email(template: str, contract, context: dict | None) -> tuple[str, str]:
    context = {"site_url": settings.MUSTER_BASE_URL.rstrip("/"), "contract": contract,
               "help_contacts": _help_contacts(), **(context or {})}
    return (render(f"emails/{template}_subject.txt", context),
            render(f"emails/{template}.txt", context))


def queue_many(template: str, emails: list[dict]) -> list[OutboxEmail]:
    """Queue many emails of one template at once (the sweep's reminders), each a dict with
    `to`, `key` and optionally `cc`, `contract` and `context`, as queue() takes them. In
    one transaction: one query for the keys already queued (those are skipped, as queue()
    skips them), one insert of the emails, one lookup of the recipients' accounts and one
    insert of the recipients, however many there are. Returns the emails just queued."""
    wanted = [e for e in emails if _addresses(e["to"])]
    if not wanted:
        return []
    with batch(), transaction.atomic():
        keys = [e["key"][:KEY_LENGTH] for e in wanted]
        taken = set(OutboxEmail.objects.filter(key__in=keys).values_list("key", flat=True))
        now, request_id = clock.now(), correlation.current()
        rows, seen = [], set()
        for e, key in zip(wanted, keys, strict=True):
            if key in taken or key in seen:
                continue
            seen.add(key)
            subject, body = _render_email(template, e.get("contract"), e.get("context"))
            to_addresses = _addresses(e["to"])
            rows.append(OutboxEmail(
                key=key, template=template[:80],
                subject=" ".join(subject.split())[:SUBJECT_LENGTH], body=body.strip() + "\n",
                to=to_addresses,
                cc=[a for a in _addresses(e.get("cc", ())) if a not in to_addresses],
                contract=e.get("contract"), attachments=[], next_attempt_at=now,
                created_at=now, request_id=request_id,
            ))
        if not rows:
            return []
        try:
            with transaction.atomic():
                OutboxEmail.objects.bulk_create(rows)
        except IntegrityError:
            # Another transaction queued one of these keys meanwhile: one at a time, each
            # finding the others' rows as queue() does.
            queued = [queue(template, to=e["to"], key=e["key"], cc=e.get("cc", ()),
                            contract=e.get("contract"), context=e.get("context"))
                      for e in wanted]
            return [q for q in queued if q is not None and getattr(q, "just_queued", False)]
        if rows[0].pk is None:  # a backend that cannot return ids
            ids = dict(OutboxEmail.objects.filter(key__in=[r.key for r in rows])
                       .values_list("key", "pk"))
            for row in rows:
                row.pk = row.id = ids[row.key]
        _add_recipients(rows)
        _kick_after_commit()
    for row in rows:
        row.just_queued = True
    return rows


def _add_recipients(emails: list[OutboxEmail]) -> None:
    everyone = {a for email in emails for a in [*email.to, *email.cc]}
    # User.save stores emails lowercased, so the unique index on email answers this.
    users = {u.email: u for u in User.objects.filter(email__in=everyone)}
    OutboxRecipient.objects.bulk_create(
        OutboxRecipient(email=email, address=a, user=users.get(a))
        for email in emails for a in [*email.to, *email.cc]
    )


def queue_rendered(
    template: str,
    *,
    subject: str,
    body: str,
    to,
    key: str,
    cc=(),
    contract=None,
    attachments=(),
    confidential: bool = False,
) -> OutboxEmail | None:
    """Store an email already written (allauth's account emails come this way), as queue()
    does. A confidential email holds a personal sign-in link: Muster never shows its body,
    and forgets it once sent."""
    if not _addresses(to):
        return None
    existing = OutboxEmail.objects.filter(key=key[:KEY_LENGTH]).first()
    if existing:
        return existing
    return _store(template, subject=subject, body=body, to=to, key=key, cc=cc,
                  contract=contract, attachments=attachments, confidential=confidential)


def _store(
    template: str,
    *,
    subject: str,
    body: str,
    to,
    key: str,
    cc=(),
    contract=None,
    attachments=(),
    confidential: bool = False,
) -> OutboxEmail | None:
    """Store an email whose key was not queued a moment ago (a concurrent queue of the
    same key is found by the unique index)."""
    to_addresses = _addresses(to)
    cc_addresses = [a for a in _addresses(cc) if a not in to_addresses]
    if not to_addresses:
        return None
    key = key[:KEY_LENGTH]
    subject = " ".join(subject.split())
    body = body.strip() + "\n"
    try:
        # A savepoint: if another transaction queued the same key meanwhile, the caller's
        # transaction goes on (with that row) instead of breaking.
        with transaction.atomic():
            email = OutboxEmail.objects.create(
                key=key, template=template[:80], subject=subject[:SUBJECT_LENGTH], body=body,
                to=to_addresses, cc=cc_addresses, contract=contract,
                attachments=list(attachments), next_attempt_at=clock.now(),
                created_at=clock.now(), confidential=confidential,
                request_id=correlation.current(),
            )
    except IntegrityError:
        existing = OutboxEmail.objects.filter(key=key).first()
        if existing is None:
            raise
        return existing
    _add_recipients([email])
    _kick_after_commit()
    email.just_queued = True  # callers counting new emails tell them from repeats
    return email


def _kick_after_commit() -> None:
    """One delivery task per transaction, however many emails it queued (one per batch
    inside batch())."""
    state = _batch.get()
    if state is not None:
        state.kick = True
        return
    after_commit.once(kick_worker)


@transaction.atomic
def retry_now(actor, email: OutboxEmail) -> OutboxEmail:
    """The team asks for a failed email to be tried again (now, with a fresh count); one
    that is no longer failed is left as it is."""
    email = workflow.locked(email)
    if not can_proceed(email.retry):
        return email
    workflow.transition(actor, email, email.retry, f"Asked to resend “{email.subject}”",
                        event="notifications.retry", contract=email.contract,
                        refused=DomainError("Only a failed email can be sent again."))
    transaction.on_commit(kick_worker)
    return email


def queue_rendered_many(template: str, emails: list[dict], *, contract=None,
                        confidential: bool = False) -> int:
    """Store many emails written already, each to one person, at once: a whole CSV
    import's invitations. Each is a dict with `subject`, `body`, `to` (a User) and a `key`
    never used before (a new row's id in it). A handful of queries however many there are;
    sent after the commit, as queue_rendered's. Returns how many were queued."""
    now = clock.now()
    request_id = correlation.current()
    contract_pk = contract.pk if contract is not None else None
    none: list = []  # no cc, no attachments: one object, prepared once (muster.bulk)
    rows: list[tuple] = [
        (e["key"][:KEY_LENGTH], template[:80], " ".join(e["subject"].split())[:SUBJECT_LENGTH],
         e["body"].strip() + "\n", [address], none, contract_pk, none, now, now, confidential,
         request_id, e["to"].pk if isinstance(e["to"], User) else None)
        for e in emails if (address := _address(e["to"]))
    ]
    if not rows:
        return 0
    ids = bulk.insert(OutboxEmail, (
        "key", "template", "subject", "body", "to", "cc", "contract_id", "attachments",
        "next_attempt_at", "created_at", "confidential", "request_id",
    ), [row[:-1] for row in rows])
    bulk.insert(OutboxRecipient, ("email_id", "address", "user_id"),
                [(pk, row[4][0], row[-1]) for pk, row in zip(ids, rows, strict=True)])
    _kick_after_commit()
    return len(rows)


def mark_read(user, emails=None) -> int:
    """The person marks their notifications as read: the given emails (ids), or all of
    them. Returns how many emails changed. The read state is the person's own view of
    their inbox, not a change to a contract: it writes no audit event."""
    with transaction.atomic():
        rows = OutboxRecipient.objects.filter(to_them(user), read_at__isnull=True)
        if emails is not None:
            rows = rows.filter(email_id__in=list(emails))
        changed = len(set(rows.values_list("email_id", flat=True)))
        rows.update(read_at=clock.now())
    return changed
