"""Reads that pages share: contract lists with their next step, a contract's page and its
history."""

import datetime
from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Lower, Replace, Upper
from django.http import Http404

from muster import clock
from muster.accounts import permissions
from muster.accounts.models import ContractRole
from muster.accounts.permissions import Action
from muster.audit.models import AuditEvent
from muster.compiled import Compiled, Limit, Pages, Related
from muster.timeline.models import ContractStep

from . import cor_filter
from .models import (
    OPEN_STAGES,
    SEARCH_SEPARATOR,
    Contract,
    ContractService,
    DataUseAgreement,
    Organization,
    SavedView,
)

__all__ = ["OPEN_STAGES"]  # read by operations' metrics from here
CONTRACTOR_USER = ContractRole.Role.CONTRACTOR_USER


def with_next_step(queryset: QuerySet, today: datetime.date | None = None) -> QuerySet:
    """Each contract with its next open step (what, when, who) and whether it is overdue,
    read from the contract's row (Contract.next_step, kept by the timeline service): no
    look at any contract's steps but, for the overdue ones among the rows shown, how many
    of their steps are overdue."""
    today = today or clock.today()
    overdue_steps = ContractStep.objects.filter(
        contract=OuterRef("pk"), completed_at__isnull=True, cancelled_at__isnull=True,
        due_date__lt=today,
    ).order_by().values("contract").annotate(n=Count("pk")).values("n")[:1]
    is_overdue = Q(next_step_due__lt=today)  # the earliest open due date is before today
    return queryset.annotate(
        next_step_name=F("next_step__name"),
        next_step_responsible=F("next_step__responsible"),
        is_overdue=ExpressionWrapper(is_overdue, output_field=BooleanField()),
        # A correlated subquery in the SELECT list only: PostgreSQL evaluates it for the
        # rows a page keeps (after the LIMIT), and only for those that are overdue.
        overdue_count=Case(When(is_overdue, then=Subquery(overdue_steps))),
    ).select_related("organization")


def overdue_first(queryset: QuerySet) -> QuerySet:
    """Overdue contracts first, then by the next step's due date, undated last: the same
    order as next_step_due ascending (see Contract.next_step), which the index serves."""
    return queryset.order_by(F("next_step_due").asc(nulls_last=True), "name")


def home_open_contracts(user) -> QuerySet:
    """The contracts on a person's home page: open ones they hold a role on (all, for the
    team); nothing read to show them (what the page counts)."""
    return _open(permissions.visible_contracts(user))


def home_contracts(user) -> QuerySet:
    """home_open_contracts as the page shows them, overdue steps first."""
    return _home_rows(home_open_contracts(user), clock.today())


# What a list's row shows of a contract (contracts/_contract_table.html): its other
# columns are not read (issue 17).
ROW_COLUMNS = ("name", "contract_number", "stage", "award_date", "next_step_due",
               "organization__name")
# A list page's rows (contracts/rows.py) as dicts of these (a values() query set of
# listed() or the home's rows): model instances cost a page 1,500 Python calls more.
ROW_VALUES = ("pk", *ROW_COLUMNS, "next_step_name", "next_step_responsible", "is_overdue",
              "overdue_count")


def _open(contracts: QuerySet) -> QuerySet:
    return contracts.filter(stage__in=OPEN_STAGES)


def _home_rows(contracts: QuerySet, today: datetime.date) -> QuerySet:
    return overdue_first(with_next_step(contracts, today).only(*ROW_COLUMNS))


def _party_open(user_id: int) -> QuerySet:
    return _open(Contract.objects.filter(permissions.as_party(user_id)))


# The home page of a person who sees the contracts they hold a role on (a COR, an SO...):
# its count and its pages, built once per process (muster/compiled.py).
_PARTY_HOME = Compiled(
    lambda user_id, today, start, stop: _home_rows(_party_open(user_id), today)
    .values(*ROW_VALUES)[start:stop],
    user_id=int, today=datetime.date, start=Limit, stop=Limit)
