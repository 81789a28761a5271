"""Every write to a contract: one function per action, one transaction, one audit record."""

from collections.abc import Callable

from django.db import transaction
from django_fsm import can_proceed

from muster.accounts.models import ContractRole, User
from muster.audit import services as audit
from muster.errors import DomainError, NotAllowed
from muster.timeline import services as timeline
from muster.timeline.models import Milestone

from .models import Contract, SavedView

MILESTONE_FIELDS = tuple(m.value for m in Milestone)
IDENTITY_FIELDS = (
    "name", "contract_number", "task_order_number", "organization",
    "type_of_work", "requirements_summary",
)
EDITABLE_FIELDS = IDENTITY_FIELDS + MILESTONE_FIELDS
# full_clean writes every field back after cleaning it; the stage moves only by its
# transitions (a protected field refuses assignment), so cleaning leaves it out.
PROTECTED = ["stage"]


@transaction.atomic
def create_contract(actor, *, template=None, follows=None, **fields) -> Contract:
    """A new contract, with its own copy of the process template's steps. `follows`: the
    contract it succeeds (a re-award), named in its "Created" record."""
    contract = Contract(**fields)
    contract.full_clean(exclude=PROTECTED)
    contract.save()
    steps = timeline.instantiate_timeline(contract, template)
    summary = f"Created contract {contract}"
    after = {**audit.snapshot(contract, EDITABLE_FIELDS + ("stage",)), "steps": steps}
    if follows is not None:
        summary += f", following {follows}"
        after["predecessor"] = follows.pk
    audit.record(actor, "contract.created", contract, summary, contract=contract, after=after)
    return contract


@transaction.atomic
def update_contract(actor, contract: Contract, **changes) -> Contract:
    """Change identity fields or milestones; a milestone change moves open steps' due dates."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable here: {', '.join(sorted(unknown))}")
    before = audit.snapshot(contract, EDITABLE_FIELDS)
    for name, value in changes.items():
        setattr(contract, name, value)
    contract.full_clean(exclude=PROTECTED)
    after = audit.snapshot(contract, EDITABLE_FIELDS)
    old, new = audit.changed(before, after)
    if not new:
        return contract
    contract.save()
    audit.record(
        actor, "contract.updated", contract, f"Changed {', '.join(new)}",
        contract=contract, before=old, after=new,
    )
    if set(new) & set(MILESTONE_FIELDS):
        moved = timeline.recompute_due_dates(contract)
        if moved:
            audit.record(
                actor, "timeline.due_dates_recomputed", contract,
                f"Recomputed due dates of {len(moved)} open step(s)",
                contract=contract,
                after={s.key: s.due_date for s in moved},
            )
    return contract


@transaction.atomic
def assign_role(actor, contract: Contract, user, role: str, **extra) -> ContractRole:
    """Give a person a role on the contract; a single-holder role replaces its holder."""
    previous = None
    if role in ContractRole.SINGLE_HOLDER_ROLES:
        previous = contract.roles.filter(role=role).select_related("user").first()
        if previous and previous.user_id == user.pk:
            return previous
        if previous:
            previous.delete()
    assignment = ContractRole.objects.create(contract=contract, user=user, role=role, **extra)
    audit.record(
        actor, "contract.role_assigned", assignment,
        f"{user} is now {assignment.get_role_display()}",
        contract=contract,
        before={"user": previous.user.email} if previous else {},
        after={"user": user.email, "role": role, **extra},
    )
    return assignment


class StageError(Exception):
    """A lifecycle change that the contract's current stage does not allow."""


