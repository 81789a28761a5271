"""What more than one area of the API shows: a contract in summary (its people, its
services, what is next), for the contract list and the single contract; and the cursor
pagination every list uses.

`ContractSummary` reads a contract with its next step annotated (`with_next_step`) and its
parties and services attached by `attach_people_and_services`, the one way they are read:
as plain rows, two queries for a page of any length.
"""

import datetime
from collections import defaultdict
from typing import Any

import pydantic
from django.http import HttpRequest
from django.urls import reverse
from ninja import Schema
from ninja.errors import ValidationError
from ninja.pagination import CursorPagination

from muster.accounts.models import ContractRole
from muster.accounts.permissions import CONTRACT_PARTIES
from muster.contracts.models import Contract, ContractService, Stage

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


# The columns a summary shows (the contract list reads no others).
SUMMARY_FIELDS = ("id", "contract_number", "name", "stage", "organization__name")


def attach_people_and_services(contracts: list[Any]) -> None:
    """Give contracts what their summaries show of their parties and services, as plain
    rows in two queries: a prefetch built a model instance for each role, user, contract
    service and service (issue 17: 700 of them for a page of 50, most of the API list's
    time)."""
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

    @staticmethod
    def resolve_organization(obj: Contract) -> str | None:
        return obj.organization.name if obj.organization else None

    @staticmethod
    def resolve_parties(obj: Contract) -> list[dict]:
        return obj.summary_parties  # type: ignore[attr-defined]  # attach_people_and_services

    @staticmethod
    def resolve_services(obj: Contract) -> list[dict]:
        return obj.summary_services  # type: ignore[attr-defined]  # attach_people_and_services

    @staticmethod
    def resolve_next_step(obj: Any) -> dict | None:
        if obj.next_step_name is None:
            return None
        # A dict: the response validates it once (a NextStep would be validated twice).
        return {"name": obj.next_step_name, "due_date": obj.next_step_due,
                "responsible": obj.next_step_responsible or []}

    @staticmethod
    def resolve_overdue(obj: Any) -> bool:
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