_PARTY_HOME_COUNT = Compiled(
    lambda user_id: _party_open(user_id).order_by().values("pk"), user_id=int)


class PartyHome(Pages):
    """home_contracts of a person who sees as a party only (the same rows, as ROW_VALUES),
    a page at a time."""

    def __init__(self, user):
        super().__init__(_PARTY_HOME, _PARTY_HOME_COUNT,
                         {"user_id": user.pk, "today": clock.today()}, {"user_id": user.pk})


def home_list(user) -> "QuerySet | PartyHome":
    """What a person's home page lists (home_contracts, as ROW_VALUES), counted and read a
    page at a time: for those who see as a party only, with queries built once per
    process."""
    if permissions.sees_as_party_only(user):
        return PartyHome(user)
    return home_contracts(user).values(*ROW_VALUES)


def home_pages(user) -> tuple:
    """The home page's contracts (home_list) and what it counts."""
    listed = home_list(user)
    return listed, listed if isinstance(listed, PartyHome) else home_open_contracts(user)


def contracts_as_contractor_user(user) -> QuerySet:
    return Contract.objects.filter(
        roles__user=user, roles__role=ContractRole.Role.CONTRACTOR_USER
    ).select_related("organization")


SORTS = {
    "name": (Lower("name"), "pk"),
    "-name": (Lower("name").desc(), "pk"),
    "number": ("contract_number",),
    "-number": ("-contract_number",),
    "stage": ("stage", Lower("name")),
    "pop_end": (F("pop_end").asc(nulls_last=True), Lower("name")),
    "-pop_end": (F("pop_end").desc(nulls_last=True), Lower("name")),
    "next_due": (F("next_step_due").asc(nulls_last=True), Lower("name")),
}


def filtered_contracts(user, *, q="", stage="", cor=None, service=None, overdue=False):
    """The contracts the person may see that the list's filters keep, with nothing read to
    show them: what the list counts (listed() shows them)."""
    return _filtered(permissions.visible_contracts(user), q=q, stage=stage, cor=cor,
                     service=service, overdue=overdue, today=clock.today())


def _filtered(queryset, *, q, stage, cor, service, overdue, today) -> QuerySet:
    if q:
        # The organizations whose names hold the words, read once (2,000 of them) rather
        # than joined to each of 10,000 contracts and matched there (issue 17); AmongIds,
        # not IN, so their ids join the contracts' own index scan (trigram indexes on
        # PostgreSQL, contracts migration 0017).
        words = _searched_for(q)
        organizations = Organization.objects.filter(search_text__contains=words).values("pk")
        queryset = queryset.filter(
            Q(search_text__contains=words)
            | Q(cor_filter.AmongIds(organizations, "organization_id"))
        )
    if stage:
        queryset = queryset.filter(stage=stage)
    if cor:  # a COR, or words in a COR's name or email (contracts/cor_filter.py)
        cors = ContractRole.objects.filter(contract=OuterRef("pk"), role="cor")
        cors = (cors.filter(user__in=cor_filter.matching_cors(cor)) if isinstance(cor, str)
                else cors.filter(user=cor))
        queryset = queryset.filter(Exists(cors))
    if service:
        queryset = queryset.filter(
            Exists(ContractService.objects.filter(contract=OuterRef("pk"), service=service))
        )
    if overdue:
        queryset = queryset.filter(next_step_due__lt=today)
    return queryset


def _searched_for(q: str) -> Func:
    """The words as the rows' search texts hold them (models.search_text): upper-cased by
    the database, as the texts are. Words holding the texts' separator, which no name may
    hold, find nothing, as they did in each name alone: it becomes another invisible
    character, which no text holds either."""
    return Replace(Upper(Value(q)), Value(SEARCH_SEPARATOR), Value("\x1e"))


