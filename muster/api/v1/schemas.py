"""What more than one area of the API shows: a contract in summary (its people, its
services, what is next), for the contract list and the single contract; and the cursor
pagination every list uses.

`ContractSummary` reads a contract with its next step annotated (`with_next_step`) and its
parties and services attached by `attach_people_and_services`; the list writes the same
summaries from rows (`summaries`, sent by `answered_as_written`). Parties and services are
read one way (`people_and_services`): as plain rows, two queries for a page of any length.
"""

import datetime
import functools
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pydantic
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Schema
from ninja.errors import ValidationError
from ninja.pagination import CursorPagination
from ninja.renderers import JSONRenderer

from muster.accounts.models import ContractRole
from muster.accounts.permissions import CONTRACT_PARTIES
from muster.compiled import Compiled
from muster.contracts.models import Contract, ContractService, Stage
from muster.plans import ConstantIn

# The order the contract page lists its parties in.
PARTY_ORDER = ("cor", "poc", "so", "spoc")
assert list(PARTY_ORDER) == sorted(PARTY_ORDER)  # _parties_of sorts them by name


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


# What a summary shows of a contract, as the list reads it: rows of these columns (no model
# instance), written by `summaries`.
SUMMARY_COLUMNS = ("id", "contract_number", "name", "stage", "organization__name",
                   "next_step_name", "next_step_due", "next_step_responsible", "is_overdue")


# The sizes a query of a page's contracts is built for (up to the largest page): one query
# per size, not per page size. At most 50 values, so psycopg keeps the query's conversion.
_SIZES = (1, 2, 5, 10, 20, 50, 100, 200)


def _padded(ids: list[int]) -> list[int]:
    """The ids, the last repeated up to the next of _SIZES (IN does not mind)."""
    size = next((size for size in _SIZES if size >= len(ids)), len(ids))
    return ids + ids[-1:] * (size - len(ids))


def _among(build: Callable[[list[int]], QuerySet], size: int) -> Compiled:
    """`build(ids)`'s query for `size` contract ids, built once per process."""
    return Compiled(lambda **ids: build(list(ids.values())),
                    **{f"contract{n}": int for n in range(size)})


def _parties_of(ids: list[int]) -> QuerySet:
    # PARTY_ORDER is the roles' alphabetical order (SQL's, whatever the collation).
    return (ContractRole.objects.filter(ConstantIn("role", sorted(CONTRACT_PARTIES)),
                                        contract_id__in=ids)
            .order_by("role", "pk")
            .values_list("contract_id", "role", "user__full_name", "user__email"))


def _services_of(ids: list[int]) -> QuerySet:
    return (ContractService.objects.filter(contract_id__in=ids)  # the model's order
            .values_list("contract_id", "service__slug", "service__name", "status"))


# For each size: the parties' query and the services' (one entry: another thread may be
# adding it).
_BY_SIZE: dict[int, tuple[Compiled, Compiled]] = {}


def people_and_services(ids: list[int]) -> tuple[dict[int, list], dict[int, list]]:
    """Each contract's parties and services as its summary shows them, as plain rows in
    two queries: a prefetch built a model instance for each role, user, contract service
    and service (issue 17: 700 of them for a page of 50, most of the API list's time)."""
    parties: dict[int, list] = defaultdict(list)
    services: dict[int, list] = defaultdict(list)
    if not ids:
        return parties, services
    padded = _padded(ids)
    size, values = len(padded), {f"contract{n}": pk for n, pk in enumerate(padded)}
    built = _BY_SIZE.get(size)
    if built is None:
        built = _BY_SIZE[size] = (_among(_parties_of, size), _among(_services_of, size))
    parties_of, services_of = built
    for contract_id, role, name, email in parties_of.rows(**values):
        parties[contract_id].append({"role": role, "name": name, "email": email})
    for contract_id, slug, name, status in services_of.rows(**values):
        services[contract_id].append({"slug": slug, "name": name, "status": status})
    return parties, services


def attach_people_and_services(contracts: list[Any]) -> None:
    """Give contracts what their summaries show of their parties and services
    (people_and_services)."""
    parties, services = people_and_services([c.pk for c in contracts])
    for contract in contracts:
        contract.summary_parties = parties[contract.pk]
        contract.summary_services = services[contract.pk]


def next_step(name: str | None, due: datetime.date | None,
              responsible: list[str] | None) -> dict | None:
    """The contract's next step as a summary shows it (from its annotations: with_next_step)."""
    if name is None:
        return None
    return {"name": name, "due_date": due, "responsible": responsible or []}


def summaries(rows: list[tuple], request: HttpRequest) -> list[dict]:
    """Contracts as ContractSummary shows them (its fields, in its order, as its
    `model_dump` gives them), from rows of SUMMARY_COLUMNS: written here, not validated
    object by object (issue 17: ninja's validation of a page of 50 was half the list's
    calls). tests/api hold the two to the same answer."""
    parties, services = people_and_services([row[0] for row in rows])
    api_url, page_url = (_address(request, name) for name in ("api:get_contract",
                                                              "contracts:detail"))
    return [{"id": pk, "contract_number": number, "name": name, "stage": stage,
             "organization": organization, "parties": parties[pk], "services": services[pk],
             "next_step": next_step(step, due, responsible), "overdue": bool(overdue),
             "url": f"{api_url[0]}{pk}{api_url[1]}", "page_url": f"{page_url[0]}{pk}{page_url[1]}"}
            for pk, number, name, stage, organization, step, due, responsible, overdue in rows]


# The API's renderer (NinjaAPI's own, as muster/api/api.py leaves it).
RENDERER = JSONRenderer()


def answered_as_written(view: Callable) -> Callable:
    """An operation's view (over ninja's `paginate`, whose document it keeps) whose answer
    is already what its response schema would dump (`summaries`): sent as the API renders
    JSON, not validated again field by field."""

    @functools.wraps(view)
    def answer(request: HttpRequest, **kwargs) -> HttpResponse:
        return HttpResponse(RENDERER.render(request, view(request, **kwargs), response_status=200),
                            content_type=f"{RENDERER.media_type}; charset={RENDERER.charset}")

    return answer


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
        # A dict: the response validates it once (a NextStep would be validated twice).
        return next_step(obj.next_step_name, obj.next_step_due, obj.next_step_responsible)

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


def _address(request: HttpRequest, name: str) -> tuple[str, str]:
    """The absolute address of a contract's page (`name`, taking only its id) as what
    goes before and after the id: reversed and made absolute once a response (a list of 50
    reversed 100 addresses)."""
    # The id is the address's last number (the host cannot follow the path).
    before, _, after = request.build_absolute_uri(reverse(name, args=[_PK])).rpartition(
        str(_PK))
    return before, after


def _absolute(context: Any, name: str, pk: int) -> str:
    cached = context.setdefault("contract_urls", {})  # the response's validation context
    if name not in cached:
        cached[name] = _address(_request(context), name)
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
