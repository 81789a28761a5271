"""Every read the access app's pages (and its services' checks) share: the roster and a
member's grants, what waits for confirmation, a person's own access, the DUA's state, and
the additional-service requests a person sees. Services write; pages read here."""

import datetime
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypedDict

from django.db.models import Count, Exists, FilteredRelation, OuterRef, Q, QuerySet
from django.db.models.functions import Lower
from django_stubs_ext import WithAnnotations

from muster.accounts import permissions
from muster.accounts.models import ContractRole, User
from muster.audit.models import AuditEvent
from muster.catalog.models import Service
from muster.compiled import Compiled, Limit
from muster.contracts.cor_filter import AmongIds
from muster.contracts.models import Contract, ContractService, DataUseAgreement

from .dua import valid_dua
from .models import (
    REQUESTABLE_STAGES,
    UNDECIDED_REQUESTS,
    AccessGrant,
    AdditionalServiceRequest,
    GrantStatus,
    PauseReason,
    RosterImport,
)

MEMBER = ContractRole.Role.CONTRACTOR_USER

# The EUA rule, in one place: a grant that gives (or is about to give) access to a service
# with an EUA job code needs its holder's EUA background check complete. The member page
# notes such grants; reconciliation lists them across every contract.
EUA_CHECKED = (GrantStatus.ACTIVE, GrantStatus.REQUESTED)


def needs_eua_check(grant) -> bool:
    return bool(grant.service.eua_job_code) and grant.status in EUA_CHECKED


def needing_eua_check(grants: QuerySet) -> QuerySet:
    return grants.filter(status__in=EUA_CHECKED).exclude(service__eua_job_code="")
EXPIRING_SOON_DAYS = 30
BY_SERVICE = ("service__order", "service__name", "-requested_at")


# --- A person's own access ------------------------------------------------------------


def grants_of(user) -> QuerySet[AccessGrant]:
    """A person's own grants, every state, by contract then service: one query."""
    return (AccessGrant.objects.filter(user=user).select_related("contract", "service")
            .order_by(Lower("contract__name"), "service__order", "-requested_at"))


def grants_by_contract(user) -> dict[int, list[AccessGrant]]:
    """A person's own grants grouped by contract id (one query)."""
    grouped: dict[int, list[AccessGrant]] = {}
    for grant in grants_of(user):
        grouped.setdefault(grant.contract_id, []).append(grant)
    return grouped


def rosters_of(user) -> QuerySet[ContractRole]:
    """The contracts whose roster the person is on, by name."""
    return (ContractRole.objects.filter(user=user, role=MEMBER).select_related("contract")
            .order_by(Lower("contract__name")))


def waiting_for_confirmation(user) -> QuerySet[AccessGrant]:
    """Requested grants the person confirms: every one for the onboarding team, those of
    their services for a service lead."""
    rows = AccessGrant.objects.filter(status=GrantStatus.REQUESTED)
    if permissions.ONBOARDING_TEAM not in permissions.team_roles(user):
        rows = rows.filter(service_id__in=permissions.led_service_ids(user))
    return rows.select_related("contract", "service", "user", "requested_by").order_by(
        "requested_at", "pk")


def grants_for_bulk(ids: list[int], contracts) -> dict[int, AccessGrant]:
    """The grants a bulk action selected (`ids`), among those of `contracts` (a queryset of
    contract pks, or a list), by id, with what their labels name: one query."""
    rows = AccessGrant.objects.filter(pk__in=ids, contract__in=contracts)
    return {g.pk: g for g in rows.select_related("contract", "service", "user")}


# --- The roster -----------------------------------------------------------------------


_APPROVED = Compiled(
    lambda contract_id: Service.objects.filter(
        contract_services__contract_id=contract_id,
        contract_services__status=ContractService.Status.APPROVED).order_by("order", "name"),
    contract_id=int,
)


def approved_services(contract: Contract) -> list[Service]:
    """The services approved for the contract, in catalog order (a query built once per
    process: the roster, its grant forms and the welcome package read it)."""
    return _APPROVED.objects(contract_id=contract.pk)  # type: ignore[return-value]


