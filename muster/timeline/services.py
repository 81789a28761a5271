"""Writes to timelines: copy a template onto a contract, recompute due dates, complete steps."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connections, router, transaction
from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber

from muster import clock
from muster.audit import services as audit
from muster.errors import DomainError

from .models import ContractStep, Milestone, ProcessTemplate

if TYPE_CHECKING:  # a type only: contracts calls the timeline, not the other way round
    from muster.contracts.models import Contract

COPIED_FIELDS = (
    "key", "order", "process", "phase", "name", "description",
    "anchor", "offset", "offset_unit", "responsible", "evidence",
)


class StepError(DomainError):
    """A step change that is not allowed; the message is for the person who asked."""


def anchor_date(contract: Contract, anchor: str) -> datetime.date | None:
    # Until the award is recorded, award-anchored steps follow the estimated award date.
    if anchor == Milestone.AWARD and contract.award_date is None:
        return contract.estimated_award_date
    return getattr(contract, anchor)


def default_template() -> ProcessTemplate | None:
    return ProcessTemplate.objects.filter(is_default=True).first()


# --- Each contract's next open step, kept on its row -------------------------------------
#
# Contract.next_step / next_step_due (see the model) are a copy of what the contract's steps
# say; these functions are the only writers. timeline does not import muster.contracts:
# contracts imports the timeline (its services call these), the two share import-linter's
# bottom layer, and the reverse import was removed on purpose (pyproject.toml: "Gone:
# timeline -> contracts") so they never form a cycle. So the contract model is reached
# through the step's foreign key, which names it; in a migration, the historical step
# model leads to the historical contract model the same way.

# The rule, in one place: a contract's next step is its open step (neither done nor
# cancelled) with a due date, the lowest (due date, order); the id breaks a tie.
NEXT_STEP_ORDER = ("due_date", "order", "pk")


def _contract_model(step_model=ContractStep):
    return step_model._meta.get_field("contract").related_model


def open_dated_steps(step_model=ContractStep) -> QuerySet:
    """Steps that can be a contract's next step, in the order that picks it."""
    return step_model._default_manager.filter(
        completed_at__isnull=True, cancelled_at__isnull=True, due_date__isnull=False
    ).order_by(*NEXT_STEP_ORDER)


Stored = tuple[int | None, datetime.date | None]


def _lock(contract_pk: int) -> Stored:
    """Lock the contract's row, reading its stored next step. Step writers lock it BEFORE
    their steps (as update_contract does), so two changes to one contract take turns in the
    same order (no deadlock), and the second one's recomputation sees the first's steps."""
    row = (_contract_model().objects.select_for_update().filter(pk=contract_pk)
           .values_list("next_step_id", "next_step_due").first())
    return row or (None, None)


# Upper apps keep copies of some step due dates on their own rows (an onboarding request's
# and a closeout's `due`: the due date of the step its status waits on, which My work and
# the review queue sort by). Each registers (in its AppConfig.ready; timeline imports no
# upper app) a function of the contract that recomputes its copy from the steps; _store
# calls them in the same transaction as the change, whenever due dates may have moved.
_DUE_COPIES: list[Callable[[int], None]] = []


def register_due_copy(refresh: Callable[[int], None]) -> None:
    """Have `refresh(contract_pk)` run after every change that may move the contract's
    step due dates, inside that change's transaction."""
    if refresh not in _DUE_COPIES:
        _DUE_COPIES.append(refresh)


def _store(contract, stored: Stored, dues_moved: bool = True) -> None:
    """Recompute the locked contract's next step from its steps; write it if it moved.
    With `dues_moved`, refresh the registered copies of its step due dates too."""
    expected: Stored = (open_dated_steps().filter(contract_id=contract.pk)
                        .values_list("pk", "due_date").first()) or (None, None)
    if expected != stored:
        _contract_model().objects.filter(pk=contract.pk).update(
            next_step_id=expected[0], next_step_due=expected[1])
    contract.next_step_id, contract.next_step_due = expected
    if dues_moved:
        for refresh in _DUE_COPIES:
            refresh(contract.pk)


@contextmanager
def next_step_kept(contract) -> Iterator[None]:
    """Change the contract's steps inside: one transaction that ends with its next step
    recomputed and stored. Every writer of ContractStep rows goes through this (or
    refresh_next_step)."""
    with transaction.atomic():
        stored = _lock(contract.pk)
        yield
        _store(contract, stored)