def listed(queryset: QuerySet, *, sort="name", cor_name=True,
           today: datetime.date | None = None) -> QuerySet:
    """The contracts of `queryset` as a list shows them: the row's columns, the next step,
    sorted; with `cor_name` each with its COR's name (the list page's column; the API names
    every party instead)."""
    queryset = with_next_step(queryset, today).only(*ROW_COLUMNS)
    if cor_name:
        # Unordered: a contract has one COR (and ContractRole's own order joined the
        # contract again for each row).
        first_cor = ContractRole.objects.filter(contract=OuterRef("pk"), role="cor").order_by(
        ).values("user__full_name")[:1]
        queryset = queryset.annotate(cor_name=Subquery(first_cor))
    return queryset.order_by(*SORTS.get(sort, SORTS["name"]))


def list_pages(user, *, sort="name", q="", stage="", cor=None, service=None,
               overdue=False) -> tuple:
    """The contract list page's contracts (listed, in `sort` order, as ROW_VALUES and
    `cor_name`) and what it counts (filtered_contracts), each read a page at a time. For
    those who see every contract, without a COR's words, with queries built once per
    process for each combination of filters and sort (TeamList)."""
    if isinstance(cor, str) or sort not in SORTS or not permissions.sees_every_contract(user):
        contracts = filtered_contracts(user, q=q, stage=stage, cor=cor, service=service,
                                       overdue=overdue)
        return listed(contracts, sort=sort).values(*ROW_VALUES, "cor_name"), contracts
    team = TeamList(sort, q=q, stage=stage, cor_id=cor.pk if cor else None,
                    service_id=service.pk if service else None, overdue=overdue)
    return team, team


_TEAM_LISTS: dict[tuple, tuple[Compiled, Compiled]] = {}


class TeamList(Pages):
    """filtered_contracts and listed for someone who sees every contract, a page at a
    time, each a query built once per process for its filters' combination and sort."""

    def __init__(self, sort: str, *, q: str, stage: str, cor_id: int | None,
                 service_id: int | None, overdue: bool):
        values = {name: value for name, value in (
            ("q", q), ("stage", stage), ("cor_id", cor_id), ("service_id", service_id))
            if value not in ("", None)}
        shape = (sort, *sorted(values), overdue)
        if shape not in _TEAM_LISTS:
            _TEAM_LISTS[shape] = _team_list(sort, overdue, values)
        today = clock.today()
        super().__init__(*_TEAM_LISTS[shape], {**values, "today": today},
                         {**values, "today": today} if overdue else values)


_TEAM_LIST_KINDS = {"q": str, "stage": str, "cor_id": int, "service_id": int}


def _team_list(sort: str, overdue: bool, values: dict) -> tuple[Compiled, Compiled]:
    """TeamList's page and count queries for a sort, whether overdue only, and which of
    the filters `values` holds."""
    kinds = {name: _TEAM_LIST_KINDS[name] for name in values}

    def contracts(today=None, q="", stage="", cor_id=None, service_id=None) -> QuerySet:
        return _filtered(Contract.objects.all(), q=q, stage=stage, cor=cor_id,
                         service=service_id, overdue=overdue, today=today)

    def pages(today, start, stop, **values) -> QuerySet:
        return (listed(contracts(today, **values), sort=sort, today=today)
                .values(*ROW_VALUES, "cor_name")[start:stop])

    def ids(**values) -> QuerySet:  # as count() would: no order, the ids alone
        return contracts(**values).order_by().values("pk")

    counted_kinds = {**kinds, "today": datetime.date} if overdue else kinds
    return (Compiled(pages, today=datetime.date, start=Limit, stop=Limit, **kinds),
            Compiled(ids, **counted_kinds))


def contract_list(user, *, sort="name", cor_name=True, **filters) -> QuerySet:
    """The contract list (filters as filtered_contracts takes them), sorted."""
    return listed(filtered_contracts(user, **filters), sort=sort, cor_name=cor_name)


# The contract page names this many contractor users; the roster page lists them all.
USERS_NAMED = 10


