"""Closeout's reads, for its pages, forms and services: the current cycle, what a DUA covers,
and what a re-award or a new contractor's contract would create (nothing is saved here)."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from muster import clock, workflow
from muster.access import dua
from muster.accounts.models import ContractRole, User
from muster.catalog.models import Service
from muster.compiled import Compiled
from muster.contracts.models import Contract, ContractService, Organization
from muster.timeline.models import ContractStep
from muster.timeline.services import COPIED_FIELDS, default_template

from .answers import NewDua, Person
from .models import Closeout, SweepRun
from .steps import NEW_CONTRACT_DONE_STEPS, REMOVE_ACCESS_STEP

SWEEP_RUNS_SHOWN = 30


def current_closeout(contract: Contract) -> Closeout | None:
    """The contract's latest closeout (its `contract` the one given, read again by
    nothing): every contract page asks it, so its query is built once per process."""
    found: list[Any] = _LATEST.objects(contract_id=contract.pk)
    if not found:
        return None
    Closeout.contract.field.set_cached_value(found[0], contract)
    return found[0]


_LATEST = Compiled(lambda contract_id: Closeout.objects.filter(contract_id=contract_id)
                   .order_by("-notice_sent_at", "-pk")[:1], contract_id=int)


def earlier_closeouts(contract: Contract, current: Closeout | None) -> list[Closeout]:
    rows = contract.closeouts.select_related("chosen_by")
    return list(rows if current is None else rows.exclude(pk=current.pk))


def predecessors(contract: Contract) -> list[Closeout]:
    """The closeouts whose new record (re-award) or new contractor's contract this is."""
    return list(contract.predecessor_closeouts.select_related("contract"))


def with_states(steps: Iterable[Any], today: datetime.date) -> list[Any]:
    """The steps, each with `current_state` (its state on `today`) for the status tag."""
    rows = list(steps)
    for step in rows:
        step.current_state = step.state(today)
    return rows


def offboarding_steps(contract: Contract, today: datetime.date) -> list[ContractStep]:
    return with_states(contract.steps.filter(process="offboarding")
                       .select_related("completed_by"), today)


def removal_done_by_carry_over(closeout: Closeout) -> bool:
    """The carry-over completed the "Contract removed from services" step itself."""
    return closeout.status == Closeout.Status.CARRIED_OVER and not closeout.contract.steps.filter(
        key=REMOVE_ACCESS_STEP, completed_at__isnull=True).exists()


def latest_sweep_runs() -> list[SweepRun]:
    return list(SweepRun.objects.order_by("-started_at", "-pk")[:SWEEP_RUNS_SHOWN])


# --- Data Use Agreements --------------------------------------------------------------


def dua_services_of(contract: Contract) -> list[Service]:
    """The contract's services that need a Data Use Agreement (requested or approved)."""
    return [item.service for item in contract.services.filter(service__requires_dua=True)
            .exclude(status=ContractService.Status.DENIED).select_related("service")]


@dataclass
class DuaCoverage:
    """Whether the contract's DUAs cover its DUA services through a day, and when the DUA
    valid today expires (None: none is valid today, so that access is already paused)."""

    covered: bool
    current_number: str = ""
    current_expiry: datetime.date | None = None


def dua_coverage(contract: Contract, through: datetime.date) -> DuaCoverage:
    """Checks a COR's "the DUA is valid through the new end date" against the DUAs on
    record: every DUA service needs a DUA valid on that day (access.dua.valid_dua)."""
    needed = dua_services_of(contract)
    covered = all(dua.valid_dua(contract, through, service) is not None for service in needed)
    today = clock.today()
    current = [found for service in needed
               if (found := dua.valid_dua(contract, today, service)) is not None]
    # Access to a DUA service pauses when the first DUA it relies on expires.
    first = min(current, key=lambda d: d.expiry_date, default=None)
    if first is None or len(current) < len(needed):
        return DuaCoverage(covered)
    return DuaCoverage(covered, first.number, first.expiry_date)


def copied_duas(contract: Contract, successor: Contract) -> QuerySet:
    """The successor's still-valid DUAs that are copies of the current contract's."""
    originals = contract.duas.values_list("document", flat=True)
    return successor.duas.filter(invalidated_at__isnull=True, document__in=list(originals))


# --- What a re-award would create ----------------------------------------------------------