@transaction.atomic
def change_stage(actor, contract: Contract, transition: Callable[[Contract], None]) -> Contract:
    """Move the contract along its lifecycle by one of its transitions (`Contract.award`,
    `Contract.close`, ...), or refuse and change nothing. The row lock makes two people
    acting at once take turns; the transition runs on the locked row."""
    if getattr(transition, "_django_fsm", None) is None:
        raise StageError(f"Unknown transition “{getattr(transition, '__name__', transition)}”.")
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    move = transition.__get__(contract, Contract)
    name = transition.__name__
    if not can_proceed(move):
        stage = contract.get_stage_display()
        raise StageError(f"A contract in stage “{stage}” cannot {name.replace('_', ' ')}.")
    before = contract.stage
    move()
    contract.save(update_fields=["stage", "updated_at"])
    audit.record(
        actor, f"contract.{name}", contract,
        f"Stage changed from {before} to {contract.stage}",
        contract=contract, before={"stage": before}, after={"stage": contract.stage},
    )
    return contract


def change_stage_many(contracts: list[Contract], transition: Callable[[Contract], None],
                      now) -> list[str]:
    """Move contracts the caller has locked along one transition in one UPDATE, as
    change_stage moves one (the transition refuses a contract that cannot take it). Returns
    each one's stage before; the caller audits (the sweep writes its events together)."""
    before = [contract.stage for contract in contracts]
    for contract in contracts:
        transition(contract)
        contract.updated_at = now
    after = {contract.stage for contract in contracts}
    if len(after) > 1:
        raise StageError(f"One transition led to several stages: {sorted(after)}.")
    Contract.objects.filter(pk__in=[c.pk for c in contracts]).update(
        stage=after.pop(), updated_at=now)
    return before


# --- Saved views of the contract list: each person's own named filters ---------------------


class SavedViewRefused(DomainError):
    """A saved view that cannot be stored (the message says why)."""


def _check_view_name(actor, name: str, keep: SavedView | None = None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise SavedViewRefused("Give the view a name.", field="name")
    if len(name) > SavedView.NAME_MAX:
        raise SavedViewRefused(f"A view's name can be at most {SavedView.NAME_MAX} characters; "
                               f"this one has {len(name):,}.", field="name")
    taken = SavedView.objects.filter(user=actor, name__iexact=name)
    if keep is not None:
        taken = taken.exclude(pk=keep.pk)
    if taken.exists():
        raise SavedViewRefused(f"You already have a view named “{name}”: choose another "
                               "name, or delete that one first.", field="name")
    return name


def save_view(actor, *, name: str, query: str) -> SavedView:
    """Store the contract list's filters (`query`, already checked by the list's form:
    forms.filters_query) under a name of the person's."""
    with transaction.atomic():
        # One person's views are counted under a lock on the person: two saves at once
        # cannot pass the cap together.
        User.objects.select_for_update().filter(pk=actor.pk).first()
        if SavedView.objects.filter(user=actor).count() >= SavedView.PER_PERSON:
            raise SavedViewRefused(f"You have {SavedView.PER_PERSON} saved views, the most "
                                   "one person keeps: delete one you no longer use first.")
        if len(query) > SavedView.QUERY_MAX:
            raise SavedViewRefused("These filters are too long to save: shorten the search "
                                   "words.")
        view = SavedView.objects.create(user=actor, name=_check_view_name(actor, name),
                                        query=query)
        audit.record(actor, "contracts.save_view", view,
                     f"Saved the contract list view “{view.name}”.", after={"query": query})
    return view


def rename_view(actor, view: SavedView, name: str) -> SavedView:
    if view.user_id != actor.pk:
        raise NotAllowed("Only the person who saved a view changes it.")
    with transaction.atomic():
        before = view.name
        view.name = _check_view_name(actor, name, keep=view)
        view.save(update_fields=["name"])
        audit.record(actor, "contracts.rename_view", view,
                     f"Renamed the contract list view “{before}” to “{view.name}”.",
                     before={"name": before}, after={"name": view.name})
    return view


def delete_view(actor, view: SavedView) -> None:
    if view.user_id != actor.pk:
        raise NotAllowed("Only the person who saved a view deletes it.")
    with transaction.atomic():
        audit.record(actor, "contracts.delete_view", view,
                     f"Deleted the contract list view “{view.name}”.",
                     before={"name": view.name, "query": view.query})
        view.delete()