@dataclass(slots=True)
class RosterGrant:
    """A grant as the roster's rows show it (views/roster_rows.py); the view adds what the
    viewer may do with it."""

    pk: int
    status: str
    service_id: int
    service_name: str
    eua_job_code: str
    contract: Contract  # who may confirm it depends on their roles on it
    may_confirm: bool = False
    revocable: bool = False


@dataclass(slots=True)
class RosterMember:
    """A person on the roster as its page lists them, with their grants on the contract
    (by service)."""

    user_id: int
    full_name: str
    email: str
    harp_id: str
    eua_check: str
    grants: list[RosterGrant] = field(default_factory=list)


def _roster_rows(contract_id, chosen: QuerySet) -> QuerySet:
    """The `chosen` people (a query of user ids) with their place on the roster, each of
    their grants on the contract (none: one row of Nones) and its service: one row a grant,
    by name then service. One query where a page of members and their grants were two,
    and no model instances (150 a page, each with its signals)."""
    grants = FilteredRelation("access_grants", condition=Q(access_grants__contract_id=contract_id))
    return (User.objects.filter(pk__in=chosen, contract_roles__contract_id=contract_id,
                                contract_roles__role=MEMBER)
            .annotate(grant=grants)
            .values_list("pk", "full_name", "email", "harp_id", "contract_roles__eua_check",
                         "grant__pk", "grant__status", "grant__service_id",
                         "grant__service__name", "grant__eua_job_code")
            .order_by(*_by_name(), "grant__service__order", "grant__service__name",
                      "-grant__requested_at"))  # each person's grants BY_SERVICE


def _members_of(contract: Contract, rows) -> list[RosterMember]:
    """_roster_rows' rows as members, each with their grants."""
    members: dict[int, RosterMember] = {}
    for user_id, name, email, harp_id, eua_check, grant_id, status, service_id, service, code \
            in rows:
        if user_id not in members:
            members[user_id] = RosterMember(user_id, name, email, harp_id, eua_check)
        if grant_id is not None:
            members[user_id].grants.append(
                RosterGrant(grant_id, status, service_id, service, code, contract))
    return list(members.values())


def _chosen(people: QuerySet, page: slice) -> QuerySet:
    """A page of the people, by name: their ids."""
    return people.order_by(*_by_name()).values("pk")[page]


def _on_roster(contract_id) -> QuerySet:
    return ContractRole.objects.filter(contract_id=contract_id, role=MEMBER)


def _roster_people(contract_id) -> QuerySet:
    """The roster's people: its roles read first (by index), then the users by primary key."""
    return User.objects.filter(AmongIds(_on_roster(contract_id).order_by().values("user_id")))


def _chosen_on_roster(contract_id, page: slice) -> QuerySet:
    """A page of the roster by name, its people's ids: read in order from the roles'
    index roster_by_name (the name and email each role keeps, accounts/sort_keys.py), not
    from every member's name in the users table."""
    return _on_roster(contract_id).order_by("sort_name", "sort_email").values("user_id")[page]


# The unsearched roster's size and its pages: queries built once per process.
_ROSTER_SIZE = Compiled(lambda contract_id: _on_roster(contract_id).order_by().values("pk"),
                        contract_id=int)
_ROSTER_PAGE = Compiled(
    lambda contract_id, start, stop: _roster_rows(
        contract_id, _chosen_on_roster(contract_id, slice(start, stop))),
    contract_id=int, start=Limit, stop=Limit,
)