def contract_page(user, pk) -> Contract:
    """The contract the contract page shows, as permissions.contract_for answers it (a 404
    for a contract the person cannot see, a 403 for one they may not view), with its
    parties (`roles`): the COR, POC, SO and SPOC and the first USERS_NAMED contractor
    users put on the roster, and how many contractor users there are
    (`contractor_users`): a roster of thousands is the roster page's (its users are joined
    only for the rows shown); its services and steps. For the team and for those who see
    as a party only, each read is a query built once per process (muster/compiled.py)."""
    found = _as_seen(user, _PAGE_CONTRACT, pk=pk)
    if found is not None:
        contract = found[0] if found else None
    else:
        contract = permissions.contract_for(user, pk, Action.VIEW_CONTRACT,
                                            queryset=_page_contract(pk))
    if contract is None:  # as contract_for: nothing says it exists
        raise Http404("No such contract.")
    if not permissions.can(user, Action.VIEW_CONTRACT, contract):
        raise PermissionDenied("Your role on this contract does not allow that.")
    for related in _PAGE_RELATED:
        related.prefetch(contract)
    return contract


class _BySight:
    """A query of contracts (`build(visible, **values)`, `visible` narrowing a query set
    of contracts to those the person may see) built once per process for each way of
    seeing that holds no list in its SQL: the team's (every contract) and a party's
    (permissions.as_party, the condition visible_contracts uses for them)."""

    def __init__(self, build: Callable[..., QuerySet], **kinds: type):
        self.team = Compiled(lambda **values: build(lambda contracts: contracts, **values),
                             **kinds)
        self.party = Compiled(lambda user_id, **values: build(
            lambda contracts: contracts.filter(permissions.as_party(user_id)), **values),
            user_id=int, **kinds)


def _as_seen(user, query: _BySight, **values) -> list | None:
    """The query's contracts as the person sees them; None for a person whose sight it
    does not hold (a service lead: visible_contracts as the ORM builds it)."""
    if permissions.sees_every_contract(user):
        return query.team.objects(**values)
    if permissions.sees_as_party_only(user):
        return query.party.objects(**values, user_id=user.pk)
    return None


def _contractor_users(pk) -> QuerySet:
    return ContractRole.objects.filter(contract_id=pk, role=CONTRACTOR_USER)


def _page_contract(pk) -> QuerySet:
    """The contract page's contract: what it shows beside it, and its contractor users
    counted."""
    return Contract.objects.select_related(
        "organization", "process_template", "onboarding_request", "survey"
    ).annotate(
        # COUNT(*), not of the key: counted from the index alone (a roster of 2,000: 0.6
        # to 0.2 ms).
        contractor_users=Subquery(_contractor_users(pk).order_by().values("contract_id")
                                  .annotate(n=Count("*")).values("n")[:1]),
    )


_PAGE_CONTRACT = _BySight(lambda visible, pk: visible(_page_contract(pk)).filter(pk=pk), pk=int)


# Every role but a contractor user's: one holder each (an index holds just these).
HOLDER_ROLES = [role for role in ContractRole.Role.values if role != CONTRACTOR_USER]


def _named_parties(pk) -> QuerySet:
    """The roles the page names: the holders', then the first contractor users'. Two
    halves of a UNION, each read by its own index: asked as one condition with an OR, the
    planner guessed a third of a large roster and read it in parallel (30 ms for 14
    rows)."""
    first_users = _contractor_users(pk).order_by("assigned_at", "pk").values("pk")
    named = ContractRole.objects.filter(contract_id=pk, role__in=HOLDER_ROLES).values(
        "pk").union(ContractRole.objects.filter(pk__in=first_users[:USERS_NAMED])
                    .values("pk"), all=True)
    return (ContractRole.objects.filter(pk__in=named)
            .select_related("user").order_by())  # parties() orders them


_PAGE_RELATED = (
    Related(Contract, "roles", _named_parties),
    Related(Contract, "services", lambda pk: ContractService.objects.select_related("service")),
    Related(Contract, "steps", lambda pk: ContractStep.objects.select_related("completed_by")),
    # Access's panel reads the contract's DUAs (a handful) on every visit.
    Related(Contract, "duas", lambda pk: DataUseAgreement.objects.all()),
)


