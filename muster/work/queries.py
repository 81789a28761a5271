"""What My work, the dashboard and the filtered list read: a handful of queries each,
however many contracts and items there are (pinned by tests/work/test_query_counts.py)."""

import datetime
import heapq
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    Exists,
    F,
    Field,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.utils import timezone

from muster.accounts import permissions
from muster.accounts.models import TeamRole
from muster.compiled import Compiled, Limit
from muster.contracts.models import Contract, Stage
from muster.plans import ConstantIn
from muster.reverse_once import Addresses

from .items import (
    AGE_BUCKETS,
    KINDS,
    SERVICE_KINDS,
    Kind,
    WorkItem,
    anchor_range_for_due,
    end_of_week,
    opened_range_for_age,
)
from .models import Assignment
from .rows import options

PAGE_SIZE = 25


def scope(user) -> dict[str, QuerySet]:
    """The open items of the kinds this person works on, by kind: every item for the
    team, its lead and administrators; a service lead's services' grants and requests."""
    if permissions.sees_every_contract(user):
        return {key: kind.open_rows() for key, kind in KINDS.items()}
    leads = permissions.led_service_ids(user)
    if not leads:
        return {}
    return {key: KINDS[key].open_rows().filter(service_id__in=leads) for key in SERVICE_KINDS}


def first_rows(rows: QuerySet, stop: int) -> QuerySet:
    """The first `stop` rows of `rows` in its order, in one query: the ids are chosen by a
    narrow subquery (the item's table, its assignment and what it is ordered by), then
    only those rows are joined to their contract, service, user and assignee. Joining
    every open item to them before keeping a page read every grant waiting for
    confirmation (7,861 at 10,000 contracts: 26 ms) to show 25."""
    return rows.filter(pk__in=rows.values("pk")[:stop])


class Merged:
    """Open items of several kinds as one list in due-date order (overdue first, no due
    date last), for Django's Paginator: `count()` is one COUNT per kind; a page reads at
    most `stop` rows of each kind (one query each) and merges them."""

    def __init__(self, rows: Mapping[str, QuerySet | None], today: datetime.date,
                 counts: dict[str, int] | None = None, narrow_first: bool = True,
                 read: Callable[[str, int], list] | None = None):
        # `counts`: how many rows each kind has, when counted already. A kind with none is
        # read all the same: the page's queries stay as many whatever the data (the load
        # benchmark holds them equal at 10 and 100 contracts).
        self.rows, self.today, self.known_counts = rows, today, counts
        # first_rows, or the rows themselves when the database can walk an index in their
        # order and stop at the page's end (the unassigned lists).
        self.narrow_first = narrow_first
        # A kind's first `stop` rows (of list_columns) read another way than from `rows`
        # (the same query, built once per process: my_lists; `rows` holds only the kinds).
        self.read = read

    def count(self) -> int:
        if self.known_counts is not None:  # counted already (mine_and_waiting_counts)
            return sum(self.known_counts.values())
        return sum(qs.count() for qs in self.rows.values() if qs is not None)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            raise TypeError("a merged list is read a page (a slice) at a time")
        start, stop = index.start or 0, index.stop
        assert stop is not None, "a page has an end"
        # Rows are read as values (Kind.list_columns), merged by their order alone; only
        # the page's become WorkItems (their age, due text and link cost business-day
        # arithmetic and a reverse each). No model instance: a list of 25 read up to 100
        # rows a list, and making them was a fifth of My work's Python calls.
        tz, links = timezone.get_current_timezone(), Addresses()
        streams = []
        for key, qs in self.rows.items():
            kind = KINDS[key]
            page: Any
            if self.read is not None or qs is None:
                assert self.read is not None, "a kind without rows is read by `read`"
                page = self.read(key, stop)
            else:
                page = (first_rows(qs, stop) if self.narrow_first else qs[:stop]
                        ).values_list(*kind.list_columns)
            streams.append(_placed(kind, page, tz))
        # Places are unique (they end with the kind and the pk): the merge compares them
        # alone, never a kind.
        merged = heapq.merge(*streams)
        return [kind.item(kind.list_row(values), self.today, tz, links, place=place)
                for place, kind, values in itertools.islice(merged, start, stop)]