class Members:
    """The roster by name; with `q`, those whose name or email contains it. For Django's
    Paginator: `count()`, and a page (a slice) of RosterMembers in one query each.

    The roster's people are read first (the contract's roles by index, then the users by
    primary key) and only their names and emails searched, never the whole users table
    (issue 17: a parallel scan of 130,000 users, twice, for a roster of 2,000). Unsearched,
    a page chooses its people from the roles' own sort key (index roster_by_name); searched,
    from the matching users by name. Then it joins their roles: with the join inside the
    choice, a prepared statement's generic plan tested every row against the whole roster
    (150 ms for 2,000). Unsearched, both are queries built once per process (a search's
    words go through the ORM: they are written into its SQL wrapped in %...%)."""

    def __init__(self, contract: Contract, q: str = ""):
        self.contract, self.q = contract, q

    def _searched(self) -> QuerySet:
        q = self.q
        return _roster_people(self.contract.pk).filter(
            Q(full_name__icontains=q) | Q(email__icontains=q))

    def count(self) -> int:
        # Unsearched, the roles alone answer (their index; reading 2,000 users took 4 ms).
        return self._searched().count() if self.q else roster_size(self.contract)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, page: slice) -> list[RosterMember]:
        if not isinstance(page, slice):
            raise TypeError("the roster is read a page (a slice) at a time")
        if self.q:
            rows = list(_roster_rows(self.contract.pk, _chosen(self._searched(), page)))
        else:
            rows = _ROSTER_PAGE.rows(contract_id=self.contract.pk, start=page.start or 0,
                                     stop=page.stop)
        return _members_of(self.contract, rows)

    def __iter__(self) -> Iterator[ContractRole]:
        """Every member (the CSV export): one query."""
        return iter(_on_roster(self.contract.pk).select_related("user")
                    .order_by(*_by_name("user__")))


def _by_name(path: str = "") -> tuple:
    """The roster's order: a person's name, case aside, then email (unique)."""
    return Lower(f"{path}full_name"), f"{path}email"


def members(contract: Contract, q: str = "") -> Members:
    return Members(contract, q)


def roster_size(contract: Contract) -> int:
    return _ROSTER_SIZE.count(contract_id=contract.pk)


def is_member(contract: Contract, user) -> bool:
    return contract.roles.filter(user=user, role=MEMBER).exists()


def grants_by_user(contract: Contract) -> dict[int, list[AccessGrant]]:
    """The contract's grants by person, each person's by service: one query. Each grant
    knows its contract without another query."""
    rows = contract.access_grants.select_related("service").order_by(*BY_SERVICE)
    grouped: dict[int, list[AccessGrant]] = defaultdict(list)
    for grant in rows:
        grouped[grant.user_id].append(grant)
    return grouped


_GRANT_COUNTS = Compiled(
    lambda contract_id: AccessGrant.objects.filter(contract_id=contract_id).order_by()
    .values("status").annotate(n=Count("pk")).values_list("status", "n"),
    contract_id=int,
)


def grant_counts(contract: Contract) -> dict[str, int]:
    """How many of the contract's grants are in each state (every state named): a query
    built once per process."""
    counts = dict(_GRANT_COUNTS.rows(contract_id=contract.pk))
    return {s.value: counts.get(s.value, 0) for s in GrantStatus}


def dua_blocked(contract: Contract, approved: list[Service], day: datetime.date) -> list[Service]:
    """Approved services that need a DUA the contract does not have (valid on `day`)."""
    return [s for s in approved if s.requires_dua and valid_dua(contract, day, s) is None]


_OPEN_IMPORTS = Compiled(
    lambda contract_id: RosterImport.objects.filter(
        contract_id=contract_id, status=RosterImport.Status.PREVIEW).order_by("-uploaded_at")[:5],
    contract_id=int,
)


def open_imports(contract: Contract) -> list[RosterImport]:
    """The latest files uploaded and not yet imported or discarded (a query built once per
    process: the roster asks on every visit)."""
    return _OPEN_IMPORTS.objects(contract_id=contract.pk)  # type: ignore[return-value]


def unrevoked_grants(contract: Contract, user) -> QuerySet[AccessGrant]:
    return contract.access_grants.filter(user=user).exclude(status=GrantStatus.REVOKED)


def person_of(contract: Contract, user_pk) -> User | None:
    """Someone on the contract's roster or with access on it, else None: a posted id must
    not tell the SO the name of anyone else in Muster."""
    return User.objects.filter(
        Q(contract_roles__contract=contract, contract_roles__role=MEMBER)
        | Q(access_grants__contract=contract)
    ).filter(pk=user_pk).distinct().first()


ROLE_TYPE = ContractRole._meta.label_lower  # the audit's object_type of a roster place


@dataclass
class MemberPage:
    role: ContractRole | None  # None once they left the roster
    grants: list[AccessGrant]
    history: QuerySet[AuditEvent]


