"""Writes to timelines: copy a template onto a contract, recompute due dates, complete steps."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import transaction

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
    ContractStep.objects.bulk_create(steps)
    return len(steps)


def recompute_due_dates(contract: Contract) -> list[ContractStep]:
    """Recompute the due dates of the contract's open steps; returns the steps that moved."""
    moved = []
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
    return step


@transaction.atomic
def reopen_step(actor, step: ContractStep, reason: str) -> ContractStep:
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
    return step


@transaction.atomic
def cancel_open_steps(actor, contract: Contract, process: str, why: str) -> list[ContractStep]:
    """A request was withdrawn, cancelled or rejected: its process's open steps show
    "Cancelled" (kept, never deleted) and drop out of reminders, escalations and feeds."""
    steps = list(contract.steps.select_for_update().filter(
        process=process, completed_at__isnull=True, cancelled_at__isnull=True))
    now = clock.now()
    for step in steps:
        step.cancelled_at = now
    ContractStep.objects.bulk_update(steps, ["cancelled_at"])
    if steps:
        audit.record(actor, "timeline.steps_cancelled", contract,
                     f"{len(steps)} open step(s) cancelled: {why}", contract=contract,
                     after={"steps": [s.key for s in steps]})
    return steps


@transaction.atomic
def restore_cancelled_steps(actor, contract: Contract, process: str,
                            why: str) -> list[ContractStep]:
    """The request was reopened: its cancelled steps are open again, due as their rules say."""
    steps = list(contract.steps.select_for_update().filter(
        process=process, completed_at__isnull=True, cancelled_at__isnull=False))
    for step in steps:
        step.cancelled_at = None
        step.due_date = step.due_from(anchor_date(contract, step.anchor))
    ContractStep.objects.bulk_update(steps, ["cancelled_at", "due_date"])
    if steps:
        audit.record(actor, "timeline.steps_restored", contract,
                     f"{len(steps)} cancelled step(s) open again: {why}", contract=contract,
                     after={"steps": [s.key for s in steps]})
    return steps