def _placed(kind: Kind, rows: Iterable[tuple], tz) -> Iterator[tuple[tuple, Kind, tuple]]:
    """Each row with its place in the merged list (Kind.values_sort_key), worked out as the
    merge reaches it: about `stop` rows in all, not `stop` rows of each kind. The item
    takes its due and opened dates from it rather than working them out again."""
    for values in rows:
        yield kind.values_sort_key(values, tz), kind, values


@dataclass
class Candidates:
    """Who may be given an item: the onboarding team and its lead (every kind), and each
    service's leads (its grants and requests). Read once per page."""

    team: list[tuple[int, str]] = field(default_factory=list)
    leads: dict[int, list[tuple[int, str]]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> "Candidates":
        found = cls()
        seen_team: set[int] = set()
        for user_id, name, role, service_id in _CANDIDATES.rows():
            if role == permissions.SERVICE_LEAD:
                if service_id is not None:
                    found.leads.setdefault(service_id, []).append((user_id, name))
            elif user_id not in seen_team:
                seen_team.add(user_id)
                found.team.append((user_id, name))
        return found

    def everyone(self) -> list[tuple[int, str]]:
        people = dict(self.team)
        for leads in self.leads.values():
            people.update(leads)
        return sorted(people.items(), key=lambda p: p[1].lower())

    def for_item(self, item: WorkItem) -> list[tuple[int, str]]:
        people = list(self.team)
        if item.service_id is not None:
            known = {pk for pk, _ in people}
            people += [p for p in self.leads.get(item.service_id, []) if p[0] not in known]
        return sorted(people, key=lambda p: p[1].lower())


# Candidates' roles, a query built once per process (My work and each item's page ask it).
_CANDIDATES = Compiled(lambda: TeamRole.objects.filter(
    role__in=[*permissions.WORK_ASSIGNERS, permissions.SERVICE_LEAD], user__is_active=True)
    .values_list("user_id", "user__full_name", "role", "service_id")
    .order_by("user__full_name", "user_id"))


def offer(user, items: list[WorkItem], candidates: Candidates) -> list[WorkItem]:
    """What each item's row or panel offers this person (accounts.permissions decides):
    Take it (nobody has it, or they may give out work), a choice of people, Unassign (or
    Give it back, for their own).

    Also what the controls show per row, computed here once rather than by the template
    per row: the three action addresses (one reverse: they share the item's own), the
    words naming the item to a screen reader (four times a row), and the choice of people
    as <option>s, rendered once per distinct (people, selected person) on the page."""
    assigner = permissions.may_assign_work(user)
    people_of: dict[int | None, list[tuple[int, str]]] = {}
    options_of: dict[tuple[int | None, int | None], str] = {}
    written: dict[int, str] = {}  # each person's <option>, once a page
    links = Addresses()
    for item in items:
        if assigner:
            if item.service_id not in people_of:
                people_of[item.service_id] = candidates.for_item(item)
            item.candidates = people_of[item.service_id]
        else:
            item.candidates = []
        own = item.assignee_id == user.pk
        # An assigner may work on every item (may_work_on): asked per item of the others.
        item.may_take = (not own and (assigner or permissions.may_work_on(user, item.obj))
                         and (item.assignee_id is None or assigner))
        item.may_assign = assigner
        item.may_unassign = item.assignee_id is not None and (assigner or own)
        page = links("work:item", item.kind.key, item.pk)
        item.take_url, item.assign_url, item.unassign_url = (
            f"{page}take/", f"{page}assign/", f"{page}unassign/")  # work/urls.py: ITEM + …
        item.spoken = f"{item.kind.label.lower()} of {item.contract.name}" + (
            f", {item.title}" if item.title != item.kind.label else "")
        if item.candidates:
            key = (item.service_id, item.assignee_id)
            if key not in options_of:
                options_of[key] = options(item.candidates, item.assignee_id, written)
            item.options = options_of[key]
    return items


Counts = dict[str, int]


def mine_and_waiting_counts(rows: dict[str, QuerySet], user) -> tuple[Counts, Counts]:
    """How many open items of each kind are assigned to the person, and how many to
    nobody: one query a kind for both (a COUNT for each list read every open grant twice)."""
    return _summed({key: counts_of(qs, user.pk) for key, qs in rows.items()})


def _summed(counted: Mapping[str, Iterable[tuple[int, int]]]) -> tuple[Counts, Counts]:
    """Each kind's (mine, waiting) counts of its statuses, added up."""
    mine, waiting = dict.fromkeys(counted, 0), dict.fromkeys(counted, 0)
    for key, by_status in counted.items():
        for n_mine, n_waiting in by_status:
            mine[key] += n_mine
            waiting[key] += n_waiting
    return mine, waiting


def counts_of(rows: QuerySet, user_id: int) -> QuerySet:
    """How many of `rows` are assigned to the person and how many to nobody: one row. A
    query set, not an aggregate, so that it can be built once: "grouped" by a constant,
    which Django leaves out of GROUP BY (grouped by status, the 7,877 grants waiting for
    confirmation were counted 0.6 ms slower)."""
    return (rows.order_by().annotate(counted=Value(1, output_field=_AS_RETURNED))
            .values("counted")
            .annotate(mine=Count("pk", filter=Q(work_assignment__assignee=user_id)),
                      waiting=Count("pk", filter=Q(work_assignment__isnull=True)))
            .values_list("mine", "waiting"))


def assigned_to(rows: dict[str, QuerySet], user) -> dict[str, QuerySet]:
    """The items assigned to the person. The assignment's own link to the kind, said again
    (`grant_id IS NOT NULL`: the join implies it), tells PostgreSQL that only the person's
    assignments of this kind match, a few hundred rows, whose items it then looks up;
    without it, it expected all of the person's assignments and read every open item to
    join them (the 7,877 grants waiting for confirmation: 2.5 ms against 0.6 ms)."""
    return {key: qs.filter(work_assignment__assignee=user,
                           **{f"work_assignment__{KINDS[key].field}__isnull": False})
            for key, qs in rows.items()}


def my_lists(user, today: datetime.date) -> tuple[Merged, Merged]:
    """My work's two lists: the person's items, and those assigned to nobody. For those
    who see every contract (their scope is every open item), each kind's queries are
    built once per process (muster/compiled.py): building and compiling them was about
    35,000 of the page's 127,000 Python calls, and even building the scope's query sets
    unused some 7,000 of 52,000."""
    if not permissions.sees_every_contract(user):
        return orm_lists(user, scope(user), today)
    counted: dict[str, list[tuple[int, int]]] = {key: [] for key in KINDS}
    for key, n_mine, n_waiting in _COUNTS.rows(user_id=user.pk):
        counted[key].append((n_mine, n_waiting))
    mine, waiting = _summed(counted)
    every: dict[str, QuerySet | None] = dict.fromkeys(KINDS)
    return (Merged(every, today, mine,
                   read=lambda key, stop: _ASSIGNED[key].rows(user_id=user.pk, stop=stop)),
            Merged(every, today, waiting, read=lambda key, stop: _UNASSIGNED[key].rows(stop=stop)))


def orm_lists(user, rows: dict[str, QuerySet], today: datetime.date) -> tuple[Merged, Merged]:
    """my_lists for the scope `rows`, read through the ORM (a service lead's services)."""
    mine_count, waiting_count = mine_and_waiting_counts(rows, user)
    return (Merged(assigned_to(rows, user), today, mine_count),
            Merged(unassigned(rows), today, waiting_count, narrow_first=False))


def _counts_of_every_kind(user_id: int) -> QuerySet:
    """counts_of every kind's open items, as rows (kind, mine, waiting): one
    query (UNION ALL) rather than one a kind. The items alone (not open_rows(), which
    joins each assignee for their name)."""
    counted = [counts_of(kind.model.objects.filter(ConstantIn("status", kind.statuses)),
                         user_id)
               .annotate(kind=Value(key, output_field=CharField()))
               .values_list("kind", "mine", "waiting") for key, kind in KINDS.items()]
    return counted[0].union(*counted[1:], all=True).order_by()


def _every_open(key: str) -> dict[str, QuerySet]:
    return {key: KINDS[key].open_rows()}


# The lists of my_lists for the whole scope, as Merged reads them (first_rows; the rows).
_ASSIGNED = {key: Compiled(
    lambda user_id, stop, key=key: first_rows(assigned_to(_every_open(key), user_id)[key], stop)
    .values_list(*KINDS[key].list_columns), user_id=int, stop=Limit) for key in KINDS}
_COUNTS = Compiled(_counts_of_every_kind, user_id=int)
_UNASSIGNED = {key: Compiled(
    lambda stop, key=key: unassigned(_every_open(key))[key][:stop]
    .values_list(*KINDS[key].list_columns), stop=Limit) for key in KINDS}


def unassigned(rows: dict[str, QuerySet]) -> dict[str, QuerySet]:
    """The items nobody is assigned, as NOT EXISTS: PostgreSQL takes the join's
    `assignment.id IS NULL` for a filter it cannot estimate (one row), so it sorted every
    grant waiting for confirmation to keep 25 instead of walking the open grants' index."""
    return {key: qs.filter(~Exists(Assignment.objects.filter(**{KINDS[key].field: OuterRef("pk")})))
            for key, qs in rows.items()}


# --- The filtered list ------------------------------------------------------------------

DUE_FILTERS = {"overdue": "Overdue", "week": "Due this week"}


@dataclass
class Filters:
    """The filtered list's filters, from its query string; a value that is not one of the
    choices is ignored (the list shows more, never an error)."""

    kind: str = ""
    status: str = ""
    assignee: str = ""  # a person's id, "none" (unassigned) or "me"
    age: str = ""
    due: str = ""

    @classmethod
    def from_query(cls, query) -> "Filters":
        kind = query.get("kind", "")
        kind = kind if kind in KINDS else ""
        status = query.get("status", "")
        if not kind or status not in KINDS[kind].statuses:
            status = ""
        assignee = query.get("assignee", "")
        if assignee not in ("none", "me") and not (assignee.isdigit() and len(assignee) < 12):
            assignee = ""
        age = query.get("age", "")
        age = age if age in {key for key, *_ in AGE_BUCKETS} else ""
        due = query.get("due", "")
        due = due if due in DUE_FILTERS else ""
        return cls(kind, status, assignee, age, due)

    def as_query(self) -> str:
        from urllib.parse import urlencode

        return urlencode({k: v for k, v in vars(self).items() if v})

    @property
    def any(self) -> bool:
        return any(vars(self).values())


def filtered(user, filters: Filters, today: datetime.date) -> dict[str, QuerySet]:
    """The open items the filters choose, by kind, within what the person sees."""
    rows = scope(user)
    if filters.kind:
        rows = {k: qs for k, qs in rows.items() if k == filters.kind}
    result = {}
    for key, qs in rows.items():
        kind = KINDS[key]
        if filters.status:
            qs = qs.filter(status=filters.status)
        if filters.assignee == "none":
            qs = qs.filter(work_assignment__isnull=True)
        elif filters.assignee == "me":
            qs = qs.filter(work_assignment__assignee=user)
        elif filters.assignee:
            qs = qs.filter(work_assignment__assignee_id=int(filters.assignee))
        if filters.age:
            qs = kind.aged(qs, filters.age, today)
        if filters.due == "overdue":
            qs = kind.due_between(qs, None, today - datetime.timedelta(days=1))
        elif filters.due == "week":
            qs = kind.due_between(qs, today, end_of_week(today))
        result[key] = qs
    return result


def assignee_name(filters: Filters, user) -> str:
    """Who the assignee filter names, for the page's heading."""
    if filters.assignee == "none":
        return "nobody"
    if filters.assignee == "me":
        return "you"
    if filters.assignee:
        found = TeamRole.objects.filter(user_id=int(filters.assignee)).values_list(
            "user__full_name", flat=True).first()
        return found or "nobody known"
    return ""


# --- The dashboard ----------------------------------------------------------------------


@dataclass
class KindCounts:
    kind: Kind
    total: int = 0
    by_status: list[tuple[str, str, int]] = field(default_factory=list)  # value, label, n
    overdue: int = 0
    this_week: int = 0
    unassigned: int = 0
    ages: list[dict[str, Any]] = field(default_factory=list)


DayRanges = dict[str, tuple[datetime.date | None, datetime.date | None]]


@dataclass(frozen=True)
class _Ranges:
    """The days of each due range ("overdue", "this_week") and aging bucket, today: a due
    date's, an anchor's (due DAYS_TO_ACT business days later), an opened date's."""

    due: DayRanges
    anchor: DayRanges
    age: DayRanges

    @classmethod
    def of(cls, today: datetime.date) -> "_Ranges":
        yesterday = today - datetime.timedelta(days=1)
        due: DayRanges = {"overdue": (None, yesterday), "this_week": (today, end_of_week(today))}
        return cls(due=due,
                   anchor={name: anchor_range_for_due(*bounds) for name, bounds in due.items()},
                   age={key: opened_range_for_age(low, high, today)
                        for key, _, low, high in AGE_BUCKETS})


ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class _Buckets:
    """Days cut at `edges` (ascending) into buckets: number 0 before the first edge,
    number i from edges[i-1] to the day before edges[i], the last from the last edge on.
    `names[i]`: the range (of `DayRanges`, which do not overlap) bucket i lies in, or None.
    The edges are the ranges' bounds, so each bucket lies in one range or none."""

    edges: tuple[datetime.date, ...]
    names: tuple[str | None, ...]

    @classmethod
    def of(cls, ranges: DayRanges, cut: DayRanges | None = None) -> "_Buckets":
        """`cut`: other ranges whose bounds cut the days too (of another count of the
        same column: a bucket's number then names a bucket of both)."""
        bounds = [*ranges.values(), *(cut or {}).values()]
        edges = sorted({low for low, _ in bounds if low is not None}
                       | {high + ONE_DAY for _, high in bounds if high is not None})
        firsts, lasts = [None, *edges], [*(edge - ONE_DAY for edge in edges), None]
        names = tuple(next((name for name, (low, high) in ranges.items()
                            if (low is None or (first is not None and low <= first))
                            and (high is None or (last is not None and last <= high))), None)
                      for first, last in zip(firsts, lasts, strict=True))
        return cls(tuple(edges), names)

    def number(self, column: str, tz=None, vendor: str = "postgresql"):
        """The number of the bucket `column`'s day falls in (NULL for NULL). For a datetime
        (`tz`: the time zone its day is taken in), the edges as instants: no time zone
        conversion per row. PostgreSQL's width_bucket: one call a row, its bounds one
        parameter; the CASE of a range's both bounds in each WHEN compared the dashboard's
        grants' timestamps some 20 times a row, and its SQL (over 4 KB with 53 values)
        was too long for psycopg to keep it parsed (700 Python calls a dashboard)."""
        bounds = [_bound(edge, tz) for edge in self.edges]
        if vendor == "postgresql":
            return _WidthBucket(F(column), bounds, "timestamptz" if tz else "date")
        return Case(When(**{f"{column}__isnull": True}, then=Value(None)),
                    *[When(**{f"{column}__lt": bound}, then=Value(n))
                      for n, bound in enumerate(bounds)],
                    default=Value(len(bounds)), output_field=_AS_RETURNED)


class _WidthBucket(Func):
    """width_bucket(value, array of ascending bounds): how many bounds the value is at or
    past (NULL for NULL). The bounds are written into the SQL (a parameter's value must
    be hashable in muster/compiled.py, and an array is not): dates and instants the code
    computed, in ISO 8601."""

    output_field = Field()  # an integer, as the database returns it: _AS_RETURNED

    def __init__(self, expression, bounds: list, kind: str):
        written = [bound.isoformat() for bound in bounds]
        if not all(_ISO.fullmatch(text) for text in written):
            raise ValueError(f"not plain dates or instants: {written!r}")
        self.array = "'{" + ",".join(written) + "}'::" + kind + "[]"
        super().__init__(expression)

    def as_sql(self, compiler, connection, function=None, template=None, arg_joiner=None,
               **extra_context):
        value, params = compiler.compile(self.get_source_expressions()[0])
        return f"width_bucket({value}, {self.array})", tuple(params)


_ISO = re.compile(r"[0-9T:+.-]{10,40}")


# What a count or a bucket's number is read as: the database's integer as it is. An
# IntegerField adds a converter to the column, called for each row (~60 a dashboard).
_AS_RETURNED = Field()


def _bound(day: datetime.date, tz) -> datetime.date | datetime.datetime:
    """The first instant of `day` in the time zone `tz`, or the day (a date column)."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=tz) if tz else day


_NO_TEXT = Value(None, output_field=CharField())
_NO_NUMBER = Value(None, output_field=_AS_RETURNED)
# Typed: a UNION's NULLs are text unless told, and text does not match an assignee's key.
_NO_PERSON = Cast(Value(None), BigIntegerField())


def _item_counts(kind: Kind, day: "_Day", tz, vendor: str) -> QuerySet:
    """A kind's open items, how many by status, due range and aging bucket: rows (kind,
    status, due bucket, aging bucket, None, None, n), the buckets by number (_Buckets;
    _Day names them). Read from the items alone: joined to their assignments to count
    them by assignee too, the 7,877 grants waiting for confirmation took 4.2 ms (read
    from the table, a hash join, four columns to group by; now 1.8 ms); their assignees
    are counted from the assignments (_assigned_counts, 0.9 ms)."""
    rows = kind.annotate_due(kind.model.objects.filter(ConstantIn("status", kind.statuses))
                             .annotate(opened=kind.opened_expression))
    due_buckets, age_buckets = day.buckets(kind)
    due = (due_buckets.number("anchor", tz, vendor) if kind.anchor_based
           else due_buckets.number("due", None, vendor))
    # One number for both when one column is numbered by both (_Day.one_column).
    age = _NO_NUMBER if kind.anchor_is_opened else age_buckets.number("opened", tz, vendor)
    return (rows.order_by()
            .annotate(of_kind=Value(kind.key, output_field=CharField()),
                      open_status=_status_of(kind), due_bucket=due, age_bucket=age,
                      person=_NO_PERSON, person_name=_NO_TEXT)
            .values_list("of_kind", "open_status", "due_bucket", "age_bucket", "person",
                         "person_name")
            .annotate(n=Count("*", output_field=_AS_RETURNED)))


def _status_of(kind: Kind):
    """An open item's status: written into the SQL when the kind has one open status, so
    that counting its items reads an index alone (grant_requested_order holds the grants'
    `requested_at`, not their status: 7,877 rows were read from the table)."""
    if len(kind.statuses) == 1:
        return Value(str(next(iter(kind.statuses))), output_field=CharField())
    return F("status")


def _assigned_counts(kind: Kind) -> QuerySet:
    """How many of a kind's open items each person is assigned: rows (kind, None, None,
    None, assignee, their name, n), from the assignments (1,149), each one's item looked
    up to see that it is open. No status: it tells these rows from _item_counts'. The
    assignment's link to the kind is said again, as in assigned_to: without it,
    PostgreSQL expected every assignment to be of the kind."""
    return (Assignment.objects.filter(ConstantIn(f"{kind.field}__status", kind.statuses),
                                      **{f"{kind.field}__isnull": False})
            .order_by()
            .annotate(of_kind=Value(kind.key, output_field=CharField()),
                      open_status=_NO_TEXT, due_bucket=_NO_NUMBER, age_bucket=_NO_NUMBER,
                      person=F("assignee_id"), person_name=F("assignee__full_name"))
            .values_list("of_kind", "open_status", "due_bucket", "age_bucket", "person",
                         "person_name")
            .annotate(n=Count("*", output_field=_AS_RETURNED)))


STAGE = "stage"  # the rows of _dashboard_counts that count contracts, by stage


def _dashboard_counts(day: "_Day", tz, vendor: str) -> QuerySet:
    """Every count the dashboard shows, in one query (UNION ALL): each kind's open items
    (_item_counts) and their assignees (_assigned_counts), and contracts by stage (rows
    (STAGE, stage, None, None, None, None, n)). A query a kind, and one more, took ~0.1 ms
    and ~150 Python calls each."""
    stages = (Contract.objects.order_by()
              .annotate(of_kind=Value(STAGE, output_field=CharField()), due_bucket=_NO_NUMBER,
                        age_bucket=_NO_NUMBER, person=_NO_PERSON, person_name=_NO_TEXT)
              .values_list("of_kind", "stage", "due_bucket", "age_bucket", "person",
                           "person_name")
              .annotate(n=Count("*", output_field=_AS_RETURNED)))
    parts = [*(_item_counts(kind, day, tz, vendor) for kind in KINDS.values()),
             *(_assigned_counts(kind) for kind in KINDS.values()), stages]
    return parts[0].union(*parts[1:], all=True).order_by()


@dataclass(frozen=True)
class _Day:
    """Today's buckets: of a due date, of an anchor (due DAYS_TO_ACT business days later),
    of an opened date (_Ranges), and the query that counts by them."""

    due: _Buckets
    anchor: _Buckets
    age: _Buckets
    # An anchor's and an opened instant's buckets cut at the bounds of both, for a kind
    # whose anchor is its opened instant (a grant's requested_at): one width_bucket a
    # row numbers both (two took 0.5 ms more over the 7,877 grants).
    one_column: tuple[_Buckets, _Buckets]
    counts: Compiled

    @classmethod
    def of(cls, today: datetime.date, tz) -> "_Day":
        ranges = _Ranges.of(today)
        day = cls(_Buckets.of(ranges.due), _Buckets.of(ranges.anchor), _Buckets.of(ranges.age),
                  (_Buckets.of(ranges.anchor, cut=ranges.age),
                   _Buckets.of(ranges.age, cut=ranges.anchor)),
                  Compiled(lambda: _dashboard_counts(day, tz, connection.vendor)))
        return day

    def buckets(self, kind: Kind) -> tuple[_Buckets, _Buckets]:
        """A kind's due buckets (of its due date or its anchor) and aging buckets."""
        if kind.anchor_is_opened:
            return self.one_column
        return (self.anchor if kind.anchor_based else self.due), self.age


