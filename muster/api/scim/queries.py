"""What the SCIM feed reads: who has active access, and to which service of which contract.

A person is in /Users while at least one of their grants is active (muster.access: a
requested, paused or revoked grant gives no access). A group is a service a contract has
approved (its "<contract pk>-<service slug>" is its id); its members are the people whose
grant to that service on that contract is active. Each list is one count, one page, and
one query for what the page's rows need, however many rows there are.
"""

import re

from django.db.models import (
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Concat

from muster.access.models import AccessGrant, GrantStatus
from muster.accounts.models import User
from muster.contracts.models import ContractService

GROUP_ID = re.compile(r"^(?P<contract>[0-9]{1,18})-(?P<service>[-a-zA-Z0-9_]{1,50})$")


def _active_grants() -> QuerySet[AccessGrant]:
    return AccessGrant.objects.filter(status=GrantStatus.ACTIVE)


def _last_grant_change(**outer) -> Subquery:
    """When a grant matching `outer` (OuterRef lookups) last changed, any state."""
    latest = (AccessGrant.objects.filter(**outer).order_by("-updated_at")
              .values("updated_at")[:1])
    return Subquery(latest)


# --- Users ---------------------------------------------------------------------------


def people(condition: Q | None = None) -> QuerySet[User]:
    """People with active access (meeting `condition`), oldest account first, with what
    their resource shows: their active grants (contract and service) and when their
    access last changed."""
    holding = _active_grants().filter(user=OuterRef("pk"))
    rows = User.objects.filter(Exists(holding))
    if condition is not None:
        rows = rows.filter(condition)
    return rows.order_by("pk")


def with_their_access(rows: QuerySet[User]) -> QuerySet[User]:
    grants = (_active_grants().select_related("contract", "service")
              .order_by("contract_id", "service__order", "service_id"))
    return rows.annotate(access_changed_at=_last_grant_change(user=OuterRef("pk"))
                         ).prefetch_related(Prefetch("access_grants", queryset=grants,
                                                     to_attr="active_grants"))


def person(user_id: str) -> User | None:
    if not user_id.isdigit() or len(user_id) > 18:
        return None
    return with_their_access(people(Q(pk=int(user_id)))).first()


# --- Groups --------------------------------------------------------------------------


def groups(condition: Q | None = None) -> QuerySet[ContractService]:
    """Each approved service of each contract (meeting `condition`), by contract then
    service, with its display name ("<contract number> <service name>")."""
    rows = (ContractService.objects.filter(status=ContractService.Status.APPROVED)
            .select_related("contract", "service")
            .annotate(display_name=Concat(F("contract__contract_number"), Value(" "),
                                          F("service__name"))))
    if condition is not None:
        rows = rows.filter(condition)
    return rows.order_by("contract_id", "service_id")


def with_changes(rows: QuerySet[ContractService]) -> QuerySet[ContractService]:
    return rows.annotate(access_changed_at=_last_grant_change(
        contract=OuterRef("contract_id"), service=OuterRef("service_id")))


def group(group_id: str) -> ContractService | None:
    found = GROUP_ID.match(group_id)
    if found is None:
        return None
    return with_changes(groups(Q(contract_id=int(found["contract"]),
                                 service__slug=found["service"]))).first()


def members_of(rows: list[ContractService]) -> dict[tuple[int, int], list[User]]:
    """The people with active access to each group of `rows`, in one query."""
    found: dict[tuple[int, int], list[User]] = {(r.contract_id, r.service_id): [] for r in rows}
    if not rows:
        return found
    grants = (_active_grants().filter(contract_id__in={r.contract_id for r in rows},
                                      service_id__in={r.service_id for r in rows})
              .select_related("user").order_by("user_id"))
    for grant in grants:
        key = (grant.contract_id, grant.service_id)
        if key in found:
            found[key].append(grant.user)
    return found