def member_page(contract: Contract, member: User) -> MemberPage:
    """A person's place on the roster, their grants and the last 100 events about them."""
    role = contract.roles.filter(user=member, role=MEMBER).first()
    grants = list(contract.access_grants.filter(user=member)
                  .select_related("service", "requested_by", "revoked_by")
                  .order_by(*BY_SERVICE))
    # Their EUA checks were recorded on their place on the roster: this one, or one they
    # held before being taken off (its id is on the event that added or removed them).
    places = AuditEvent.objects.filter(
        contract=contract, object_type=ROLE_TYPE, action__startswith="access.user_").filter(
        Q(after__user=member.email) | Q(before__user=member.email)).values("object_id")
    history = AuditEvent.objects.filter(contract=contract).filter(
        Q(object_type="access.accessgrant", object_id__in=[str(g.pk) for g in grants])
        | Q(action__startswith="access.user_", after__user=member.email)
        | Q(action__startswith="access.user_", before__user=member.email)
        | Q(action="contract.eua_check", object_type=ROLE_TYPE,
            object_id__in=[str(role.pk)] if role is not None else [])
        | Q(action="contract.eua_check", object_type=ROLE_TYPE, object_id__in=places)
    ).select_related("actor").order_by("-id")[:100]
    return MemberPage(role, grants, history)


def export_rows(contract: Contract) -> Iterator[tuple]:
    """The roster as CSV rows: one per grant, or one without a grant (two queries)."""
    grants = grants_by_user(contract)
    for m in members(contract):
        person = (m.user.full_name, m.user.email, m.user.harp_id)
        check = m.get_eua_check_display()  # the person's, on each of their rows
        if not grants.get(m.user_id):
            yield (*person, "", "", "", check)
        for g in grants.get(m.user_id, []):
            yield (*person, g.service.name, g.get_status_display(), g.eua_job_code, check)


# --- Data Use Agreements --------------------------------------------------------------


# A contract's paused grants, and how many of them its lapsed DUA paused: no row when it
# has none (a query built once per process: the page of a contract with a DUA asks).
_PAUSED_COUNTS = Compiled(
    lambda contract_id: AccessGrant.objects.filter(
        contract_id=contract_id, status=GrantStatus.PAUSED).order_by()
    .values("contract_id")
    .annotate(total=Count("pk"),
              for_dua=Count("pk", filter=Q(pause_reason=PauseReason.DUA_LAPSED)))
    .values_list("total", "for_dua"),
    contract_id=int,
)


@dataclass(frozen=True)
class DuaStatus:
    state: str  # valid, expiring soon, expired, invalid, not in effect yet, missing, not needed
    dua: DataUseAgreement | None  # the valid DUA, else the latest uploaded
    days_to_expiry: int | None  # negative once expired
    needed: bool
    contract: Contract = field(repr=False, compare=False)

    # The paused grants are counted when a page shows them: the contract page shows no DUA
    # state for a contract that needs none and holds none (most contracts), so no query.
    @cached_property
    def _paused(self) -> dict[str, int]:
        found = _PAUSED_COUNTS.rows(contract_id=self.contract.pk)
        total, for_dua = found[0] if found else (0, 0)
        return {"total": total, "for_dua": for_dua}

    @property
    def paused_for_dua(self) -> int:
        """Grants paused because the DUA lapsed."""
        return self._paused["for_dua"]

    @property
    def paused(self) -> int:
        """Every paused grant."""
        return self._paused["total"]

    @property
    def number(self) -> str:
        return self.dua.number if self.dua else ""

    @property
    def expiry_date(self) -> datetime.date | None:
        return self.dua.expiry_date if self.dua else None

    @property
    def days_since_expiry(self) -> int | None:
        return -self.days_to_expiry if self.days_to_expiry is not None else None

    @property
    def problem(self) -> bool:
        return self.needed and self.state not in ("valid", "expiring soon")


DUA_NEEDED_BY = (ContractService.Status.APPROVED, ContractService.Status.REQUESTED)