# The dashboard's query, built once per process for today's buckets (in today's time
# zone); the day after, anew. Grouped by day instead, a dashboard read 1,457 groups and
# converted and looked up each one's days (17,000 of its 41,800 Python calls).
_DAYS: dict[tuple[datetime.date, str], _Day] = {}


def _day(today: datetime.date) -> _Day:
    tz = timezone.get_current_timezone()
    key = (today, str(tz))
    built = _DAYS.get(key)
    if built is None:
        built = _Day.of(today, tz)
        _DAYS.clear()  # yesterday's
        _DAYS[key] = built
    return built


def _empty_counts() -> dict[str, Any]:
    got: dict[str, Any] = {"total": 0, "overdue": 0, "this_week": 0, "assigned": 0,
                           "by_status": {}, "assignees": {}}
    for key, *_ in AGE_BUCKETS:
        got[f"age:{key}"] = got[f"age_overdue:{key}"] = got[f"age_this_week:{key}"] = 0
    return got


def _counted(day: _Day) -> tuple[dict[str, int], dict[str, dict[str, Any]]]:
    """_dashboard_counts' rows, added up: contracts by stage, and each kind's counts."""
    stages: dict[str, int] = {}
    per_kind = {key: _empty_counts() for key in KINDS}
    names = {key: tuple(buckets.names for buckets in day.buckets(kind))
             for key, kind in KINDS.items()}
    for key, status, due_bucket, age_bucket, assignee, name, n in day.counts.rows():
        if key == STAGE:
            stages[status] = n
            continue
        got = per_kind[key]
        if status is None:  # a person's open items of the kind (_assigned_counts)
            got["assignees"][assignee] = (name, n)
            got["assigned"] += n
            continue
        got["total"] += n
        due_names, age_names = names[key]
        if KINDS[key].anchor_is_opened:  # one number for both (_Day.one_column)
            age_bucket = due_bucket
        due = due_names[due_bucket] if due_bucket is not None else None
        if due:
            got[due] += n
        got["by_status"][status] = got["by_status"].get(status, 0) + n
        age = age_names[age_bucket] if age_bucket is not None else None
        if age:
            got[f"age:{age}"] += n
            if due:
                got[f"age_{due}:{age}"] += n
    return stages, per_kind


