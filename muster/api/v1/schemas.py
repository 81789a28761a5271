"""What more than one area of the API shows: a contract in summary (its people, its
services, what is next), for the contract list and for anything that names a contract (a
request, a grant); and the cursor pagination every list uses.

`ContractSummary` reads a contract from `summary_queryset` (people and services prefetched,
next step annotated), so a list of them costs the same few queries whatever its length:
return such contracts from an operation declared `response=list[ContractSummary]`, or call
`ContractSummary.of(request, contract)`. A schema of another row with a `contract:
ContractSummary` field reads its `contract`: prefetch `summary_prefetches("contract__")`
on that row's queryset (without, each row costs a few queries).
"""

import datetime
from collections import defaultdict
from typing import Any

import pydantic
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from ninja import Schema
from ninja.errors import ValidationError
from ninja.pagination import CursorPagination

from muster import clock
from muster.accounts.models import ContractRole
from muster.accounts.permissions import CONTRACT_PARTIES, visible_contracts
from muster.contracts.models import Contract, ContractService, Stage
from muster.contracts.queries import with_next_step
from muster.timeline.models import ContractStep, StepState
from muster.timeline.queries import next_open_step

# The order the contract page lists its parties in.
PARTY_ORDER = ("cor", "poc", "so", "spoc")


class Party(Schema):
    """A person named on the contract: its COR, POC, SO or SPOC."""

    role: str
    name: str
    email: str


class ServiceOnContract(Schema):
    slug: str
    name: str
    status: ContractService.Status


class NextStep(Schema):
    """The contract's open step due first: what, when, and who must act."""

    name: str
    due_date: datetime.date
    responsible: list[str]


def summary_queryset(user, queryset: QuerySet[Contract] | None = None) -> QuerySet[Contract]:
    """The contracts of `queryset` the person may see, with what a summary shows: the next
    step annotated, people and services prefetched (one query each)."""
    return with_people_and_services(with_next_step(visible_contracts(user, queryset)))


def summary_prefetches(path: str = "") -> list[Prefetch]:
    """What a summary reads, to prefetch: for contracts themselves (`path` ""), or for the
    contract of other rows (`path` "contract__", on a queryset of requests or grants), so
    a list of those with a `ContractSummary` in each stays a few queries."""
    parties = ContractRole.objects.filter(role__in=CONTRACT_PARTIES).select_related("user")
    prefetches = [
        Prefetch(f"{path}roles", queryset=parties, to_attr="api_parties"),
        Prefetch(f"{path}services", queryset=ContractService.objects.select_related("service"),
                 to_attr="api_services"),
    ]
    if path:  # no next-step annotation on a related contract: its steps instead
        prefetches.append(Prefetch(f"{path}steps", queryset=ContractStep.objects.all()))
    return prefetches


def with_people_and_services(queryset: QuerySet[Contract]) -> QuerySet[Contract]:
    return queryset.select_related("organization").prefetch_related(*summary_prefetches())


# The columns a summary shows (the contract list reads no others).
SUMMARY_FIELDS = ("id", "contract_number", "name", "stage", "organization__name")


def attach_people_and_services(contracts: list[Any]) -> None:
    """Give a page of contracts (read without summary_prefetches) what their summaries show
    of their parties and services, as plain rows in two queries: the prefetch built a
    model instance for each role, user, contract service and service (issue 17: 700 of
    them for a page of 50, most of the API list's time)."""
    ids = [c.pk for c in contracts]
    parties: dict[int, list] = defaultdict(list)
    services: dict[int, list] = defaultdict(list)
    if ids:
        for contract_id, role, pk, name, email in (
            ContractRole.objects.filter(contract_id__in=ids, role__in=CONTRACT_PARTIES)
            .order_by().values_list("contract_id", "role", "pk", "user__full_name",
                                    "user__email")):
            parties[contract_id].append(((PARTY_ORDER.index(role), pk),
                                         {"role": role, "name": name, "email": email}))
        for contract_id, slug, name, status in (
            ContractService.objects.filter(contract_id__in=ids)  # the model's order
            .values_list("contract_id", "service__slug", "service__name", "status")):
            services[contract_id].append({"slug": slug, "name": name, "status": status})
    for contract in contracts:
        contract.summary_parties = [row for _, row in sorted(parties[contract.pk],
                                                             key=lambda kv: kv[0])]
        contract.summary_services = services[contract.pk]


def _request(context: Any) -> HttpRequest:
    return context["request"]


