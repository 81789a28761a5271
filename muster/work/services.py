"""Assignment of the team's work items: take one, give one to someone, give one back.
Each is one transaction: the item's row locked, the assignment written or deleted, the
audit event on the item's contract, and an email to the new assignee."""

from django.db import IntegrityError, transaction

from muster import clock
from muster.accounts import permissions
from muster.audit import services as audit
from muster.errors import DomainError, NotAllowed
from muster.notifications import services as mail

from .items import Kind
from .models import Assignment


class WorkError(DomainError):
    """An assignment that cannot be made now, for the reason the message gives."""


def _locked(kind: Kind, item):
    """The item again, locked, as long as it is still open (else the reason it is not)."""
    fresh = kind.base().select_for_update(of=("self",)).filter(pk=item.pk).first()
    if fresh is None or fresh.status not in kind.statuses:
        raise WorkError(f"This {kind.label.lower()} is no longer open: nobody needs to "
                        "work on it now.")
    return fresh


def _current(kind: Kind, item) -> Assignment | None:
    return (Assignment.objects.select_related("assignee")
            .filter(**{kind.field: item}).first())


def _describe(kind: Kind, item) -> str:
    return f"{kind.label.lower()} of {item.contract.name}"


@transaction.atomic
def assign(actor, kind: Kind, item, assignee, *, taking: bool = False) -> Assignment:
    """Make `assignee` the one who works on the item. The team and its lead give items to
    anyone who may work them; `taking` (assignee is the actor): whoever may work the item
    takes it while nobody else has it."""
    if taking:
        if not permissions.may_work_on(actor, item):
            raise NotAllowed("Your roles do not include this item: you cannot take it.")
    elif not permissions.may_assign_work(actor, item):
        raise NotAllowed("Only the onboarding team and its lead give work to people.")
    item = _locked(kind, item)
    if not permissions.may_work_on(assignee, item):
        raise WorkError(f"{assignee.full_name} cannot work on this: give it to someone in the "
                        "onboarding team" + (" or a lead of its service."
                                             if getattr(item, "service_id", None) else "."),
                        field="assignee")
    current = _current(kind, item)
    if current is not None and current.assignee_id == assignee.pk:
        who = "you" if assignee.pk == actor.pk else assignee.full_name
        raise WorkError(f"This {kind.label.lower()} is assigned to {who} already.")
    if (taking and current is not None
            and not permissions.may_assign_work(actor, item)):
        raise WorkError(f"{current.assignee.full_name} works on this already: ask them, or "
                        "the onboarding team, to hand it over.")
    before = {"assignee": current.assignee.email} if current else {}
    now = clock.now()
    try:
        with transaction.atomic():
            if current is None:
                assignment = Assignment.objects.create(
                    **{kind.field: item}, assignee=assignee, assigned_by=actor,
                    assigned_at=now)
            else:
                current.assignee, current.assigned_by, current.assigned_at = assignee, actor, now
                current.save(update_fields=["assignee", "assigned_by", "assigned_at"])
                assignment = current
    except IntegrityError as error:  # someone else took it between the lock and the write
        raise WorkError("Someone else was given this item a moment ago: look again.") from error
    verb = "Took" if taking else f"Assigned {assignee.full_name} to"
    audit.record(actor, "work.assigned", item,
                 f"{verb} the {_describe(kind, item)}"
                 + (f" (from {current.assignee.full_name})" if current else ""),
                 contract=item.contract, before=before, after={"assignee": assignee.email})
    if assignee.pk != actor.pk:
        mail.queue("work_assigned", to=[assignee], contract=item.contract,
                   key=f"work-assigned:{kind.key}:{item.pk}:{assignee.pk}:{now.isoformat()}",
                   context={"kind": kind, "item": item, "assignee": assignee, "actor": actor,
                            "url": kind.url(item), "previous": current and before})
    return assignment


def take(actor, kind: Kind, item) -> Assignment:
    """"Take it": the person works on the item from now."""
    return assign(actor, kind, item, actor, taking=True)


@transaction.atomic
def unassign(actor, kind: Kind, item) -> None:
    """Nobody works on the item any more (back to the queue): the team and its lead, or the
    assignee giving it back."""
    item = _locked(kind, item)
    current = _current(kind, item)
    if not permissions.may_unassign_work(actor, current):
        raise NotAllowed("Only the onboarding team, its lead and the assignee take an item "
                         "off its assignee.")
    if current is None:
        raise WorkError(f"Nobody is assigned this {kind.label.lower()}.")
    current.delete()
    own = current.assignee_id == actor.pk
    audit.record(actor, "work.unassigned", item,
                 f"{'Gave back' if own else 'Unassigned'} the {_describe(kind, item)}"
                 + ("" if own else f" (was {current.assignee.full_name})"),
                 contract=item.contract, before={"assignee": current.assignee.email},
                 after={"assignee": None})
