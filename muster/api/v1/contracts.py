"""API v1: contracts, as the contract list and the contract page show them.

The list is the list page's (contracts.queries.contract_list, its filters checked by the
page's own ContractFilterForm); one contract is `permissions.contract_for` as its page
asks it; the DUAs are the DUA page's (access.queries). Nothing here decides who sees what.
The contract's audit events are in events.py (on this router: /contracts/{id}/events).
"""

import datetime
import functools
from typing import Any, Literal

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import ValidationError
from ninja.pagination import paginate

from muster import clock
from muster.access import queries as access_queries
from muster.accounts import permissions
from muster.accounts.permissions import Action
from muster.contracts import queries
from muster.contracts.forms import ContractFilterForm
from muster.contracts.models import Contract, DataUseAgreement, Stage
from muster.timeline.models import ContractStep, StepState

from ..problems import COMMON, WITH_OBJECT
from .schemas import (
    SUMMARY_COLUMNS,
    ContractSummary,
    Cursors,
    answered_as_written,
    attach_people_and_services,
    summaries,
)

router = Router(tags=["contracts"])


# --- The list --------------------------------------------------------------------------


class ContractFilters(Schema):
    """The contract list page's filters (its sort is the cursor's: newest record first)."""

    q: str | None = Field(None, max_length=100,
                          description="Words in the name, contract or task order number, or "
                                      "organization")
    stage: Stage | None = None
    cor: int | None = Field(None, description="A COR's id (a party's, on a contract you see)")
    service: int | None = Field(None, description="A service's id")
    overdue: bool = Field(False, description="Only contracts with an overdue step")


@functools.cache
def _unfiltered() -> dict[str, Any]:
    """What the list page's form makes of no filters: the same for everyone (only a COR
    given reads who asks), so made once per process."""
    return ContractFilterForm({}).filters()


def _chosen(filters: ContractFilters, user) -> dict[str, Any]:
    """The filters as the list page's form accepts them for this person; a value it refuses
    (a COR of no contract they see, an unknown service) is a 422 naming it."""
    given = {name: value for name, value in filters.model_dump().items()
             if value not in (None, "", False)}
    if not given:
        return {name: value for name, value in _unfiltered().items() if name != "sort"}
    form = ContractFilterForm(given, user=user)
    if not form.is_valid():
        raise ValidationError([{"loc": ("query", field), "msg": " ".join(map(str, messages))}
                               for field, messages in form.errors.items()])
    chosen = form.filters()
    chosen.pop("sort")
    return chosen


class ContractPages(Cursors):
    """The list's pages, of rows of SUMMARY_COLUMNS, written as summaries (their parties and
    services read in a query each)."""

    def paginate_queryset(self, queryset, pagination, request, **params):
        page = super().paginate_queryset(queryset, pagination, request, **params)
        rows = page[self.items_attribute]
        # The Output schema's order of keys (previous, next, results), as it would dump them.
        return {name: summaries(rows, request) if name == self.items_attribute else page[name]
                for name in self.Output.model_fields}

    def _get_position(self, item: tuple) -> str:
        return str(item[0])  # the id (SUMMARY_COLUMNS)


@router.get("", response={200: list[ContractSummary], **COMMON}, operation_id="list_contracts",
            url_name="list_contracts", summary="The contracts you may see, filtered")
@answered_as_written
@paginate(ContractPages, ordering=("-id",))
def list_contracts(request: HttpRequest, filters: Query[ContractFilters]):
    """Newest record first, 50 a page (`page_size` up to 200); follow `next`. The filters
    are the contract list page's: `overdue=true` gives the contracts with an overdue step."""
    chosen = _chosen(filters, request.user)
    contracts = queries.contract_list(request.user, **chosen, cor_name=False)
    return contracts.values_list(*SUMMARY_COLUMNS)


# --- One contract ------------------------------------------------------------------------