class ContractSummary(Schema):
    id: int
    contract_number: str
    name: str
    stage: Stage
    organization: str | None
    parties: list[Party]
    services: list[ServiceOnContract]
    next_step: NextStep | None
    overdue: bool  # an open step is past its due date
    url: str  # this contract in the API
    page_url: str  # its page, for a person

    @classmethod
    def of(cls, request: HttpRequest, contract: Contract):
        return cls.model_validate(contract, context={"request": request})

    @staticmethod
    def resolve_organization(obj: Contract) -> str | None:
        return obj.organization.name if obj.organization else None

    @staticmethod
    def resolve_parties(obj: Contract) -> list[Party] | list[dict]:
        attached = getattr(obj, "summary_parties", None)  # attach_people_and_services
        if attached is not None:
            return attached
        roles = getattr(obj, "api_parties", None)
        if roles is None:  # not prefetched (summary_prefetches): read them now
            roles = obj.roles.filter(role__in=CONTRACT_PARTIES).select_related("user")
        ordered = sorted(roles, key=lambda r: (PARTY_ORDER.index(r.role), r.pk))
        return [Party(role=r.role, name=r.user.full_name, email=r.user.email)
                for r in ordered]

    @staticmethod
    def resolve_services(obj: Contract) -> list[ServiceOnContract] | list[dict]:
        attached = getattr(obj, "summary_services", None)  # attach_people_and_services
        if attached is not None:
            return attached
        items = getattr(obj, "api_services", None)
        if items is None:
            items = obj.services.select_related("service")
        return [ServiceOnContract(slug=i.service.slug, name=i.service.name, status=i.status)
                for i in items]

    @staticmethod
    def resolve_next_step(obj: Any) -> NextStep | dict | None:
        if not hasattr(obj, "next_step_name"):  # a related contract: from its steps
            step = next_open_step(obj.steps.all())  # an open step with a due date
            if step is None or step.due_date is None:
                return None
            return NextStep(name=step.name, due_date=step.due_date, responsible=step.responsible)
        if obj.next_step_name is None:
            return None
        # A dict: the response validates it once (a NextStep would be validated twice).
        return {"name": obj.next_step_name, "due_date": obj.next_step_due,
                "responsible": obj.next_step_responsible or []}

    @staticmethod
    def resolve_overdue(obj: Any) -> bool:
        if not hasattr(obj, "is_overdue"):
            today = clock.today()
            return any(s.state(today) == StepState.OVERDUE for s in obj.steps.all())
        return bool(obj.is_overdue)

    @staticmethod
    def resolve_url(obj: Contract, context: Any) -> str:
        return _absolute(context, "api:get_contract", obj.pk)

    @staticmethod
    def resolve_page_url(obj: Contract, context: Any) -> str:
        return _absolute(context, "contracts:detail", obj.pk)


_PK = 2_147_483_647  # a placeholder id no address holds but where a contract's id goes


def _absolute(context: Any, name: str, pk: int) -> str:
    """The absolute address of a contract's page (`name`, taking only its id): reversed
    and made absolute once a response, the id then put in its place (a list of 50 reversed
    100 addresses)."""
    request = _request(context)
    cached = context.setdefault("contract_urls", {})  # the response's validation context
    if name not in cached:
        # The id is the address's last number (the host cannot follow the path).
        before, _, after = request.build_absolute_uri(reverse(name, args=[_PK])).rpartition(
            str(_PK))
        cached[name] = (before, after)
    before, after = cached[name]
    return f"{before}{pk}{after}"


BAD_CURSOR = {"loc": ("query", "cursor"),
              "msg": "This cursor is not one a page of this list gave: start again without "
                     "it, and follow each page's `next`."}


class Cursors(CursorPagination):
    """ninja's cursor pagination, with a made-up cursor answered as bad input (422, naming
    `cursor`) rather than a server error."""

    class Cursor(CursorPagination.Cursor):
        @classmethod
        def from_encoded_param(cls, encoded_param, context=None):
            try:
                return super().from_encoded_param(encoded_param, context)
            except (ValidationError, pydantic.ValidationError, UnicodeError) as error:
                raise ValidationError([BAD_CURSOR]) from error

    def _find_position(self, queryset, cursor):
        try:
            return super()._find_position(queryset, cursor)
        except (ValueError, TypeError) as error:  # a position that is not an id
            raise ValidationError([BAD_CURSOR]) from error
