"""Writing to a thread: one function, taking the author, in one transaction, with its check
(who may write this kind of entry), its attachments' checks (the PDF checks every upload
gets), its audit record and the emails to the people it mentions."""

import hashlib

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.text import get_valid_filename

from muster import clock
from muster.accounts import permissions
from muster.accounts.models import User
from muster.audit import services as audit
from muster.contracts.models import Contract
from muster.errors import DomainError, NotAllowed
from muster.notifications import services as mail
from muster.uploads import pdf_problems

from .models import BODY_MAX, Attachment, Entry, Kind, Mention, Visibility
from .subjects import page_of_entry, subject_of

MAX_ATTACHMENTS = 5
__all__ = ["BODY_MAX", "ConversationError", "post_entry"]


class ConversationError(DomainError):
    """An entry that cannot be written as it is; the message says why (and `field` where)."""


def _check_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ConversationError("Write your message.", "body")
    if len(body) > BODY_MAX:
        raise ConversationError(
            f"A message can be at most {BODY_MAX:,} characters; this one has {len(body):,}.",
            "body")
    return body


def _check_attachments(attachments) -> list:
    attachments = list(attachments or [])
    if len(attachments) > MAX_ATTACHMENTS:
        raise ConversationError(f"Attach at most {MAX_ATTACHMENTS} PDFs to one message.",
                                "attachments")
    problems = pdf_problems(attachments)
    if problems:
        raise ConversationError(" ".join(problems), "attachments")
    return attachments


def _check_mentions(contract, about, visibility: str, notify, actor) -> list[User]:
    """The people to notify: each must be able to read the entry (an internal note cannot
    notify the COR); the author is not notified of their own entry."""
    people = []
    seen = set()
    for person in notify or []:
        if person.pk in seen or person.pk == actor.pk or not person.is_active:
            continue
        seen.add(person.pk)
        if not permissions.may_read_thread(person, contract, about, visibility):
            kind = ("an internal note" if visibility == Visibility.INTERNAL
                    else "this conversation")
            raise ConversationError(
                f"{person.full_name or person.email} cannot read {kind}, so they cannot be "
                "notified of it.", "notify")
        people.append(person)
    return people


@transaction.atomic
def post_entry(actor, contract: Contract, *, body: str, visibility: str = Visibility.SHARED,
               about=None, notify=(), attachments=(), kind: str = Kind.COMMENT) -> Entry:
    """Add an entry to the thread of `contract` (about its request `about`, if given):
    a comment or internal note, with PDFs attached and people notified by email; or, from
    onboarding's services, the team's question or the COR's or POC's answer."""
    if visibility not in Visibility.values or kind not in Kind.values:
        raise ConversationError("Choose who sees the message.", "visibility")
    if about is not None and about.contract_id != contract.pk:
        raise ValueError("The request is not this contract's.")
    if not permissions.may_write_entry(actor, contract, about, visibility):
        if visibility == Visibility.INTERNAL:
            raise NotAllowed("Only the onboarding team, its lead and administrators write "
                             "internal notes.")
        raise NotAllowed("Your role on this contract does not let you write in its "
                         "conversation.")
    if kind != Kind.COMMENT and visibility != Visibility.SHARED:
        raise ValueError("A question or an answer is shared with the COR and POC.")
    body = _check_body(body)
    attachments = _check_attachments(attachments)
    people = _check_mentions(contract, about, visibility, notify, actor)

    entry = Entry.objects.create(
        contract=contract, author=actor, created_at=clock.now(), body=body,
        visibility=visibility, kind=kind,
        about_type=ContentType.objects.get_for_model(about) if about is not None else None,
        about_id=about.pk if about is not None else None,
        about_label=subject_of(about).describe(about)[:200] if about is not None else "",
    )
    for upload in attachments:
        name = (get_valid_filename(upload.name) or "attachment.pdf")[:200]
        if not name.lower().endswith(".pdf"):
            name = f"{name[:195]}.pdf"
        item = Attachment(entry=entry, name=name, size=upload.size or 0)
        item.file.save(name, upload, save=False)
        item.save()
    Mention.objects.bulk_create([Mention(entry=entry, user=person) for person in people])

    # The audit record names the entry, never its text: the history page is the COR's too,
    # and an internal note's words are the team's. The digest ties the record to the text.
    labels: dict[str, str] = {Kind.QUESTION: "Question asked", Kind.ANSWER: "Question answered"}
    label = labels.get(kind, "Internal note written" if visibility == Visibility.INTERNAL
                       else "Comment written")
    where = f" about {entry.about_label}" if entry.about_label else ""
    audit.record(
        actor, f"conversation.{'internal_note' if entry.is_internal else kind}", entry,
        f"{label}{where}", contract=contract,
        after={"visibility": visibility, "about": entry.about_label or "the contract",
               "notified": [p.email for p in people],
               "attachments": [a.name for a in entry.attachments.all()],
               "body_sha256": hashlib.sha256(body.encode()).hexdigest()},
    )
    page = page_of_entry(entry)
    for person in people:
        mail.queue(
            "conversation_mention", to=[person.email], contract=contract,
            key=f"mention:{entry.pk}:{person.pk}",
            context={"entry": entry, "actor": actor, "person": person, "page": page,
                     "attachments": [a.name for a in entry.attachments.all()]},
        )
    return entry