def dashboard(today: datetime.date) -> dict[str, Any]:
    """The team's counts: contracts by stage, open items by kind and status, overdue and
    due this week, per assignee, and aging: one query (_dashboard_counts)."""
    stages, counted = _counted(_day(today))
    per_kind = []
    assignees: dict[int, dict[str, Any]] = {}
    ages: dict[str, dict[str, Any]] = {
        key: {"key": key, "label": label, "total": 0, "overdue": 0, "this_week": 0}
        for key, label, *_ in AGE_BUCKETS}
    for kind in KINDS.values():
        counts = KindCounts(kind)
        got = counted[kind.key]
        counts.by_status = [(value, label, got["by_status"].get(value, 0))
                            for value, label in kind.statuses.items()]
        counts.total, counts.overdue = got["total"], got["overdue"]
        counts.this_week, counts.unassigned = got["this_week"], got["total"] - got["assigned"]
        for bucket in ages.values():
            b = bucket["key"]
            bucket["total"] += got[f"age:{b}"]
            bucket["overdue"] += got[f"age_overdue:{b}"]
            bucket["this_week"] += got[f"age_this_week:{b}"]
        for person, (name, n) in got["assignees"].items():
            entry = assignees.setdefault(person, {"pk": person, "name": name or "", "n": 0})
            entry["n"] += n
        per_kind.append(counts)
    for bucket in ages.values():
        bucket["later"] = bucket["total"] - bucket["overdue"] - bucket["this_week"]
    people = sorted(assignees.values(), key=lambda a: (-a["n"], a["name"].lower()))
    return {
        "stages": [(value, label, stages.get(value, 0)) for value, label in Stage.choices],
        "kinds": per_kind,
        "overdue": sum(k.overdue for k in per_kind),
        "this_week": sum(k.this_week for k in per_kind),
        "total": sum(k.total for k in per_kind),
        "people": people,
        "unassigned": sum(k.unassigned for k in per_kind),
        "ages": list(ages.values()),
        "week_ends": end_of_week(today),
    }