def dua_status(contract: Contract, day: datetime.date, services=None) -> DuaStatus:
    """The contract's DUA as its pages show it. `services`: the contract's ContractServices
    with their service, when the page loaded them already (the contract page), to save the
    query that asks whether a DUA is needed."""
    if services is None:
        needed = ContractService.objects.filter(
            contract=contract, service__requires_dua=True, status__in=DUA_NEEDED_BY,
        ).exists()
    else:
        needed = any(s.service.requires_dua and s.status in DUA_NEEDED_BY for s in services)
    # The valid DUA (valid_dua's choice for no particular service: the latest to expire),
    # else the latest uploaded: one query for both, as a contract holds a handful.
    duas = list(contract.duas.all())
    valid = [d for d in duas if d.is_valid_on(day)]
    dua = (max(valid, key=lambda d: (d.expiry_date, d.uploaded_at, d.pk)) if valid
           else max(duas, key=lambda d: (d.uploaded_at, d.pk), default=None))
    days = (dua.expiry_date - day).days if dua else None
    if not needed:
        state = "not needed"
    elif dua is None or days is None:
        state = "missing"
    elif dua.invalidated_at is not None:
        state = "invalid"
    elif dua.expiry_date < day:
        state = "expired"
    elif not dua.is_valid_on(day):
        state = "not in effect yet"
    elif days <= EXPIRING_SOON_DAYS:
        state = "expiring soon"
    else:
        state = "valid"
    return DuaStatus(state=state, dua=dua, days_to_expiry=days, needed=needed, contract=contract)


def dua_services() -> QuerySet[Service]:
    """The catalog's services that need a DUA (what an upload may cover)."""
    return Service.objects.filter(requires_dua=True).order_by("order", "name")


def dua_services_wanted(contract: Contract) -> list[int]:
    """The DUA services the contract asked for and was not denied (an upload's default)."""
    return list(ContractService.objects.filter(
        contract=contract, service__requires_dua=True,
    ).exclude(status=ContractService.Status.DENIED).values_list("service_id", flat=True))


def duas_of(contract: Contract) -> QuerySet[DataUseAgreement]:
    """Every DUA the contract holds or held, newest first."""
    return (contract.duas.select_related("uploaded_by", "invalidated_by")
            .prefetch_related("services").order_by("-uploaded_at", "-pk"))


# --- Additional-service requests ------------------------------------------------------

Req = AdditionalServiceRequest
S = AdditionalServiceRequest.Status


def blockers(contract: Contract, service: Service | None = None) -> list[str]:
    """Why this contract cannot ask for (this) service now: empty when it can."""
    reasons = []
    if contract.stage not in REQUESTABLE_STAGES:
        reasons.append(
            f"A contract in stage “{contract.get_stage_display()}” cannot ask for an "
            "additional service: only an onboarding, active or closing contract can."
        )
    if service is None:
        return reasons
    if not service.is_active:
        reasons.append(f"{service} is not offered to new requests.")
    existing = contract.services.filter(service=service).first()
    if existing is not None and existing.status != ContractService.Status.DENIED:
        reasons.append(
            f"{service} is already {existing.get_status_display().lower()} for this contract."
        )
    if Req.objects.filter(contract=contract, service=service,
                          status__in=UNDECIDED_REQUESTS).exists():
        reasons.append(f"A request for {service} on this contract is already open.")
    return reasons


def requestable_services(contract: Contract) -> QuerySet[Service]:
    """Active services the contract does not have and has no open request for."""
    held = ContractService.objects.filter(
        contract=contract, service=OuterRef("pk")
    ).exclude(status=ContractService.Status.DENIED)
    asked = Req.objects.filter(contract=contract, service=OuterRef("pk"),
                               status__in=UNDECIDED_REQUESTS)
    return Service.objects.filter(is_active=True).exclude(Exists(held)).exclude(Exists(asked))


def visible_requests(user) -> QuerySet[AdditionalServiceRequest]:
    """The requests a person's lists show: their contracts' requests (a COR, POC, SO or
    SPOC); past the COR's approval, every request (the team) or those for the services they
    lead (a service lead)."""
    if not user.is_authenticated:
        return Req.objects.none()
    return Req.objects.filter(_visible(user.pk, permissions.sees_every_contract(user),
                                       permissions.led_service_ids(user)))