class Step(Schema):
    id: int
    key: str
    process: str
    phase: str
    name: str
    due_date: datetime.date | None
    due_rule: str  # e.g. "POP start + 5 business days"
    responsible: list[str]
    state: StepState
    done_at: datetime.datetime | None
    done_by: str | None
    done_note: str

    @staticmethod
    def resolve_done_at(obj: ContractStep) -> datetime.datetime | None:
        return obj.completed_at

    @staticmethod
    def resolve_done_by(obj: ContractStep) -> str | None:
        return obj.completed_by.full_name if obj.completed_by else None

    @staticmethod
    def resolve_done_note(obj: ContractStep) -> str:
        return obj.completion_note

    @staticmethod
    def resolve_state(obj: ContractStep, context: Any) -> str:
        return obj.state(context["today"])


DuaValidity = Literal["valid", "expired", "invalid", "not_in_effect_yet"]
DuaStateName = Literal["valid", "expiring_soon", "expired", "invalid", "not_in_effect_yet",
                       "missing", "not_needed"]


class Dua(Schema):
    id: int
    number: str
    effective_date: datetime.date | None
    expiry_date: datetime.date
    services: list[str]  # empty: every service
    validity: DuaValidity
    uploaded_at: datetime.datetime
    invalidated_at: datetime.datetime | None
    invalidated_reason: str

    @staticmethod
    def resolve_services(obj: DataUseAgreement) -> list[str]:
        return [s.name for s in obj.services.all()]

    @staticmethod
    def resolve_validity(obj: DataUseAgreement, context: Any) -> str:
        today = context["today"]
        if obj.invalidated_at is not None:
            return "invalid"
        if obj.expiry_date < today:
            return "expired"
        return "valid" if obj.is_valid_on(today) else "not_in_effect_yet"


class DuaState(Schema):
    """The contract's DUA as its DUA page states it, and every DUA it holds or held."""

    state: DuaStateName
    number: str | None  # the valid DUA's, else the latest uploaded
    expiry_date: datetime.date | None
    days_to_expiry: int | None  # negative once expired
    paused_for_dua: int  # grants paused until a valid DUA is uploaded
    duas: list[Dua]


def dua_state(contract: Contract, today: datetime.date) -> dict[str, Any]:
    status = access_queries.dua_status(contract, today)
    return {"state": status.state.replace(" ", "_"), "number": status.number or None,
            "expiry_date": status.expiry_date, "days_to_expiry": status.days_to_expiry,
            "paused_for_dua": status.paused_for_dua,
            "duas": list(access_queries.duas_of(contract))}


class ContractDetail(ContractSummary):
    task_order_number: str
    harp_organization: str | None
    estimated_award_date: datetime.date | None
    award_date: datetime.date | None
    pop_start: datetime.date | None
    pop_end: datetime.date | None
    type_of_work: str
    steps: list[Step]
    dua: DuaState

    @staticmethod
    def resolve_harp_organization(obj: Contract) -> str | None:
        return obj.organization.harp_name if obj.organization else None

    @staticmethod
    def resolve_steps(obj: Contract) -> list[ContractStep]:
        # The page's order: onboarding, then offboarding, each in its template's order.
        return sorted(obj.steps.all(), key=lambda s: (s.process != "onboarding", s.order))

    @staticmethod
    def resolve_dua(obj: Contract, context: Any) -> dict[str, Any]:
        return dua_state(obj, context["today"])


@router.get("/{contract_id}", response={200: ContractDetail, **WITH_OBJECT},
            operation_id="get_contract", url_name="get_contract",
            summary="One contract: parties, services, timeline, DUAs")
def get_contract(request: HttpRequest, contract_id: int):
    """404 when you may not see the contract (nothing says it exists)."""
    steps = Prefetch("steps", queryset=ContractStep.objects.select_related("completed_by"))
    queryset = queries.with_next_step(
        Contract.objects.select_related("organization").prefetch_related(steps))
    contract = permissions.contract_for(request.user, contract_id, Action.VIEW_CONTRACT,
                                        queryset=queryset)
    attach_people_and_services([contract])
    return ContractDetail.model_validate(
        contract, context={"request": request, "today": clock.today()})


@router.get("/{contract_id}/duas", response={200: DuaState, **WITH_OBJECT},
            operation_id="get_contract_duas", url_name="get_contract_duas",
            summary="The contract's Data Use Agreements and their state")
def get_contract_duas(request: HttpRequest, contract_id: int):
    contract = permissions.contract_for(request.user, contract_id, Action.VIEW_CONTRACT)
    today = clock.today()
    return DuaState.model_validate(dua_state(contract, today), context={"today": today})