def refresh_next_step(contract) -> None:
    """Recompute and store the contract's next step (after its steps changed)."""
    with next_step_kept(contract):
        pass


@dataclass(frozen=True)
class NextStepMismatch:
    contract_id: int
    stored: Stored
    expected: Stored


def _mismatch_sql(step_model, contract_ids: Iterable[int] | None) -> tuple[str, list]:
    """SELECT contract id, stored step and due, expected step and due for every contract
    (of `contract_ids`) whose stored next step is not what its steps say. Set-based: one
    pass over the open steps (a window picks each contract's first by NEXT_STEP_ORDER),
    joined to the contracts; the expected set comes from open_dated_steps, the one rule."""
    contract_model = _contract_model(step_model)
    steps = open_dated_steps(step_model)
    contracts_where, contracts_params = "", []
    if contract_ids is not None:
        ids = list(contract_ids)  # not empty: the callers return early
        steps = steps.filter(contract_id__in=ids)
        contracts_where = f" AND c.id IN ({', '.join(['%s'] * len(ids))})"
        contracts_params = ids
    ranked = steps.annotate(
        rank=Window(RowNumber(), partition_by=[F("contract_id")],
                    order_by=[F(f).asc() for f in NEXT_STEP_ORDER]),
    ).order_by().values("contract_id", "rank", step_id=F("pk"), due=F("due_date"))
    inner, inner_params = ranked.query.sql_with_params()
    quote = connections[router.db_for_write(contract_model)].ops.quote_name
    table = quote(contract_model._meta.db_table)
    # Only names from the models' meta and Django's own SQL are formatted in; values are
    # parameters.
    sql = (
        f"SELECT c.id, c.next_step_id, c.next_step_due, e.step_id, e.due "  # noqa: S608
        f"FROM {table} c LEFT JOIN ("
        f"SELECT r.contract_id, r.step_id, r.due "
        f"FROM ({inner}) r WHERE r.rank = 1) e ON e.contract_id = c.id "
        # Differs, NULL-safe in SQL's three-valued logic: a <> b is NULL when either is.
        f"WHERE (c.next_step_id <> e.step_id OR (c.next_step_id IS NULL) <> (e.step_id IS NULL)"
        f" OR c.next_step_due <> e.due OR (c.next_step_due IS NULL) <> (e.due IS NULL))"
        f"{contracts_where}"
    )
    return sql, [*inner_params, *contracts_params]


def next_step_mismatches(contract_ids: Iterable[int] | None = None,
                         step_model=ContractStep) -> list[NextStepMismatch]:
    """The contracts whose stored next step differs from a full recomputation, by id."""
    if contract_ids is not None and not (contract_ids := list(contract_ids)):
        return []
    sql, params = _mismatch_sql(step_model, contract_ids)
    alias = router.db_for_read(_contract_model(step_model))
    with connections[alias].cursor() as cursor:
        cursor.execute(sql + " ORDER BY c.id", params)
        rows = cursor.fetchall()
    return [NextStepMismatch(pk, (stored_step, _date(stored_due)), (step, _date(due)))
            for pk, stored_step, stored_due, step, due in rows]


def _date(value) -> datetime.date | None:
    # SQLite hands dates back as text from raw SQL.
    if isinstance(value, str):
        return datetime.date.fromisoformat(value)
    return value


def refresh_next_steps(contract_ids: Iterable[int] | None = None,
                       step_model=ContractStep) -> int:
    """Recompute every contract's next step (or those of `contract_ids`) from the steps, in
    one UPDATE ... FROM over the mismatches (not one statement per contract); returns how
    many rows it corrected. For the backfill, the check command's --fix, and data loaded
    around the services (a bulk COPY)."""
    if contract_ids is not None and not (contract_ids := list(contract_ids)):
        return 0
    contract_model = _contract_model(step_model)
    sql, params = _mismatch_sql(step_model, contract_ids)
    alias = router.db_for_write(contract_model)
    table = connections[alias].ops.quote_name(contract_model._meta.db_table)
    with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET next_step_id = m.step_id, next_step_due = m.due "  # noqa: S608
            f"FROM ({sql.replace('SELECT c.id,', 'SELECT c.id AS contract_id,', 1)}) m "
            f"WHERE {table}.id = m.contract_id", params)
        return cursor.rowcount