def _visible(user_id: int, sees_every: bool, leads) -> Q:
    past_cor = permissions.SERVICE_REQUEST_PAST_COR
    condition = Q(contract_id__in=ContractRole.objects.filter(
        user_id=user_id, role__in=permissions.CONTRACT_PARTIES).values("contract_id"))
    if sees_every:
        condition |= Q(status__in=past_cor)
    if leads:
        condition |= Q(status__in=past_cor, service_id__in=leads)
    return condition


def contract_requests(user, contract) -> list[AdditionalServiceRequest]:
    """visible_requests of one contract, with their services (its page's access panel):
    for all but service leads (whose condition lists their services), a query built once
    per process for whether the person sees every contract."""
    if not user.is_authenticated or permissions.led_service_ids(user):
        return list(visible_requests(user).filter(contract=contract).select_related("service"))
    built = _CONTRACT_REQUESTS[permissions.sees_every_contract(user)]
    return built.objects(user_id=user.pk, contract_id=contract.pk)  # type: ignore[return-value]


_CONTRACT_REQUESTS = {sees_every: Compiled(
    lambda user_id, contract_id, sees_every=sees_every: Req.objects.filter(
        _visible(user_id, sees_every, ()), contract_id=contract_id).select_related("service"),
    user_id=int, contract_id=int) for sees_every in (False, True)}


class _MyCor(TypedDict):
    my_cor: bool


def request_list(user) -> "QuerySet[WithAnnotations[AdditionalServiceRequest, _MyCor]]":
    """The person's requests for their list page, newest first, each marked `my_cor` when
    they are its contract's COR."""
    return (
        visible_requests(user)
        .select_related("contract", "contract__organization", "service", "requested_by")
        .annotate(my_cor=Exists(ContractRole.objects.filter(
            contract=OuterRef("contract_id"), user=user, role=ContractRole.Role.COR)))
        .order_by("-requested_at", "-pk")
    )


def request_for_page(pk) -> AdditionalServiceRequest | None:
    return AdditionalServiceRequest.objects.select_related(
        "contract", "contract__organization", "service", "requested_by",
        "cor_decided_by", "decided_by",
    ).filter(pk=pk).first()


def addendum_state(req: AdditionalServiceRequest) -> str:
    """For an approved request: "sent" (a package listing the service went out after the
    decision), "preparing" (one was asked for since, and waits for its PDF: the worker
    sends it), "failed" (the worker gave up on every one asked for since: the team can try
    again from the contract's welcome packages), "with_initial" (no package sent yet: the
    first one will list it), or "pending" (the onboarding team still has to send the
    addendum)."""
    if req.status != S.APPROVED or req.decided_at is None:
        return ""
    packages = list(
        req.contract.welcome_packages.only("services", "sent_at", "requested_at", "state"))
    if not packages:
        return "with_initial"
    name = req.service.name
    listing = [p for p in packages if p.requested_at >= req.decided_at
               and any(s.get("name") == name for s in p.services)]
    if any(p.sent_at is not None for p in listing):
        return "sent"
    if not listing:
        return "pending"
    gave_up = all(p.state == p.State.FAILED for p in listing)
    return "failed" if gave_up else "preparing"


def packages_listing(req: AdditionalServiceRequest) -> list:
    """The welcome packages sent since an approved request's decision that list its
    service."""
    if req.decided_at is None or req.status != S.APPROVED:
        return []
    return [
        p for p in req.contract.welcome_packages.filter(sent_at__gte=req.decided_at)
        .order_by("version")
        if any(s.get("name") == req.service.name for s in p.services)
    ]


def cancellable_now(req: AdditionalServiceRequest, addendum: str | None = None) -> bool:
    """Waiting for the leads, or approved while its addendum has not been sent (`addendum`:
    its `addendum_state`, when the caller has it)."""
    if req.status == S.AWAITING_LEADS:
        return True
    if req.status != S.APPROVED:
        return False
    return (addendum_state(req) if addendum is None else addendum) in ("pending", "with_initial")
