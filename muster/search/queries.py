"""The header search: contracts, people and requests matching the words typed, limited to
what the person may see (accounts.permissions decides), a few of each, one query a group.

Every word must match one of a result's fields (a contract's name, number, task order or
organization; a person's name, email address or HARP ID; a request's contract, service or
organization), case-insensitively.
"""

from dataclasses import dataclass, field
from functools import reduce
from operator import and_, or_

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from muster.access.queries import visible_requests
from muster.accounts import permissions
from muster.accounts.models import ContractRole, User
from muster.contracts.models import Contract
from muster.onboarding.models import OnboardingRequest

MIN_LENGTH = 2  # characters: one letter finds half the database
MAX_LENGTH = 100
MAX_WORDS = 6
PER_GROUP = 5


@dataclass
class Group:
    key: str
    title: str
    results: list = field(default_factory=list)
    more: bool = False  # more results than shown
    more_url: str = ""  # where they all are, when a list exists


def words_of(q: str) -> list[str]:
    return q.split()[:MAX_WORDS]


def _matching(words: list[str], fields: list[str]) -> Q:
    """Every word in one of the fields."""
    return reduce(and_, (reduce(or_, (Q(**{f"{name}__icontains": word}) for name in fields))
                         for word in words))


def _first(queryset: QuerySet, key: str, title: str) -> Group:
    rows = list(queryset[:PER_GROUP + 1])
    return Group(key, title, rows[:PER_GROUP], more=len(rows) > PER_GROUP)


CONTRACT_FIELDS = ["name", "contract_number", "task_order_number", "organization__name",
                   "organization__harp_name"]


def contracts(user, words: list[str]) -> Group:
    """Contracts the person may open; a contractor user also finds the contracts they are
    a user on (their access page, not the contract's: they cannot open that)."""
    seen = permissions.visible_contracts(user)
    as_user = ContractRole.objects.filter(contract=OuterRef("pk"), user=user,
                                          role=ContractRole.Role.CONTRACTOR_USER)
    queryset = (Contract.objects.filter(Q(pk__in=seen.values("pk")) | Q(Exists(as_user)))
                .filter(_matching(words, CONTRACT_FIELDS))
                .annotate(opens=Exists(seen.filter(pk=OuterRef("pk"))))
                .select_related("organization").order_by("name", "pk"))
    return _first(queryset, "contracts", "Contracts")


def people(user, words: list[str]) -> Group:
    """The team finds everyone; anyone else finds the people of the contracts they see
    (the parties; a roster's users where they may see the roster) and themselves. Each
    person comes with one contract where the searcher sees them."""
    fields = ["full_name", "email", "harp_id"]
    if permissions.sees_every_contract(user):
        queryset = User.objects.all()
        roles = ContractRole.objects.all()
    else:
        roles = permissions.visible_people_roles(user)
        queryset = User.objects.filter(Q(pk=user.pk) | Q(Exists(roles.filter(user=OuterRef("pk")))))
    where = roles.filter(user=OuterRef("pk")).order_by("role", "contract__name", "pk")
    queryset = (queryset.filter(_matching(words, fields))
                .annotate(seen_role=Subquery(where.values("role")[:1]),
                          seen_contract_id=Subquery(where.values("contract_id")[:1]),
                          seen_contract_name=Subquery(where.values("contract__name")[:1]))
                # Whether the searcher may open that contract's page (a contractor user
                # finds themselves on a contract they cannot open).
                .annotate(contract_opens=Exists(permissions.visible_contracts(user).filter(
                    pk=OuterRef("seen_contract_id"))))
                .order_by("full_name", "pk"))
    return _first(queryset, "people", "People")


def onboarding_requests(user, words: list[str]) -> Group:
    seen = permissions.visible_contracts(user)
    queryset = (OnboardingRequest.objects.filter(contract__in=seen.values("pk"))
                .filter(_matching(words, [f"contract__{f}" for f in CONTRACT_FIELDS]))
                .select_related("contract", "contract__organization")
                .order_by("contract__name", "pk"))
    return _first(queryset, "onboarding", "Onboarding requests")


def service_requests(user, words: list[str]) -> Group:
    fields = ["contract__name", "contract__contract_number", "service__name",
              "organization_name"]
    queryset = (visible_requests(user).filter(_matching(words, fields))
                .select_related("contract", "service").order_by("-requested_at", "-pk"))
    return _first(queryset, "service_requests", "Additional-service requests")


def search(user, q: str) -> list[Group]:
    """The groups of results for `q` (already at least MIN_LENGTH characters)."""
    words = words_of(q)
    return [contracts(user, words), people(user, words), onboarding_requests(user, words),
            service_requests(user, words)]


ROLE_NAMES = dict(ContractRole.Role.choices)