PARTY_ORDER = {"cor": 0, "poc": 1, "so": 2, "spoc": 3, CONTRACTOR_USER: 4}


def parties(contract) -> tuple[list[ContractRole], int]:
    """The parties the contract page names, in the order people look for them (users by
    name), and how many contractor users it does not name (`contract` from
    contract_page)."""
    named = sorted(contract.roles.all(), key=lambda r: (PARTY_ORDER.get(r.role, 9),
                                                         r.user.full_name.lower(), r.pk))
    shown_users = sum(r.role == CONTRACTOR_USER for r in named)
    return named, (contract.contractor_users or 0) - shown_users


def related_records(user, contract) -> dict:
    """The records this one follows and is followed by (closeout scenarios 1 and 2), those
    the person may open."""
    related = _as_seen(user, _RELATED, pk=contract.pk)
    if related is None:
        related = list(_related(lambda c: permissions.visible_contracts(user, c), contract.pk))
    return {"follows": [c for c in related if c.followed == 0],
            "followed_by": [c for c in related if c.followed == 1]}


def _related(visible, pk) -> QuerySet:
    # One query for both lists (a UNION: each half reads its own index, and UNION drops
    # the duplicates DISTINCT did); `followed` tells the halves apart. Only the columns the
    # page shows (a link: the pk, and the name and number its text is).
    follows = Contract.objects.filter(closeouts__successor_id=pk).annotate(followed=Value(0))
    followed_by = Contract.objects.filter(
        predecessor_closeouts__contract_id=pk).annotate(followed=Value(1))
    shown = ("pk", "name", "contract_number")
    return visible(follows).only(*shown).order_by().union(
        visible(followed_by).only(*shown).order_by()
    ).order_by("name", "pk")


_RELATED = _BySight(_related, pk=int)


def history(contract: Contract, action: str = "") -> QuerySet[AuditEvent]:
    """The contract's audit events, newest first; with `action` (a request or command
    run's id), only the events it caused."""
    events = AuditEvent.objects.filter(contract=contract).select_related("actor")
    return events.filter(request_id=action) if action else events


# Keys of an event's "after" that name another contract record (a re-award's or a new
# contractor's): the history links them, so each record's story leads to the other's.
RELATED_KEYS = {"predecessor": "Follows", "successor": "Followed by"}


def link_related_contracts(user, events) -> None:
    """Give each event `related`: [(label, contract)] for the records it names that the
    person may open (one query for the page)."""
    named = {e.pk: [(label, e.after.get(key)) for key, label in RELATED_KEYS.items()
                    if isinstance(e.after.get(key), int)] for e in events}
    pks = {pk for pairs in named.values() for _, pk in pairs}
    visible = {c.pk: c for c in permissions.visible_contracts(
        user, Contract.objects.filter(pk__in=pks))} if pks else {}
    for event in events:
        event.related = [(label, visible[pk]) for label, pk in named[event.pk] if pk in visible]


# --- Saved views of the contract list -------------------------------------------------------


def saved_views(user) -> QuerySet[SavedView]:
    """The person's own saved views (nobody else's), by name."""
    if not user.is_authenticated:
        return SavedView.objects.none()
    return SavedView.objects.filter(user=user)


_SAVED_VIEWS = Compiled(lambda user_id: SavedView.objects.filter(user_id=user_id), user_id=int)


def saved_views_listed(user) -> list[SavedView]:
    """saved_views(user), read for the contract list, which shows them on every page: by a
    query built once per process (building it was 1,100 of the list's Python calls)."""
    if not user.is_authenticated:
        return []
    return _SAVED_VIEWS.objects(user_id=user.pk)  # type: ignore[return-value]


def view_of(user, pk) -> SavedView | None:
    """One of the person's saved views; None for anyone else's (as if it did not exist)."""
    return saved_views(user).filter(pk=pk).first()