def instantiate_timeline(contract: Contract, template: ProcessTemplate | None = None) -> int:
    """Give a new contract its own copy of the template's steps, with due dates."""
    template = template or contract.process_template or default_template()
    if template is None:
        return 0
    if contract.process_template_id != template.pk:
        contract.process_template = template
        contract.save(update_fields=["process_template"])
    steps = [
        ContractStep(contract=contract, **{f: getattr(t, f) for f in COPIED_FIELDS})
        for t in template.steps.all()
    ]
    for step in steps:
        step.due_date = step.due_from(anchor_date(contract, step.anchor))
    with next_step_kept(contract):
        ContractStep.objects.bulk_create(steps)
    return len(steps)


def recompute_due_dates(contract: Contract) -> list[ContractStep]:
    """Recompute the due dates of the contract's open steps; returns the steps that moved."""
    moved = []
    with next_step_kept(contract):
        for step in contract.steps.filter(completed_at__isnull=True):
            due = step.due_from(anchor_date(contract, step.anchor))
            if due != step.due_date:
                step.due_date = due
                moved.append(step)
        ContractStep.objects.bulk_update(moved, ["due_date"])
    return moved


@transaction.atomic
def complete_step(actor, step: ContractStep, note: str = "") -> ContractStep:
    """Mark a step done, with who, when and the evidence. Completing twice is refused."""
    stored = _lock(step.contract_id)
    step = ContractStep.objects.select_for_update().get(pk=step.pk)
    if step.completed_at is not None:
        raise StepError(f"“{step.name}” was already completed.")
    step.completed_at = clock.now()
    step.completed_by = actor if getattr(actor, "pk", None) else None
    step.completion_note = note.strip()
    step.save(update_fields=["completed_at", "completed_by", "completion_note"])
    audit.record(
        actor,
        "timeline.step_completed",
        step,
        f"Completed “{step.name}”",
        contract=step.contract,
        after={"completed_at": step.completed_at, "note": step.completion_note},
    )
    _store(step.contract, stored, dues_moved=False)  # a completion moves no due date
    return step


@transaction.atomic
def reopen_step(actor, step: ContractStep, reason: str) -> ContractStep:
    stored = _lock(step.contract_id)
    step = ContractStep.objects.select_for_update().get(pk=step.pk)
    if step.completed_at is None:
        raise StepError(f"“{step.name}” is not completed.")
    before = {"completed_at": step.completed_at, "note": step.completion_note}
    step.completed_at = None
    step.completed_by = None
    step.completion_note = ""
    step.due_date = step.due_from(anchor_date(step.contract, step.anchor))
    step.save(update_fields=["completed_at", "completed_by", "completion_note", "due_date"])
    audit.record(
        actor, "timeline.step_reopened", step, f"Reopened “{step.name}”: {reason}",
        contract=step.contract, before=before, after={"reason": reason},
    )
    _store(step.contract, stored)
    return step


@transaction.atomic
def cancel_open_steps(actor, contract: Contract, process: str, why: str) -> list[ContractStep]:
    """A request was withdrawn, cancelled or rejected: its process's open steps show
    "Cancelled" (kept, never deleted) and drop out of reminders, escalations and feeds."""
    stored = _lock(contract.pk)
    steps = list(contract.steps.select_for_update().filter(
        process=process, completed_at__isnull=True, cancelled_at__isnull=True))
    now = clock.now()
    for step in steps:
        step.cancelled_at = now
    ContractStep.objects.bulk_update(steps, ["cancelled_at"])
    _store(contract, stored, dues_moved=False)  # a cancellation moves no due date
    if steps:
        audit.record(actor, "timeline.steps_cancelled", contract,
                     f"{len(steps)} open step(s) cancelled: {why}", contract=contract,
                     after={"steps": [s.key for s in steps]})
    return steps


@transaction.atomic
def restore_cancelled_steps(actor, contract: Contract, process: str,
                            why: str) -> list[ContractStep]:
    """The request was reopened: its cancelled steps are open again, due as their rules say."""
    stored = _lock(contract.pk)
    steps = list(contract.steps.select_for_update().filter(
        process=process, completed_at__isnull=True, cancelled_at__isnull=False))
    for step in steps:
        step.cancelled_at = None
        step.due_date = step.due_from(anchor_date(contract, step.anchor))
    ContractStep.objects.bulk_update(steps, ["cancelled_at", "due_date"])
    _store(contract, stored)
    if steps:
        audit.record(actor, "timeline.steps_restored", contract,
                     f"{len(steps)} cancelled step(s) open again: {why}", contract=contract,
                     after={"steps": [s.key for s in steps]})
    return steps