@dataclass
class ReawardPlan:
    """What saving a re-award will create (or change): shown to the COR to confirm."""

    updating: Contract | None
    name: str
    contract_number: str
    task_order_number: str
    award_date: datetime.date | None
    pop_start: datetime.date
    pop_end: datetime.date
    pop_start_reason: str
    organization: Organization | None
    parties: list[tuple[str, str]]
    services: list[Service]
    duas: list[str]
    access_moves_on: datetime.date | None


def _long_date(day: datetime.date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def _planned_duas(contract: Contract, answers: dict, new: NewDua | None) -> list[str]:
    if not dua_services_of(contract):
        return []
    if answers.get("dua_still_valid"):
        kept = [f"DUA {d.number}, valid until {_long_date(d.expiry_date)} (kept from the "
                "current contract)"
                for d in contract.duas.filter(invalidated_at__isnull=True,
                                              expiry_date__gte=clock.today())]
        return kept or ["None valid on record: access to the services that need a DUA "
                        "pauses when access moves, until a DUA's PDF is uploaded on the "
                        "new contract."]
    if new is not None:
        return [f"New DUA {new.number}, valid until {_long_date(new.expiry_date)}"]
    return ["None: access to the services that need a DUA pauses when access moves, "
            "until the new DUA's PDF is uploaded on the new contract."]


def reaward_plan(contract: Contract, closeout: Closeout | None, answers: dict, *,
                 dua: NewDua | None = None, new_so: Person | None = None,
                 new_spoc: Person | None = None) -> ReawardPlan:
    """The record reaward.make_successor would make from these answers."""
    people = []
    for role, new in ((ContractRole.Role.COR, None), (ContractRole.Role.POC, None),
                      (ContractRole.Role.SO, new_so), (ContractRole.Role.SPOC, new_spoc)):
        label = ContractRole.Role(role).label
        if new is not None:
            people.append((label, f"{new.full_name} ({new.email}, HARP ID {new.harp_id}) — new"))
            continue
        for holder in workflow.people_with_roles(contract, role):
            people.append((label, f"{holder.full_name} ({holder.email})"))
    services = [item.service for item in contract.services.filter(
        status=ContractService.Status.APPROVED).select_related("service")]
    return ReawardPlan(
        updating=closeout.successor if closeout is not None else None,
        name=answers.get("new_name") or contract.name,
        contract_number=answers["new_contract_number"],
        task_order_number=answers.get("new_task_order_number", ""),
        award_date=answers.get("new_award_date"),
        pop_start=answers["new_pop_start"], pop_end=answers["new_pop_end"],
        pop_start_reason=answers.get("pop_start_reason", ""),
        organization=contract.organization, parties=people, services=services,
        duas=_planned_duas(contract, answers, dua), access_moves_on=contract.pop_end,
    )


# --- What the new contractor's contract would get ---------------------------------------


@dataclass
class NewContractPlan:
    """What new_contract.start_new_contract will create, for the team to check first."""

    cors: list[User]
    services: list[Service]
    steps: list[ContractStep]  # unsaved, of the onboarding process, with due dates
    overlap_days: int  # days both contracts' periods of performance run together


def new_contract_plan(closeout: Closeout, *, award_date: datetime.date,
                      pop_start: datetime.date | None = None, **_typed) -> NewContractPlan:
    """The parties, services and onboarding timeline the new contract would get, computed
    as instantiate_timeline will."""
    contract = closeout.contract
    template = default_template()
    anchors = {"estimated_award_date": award_date, "award_date": award_date,
               "pop_start": pop_start, "pop_end": None}
    steps = []
    for definition in template.steps.filter(process="onboarding") if template else []:
        step = ContractStep(**{f: getattr(definition, f) for f in COPIED_FIELDS})
        step.due_date = step.due_from(anchors.get(step.anchor))
        if step.key in NEW_CONTRACT_DONE_STEPS:
            step.completed_at = clock.now()
        steps.append(step)
    overlap = 0
    if pop_start and contract.pop_end and pop_start <= contract.pop_end:
        overlap = (contract.pop_end - pop_start).days + 1
    return NewContractPlan(
        cors=workflow.people_with_roles(contract, ContractRole.Role.COR),
        services=[item.service for item in contract.services.exclude(
            status=ContractService.Status.DENIED).select_related("service")],
        steps=with_states(steps, clock.today()), overlap_days=overlap,
    )
