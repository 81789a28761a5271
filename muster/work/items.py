"""The team's work items, defined in one place: for each kind, which rows are open, what
each waits on, when it is due and since when it is open.

- An onboarding request past its draft and not stopped or complete: due when its contract's
  timeline step for what it waits on is due (the eligibility meeting until the team lead
  approved and the meeting was held, then "complete onboarding").
- An additional-service request waiting for its service leads (the team sees one only
  after the COR's approval): due 5 business days after the COR's approval.
- A grant waiting for confirmation: due 5 business days after it was requested.
- A closeout not finished: due with its contract's "COR chooses the closeout scenario" step
  while it waits for the COR, then with "Contract removed from services".

Age is in business days since the item opened (submitted, requested, COR-approved,
notice sent), on the federal business calendar (muster/timeline/calendar.py).

Every list and count reads items through `Kind.open_rows()`: one query per kind, the
due date stored on the row (a timeline step's: an onboarding request's and a closeout's
`due`, kept with the steps, see muster/timeline/copies.py, with an index on the open rows)
or turned into a range of anchor dates (5 business days after), so no page loads every
open item to sort or count it.
"""

import datetime
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.db.models import DateTimeField, F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from muster.access.models import AccessGrant, AdditionalServiceRequest, GrantStatus
from muster.closeout.models import Closeout
from muster.onboarding.models import OnboardingRequest, Status
from muster.plans import ConstantIn
from muster.reverse_once import address
from muster.timeline import calendar

# A grant or an additional-service request is due this many business days after it opened.
DAYS_TO_ACT = 5

# Aging buckets: (key, label, fewest business days, most; None: no upper bound).
AGE_BUCKETS = [
    ("0-2", "0–2 business days", 0, 2),
    ("3-5", "3–5 business days", 3, 5),
    ("6-10", "6–10 business days", 6, 10),
    ("over-10", "Over 10 business days", 11, None),
]
AGE_KEYS = {key: (low, high) for key, _, low, high in AGE_BUCKETS}
AGE_LABELS = {key: label for key, label, _, _ in AGE_BUCKETS}


def end_of_week(today: datetime.date) -> datetime.date:
    """The Sunday that ends today's week: "due this week" is due from today to then."""
    return today + datetime.timedelta(days=6 - today.weekday())


def age_in_business_days(opened: datetime.date | None, today: datetime.date) -> int:
    if opened is None:
        return 0
    return max(calendar.business_days_between(opened, today), 0)


def opened_range_for_age(low: int, high: int | None, today: datetime.date
                         ) -> tuple[datetime.date | None, datetime.date]:
    """The opened dates whose age today is `low` to `high` business days: (earliest or
    None, latest). Age falls as the opened date rises, so the bounds are one range."""
    latest = today
    while age_in_business_days(latest, today) < low:
        latest -= datetime.timedelta(days=1)
    if high is None:
        return None, latest
    earliest = latest
    while age_in_business_days(earliest - datetime.timedelta(days=1), today) <= high:
        earliest -= datetime.timedelta(days=1)
    return earliest, latest


def anchor_range_for_due(low: datetime.date | None, high: datetime.date | None
                         ) -> tuple[datetime.date | None, datetime.date | None]:
    """The anchor dates whose due date (DAYS_TO_ACT business days later) falls from `low`
    to `high` (either may be None: unbounded). The due date rises with the anchor."""
    first = last = None
    if low is not None:
        first = low - datetime.timedelta(days=4 * DAYS_TO_ACT + 10)
        while calendar.add_business_days(first, DAYS_TO_ACT) < low:
            first += datetime.timedelta(days=1)
    if high is not None:
        last = high
        while calendar.add_business_days(last, DAYS_TO_ACT) > high:
            last -= datetime.timedelta(days=1)
    return first, last


@dataclass
class WorkItem:
    """One open item as a list row shows it."""

    kind: "Kind"
    obj: Any
    title: str
    waits_on: str
    due: datetime.date | None
    opened: datetime.date | None
    age: int
    assignee_id: int | None
    assignee_name: str
    url: str
    service_id: int | None = None
    candidates: list = field(default_factory=list)  # set by the page that shows controls
    due_state: str = ""
    due_text: str = ""
    # What the row offers the person looking (set by the page: views._controls).
    may_take: bool = False
    may_assign: bool = False
    may_unassign: bool = False
    # What the controls show, computed once per page (queries.offer).
    take_url: str = ""
    assign_url: str = ""
    unassign_url: str = ""
    spoken: str = ""  # the item named for a screen reader: "closeout of Contract 12"
    options: str = ""  # the assign form's <option>s (safe HTML)

    @property
    def pk(self) -> int:
        return self.obj.pk

    @property
    def contract(self):
        return self.obj.contract

    @property
    def sort_key(self) -> tuple:
        return (self.due is None, self.due or datetime.date.max, self.opened or datetime.date.max,
                KIND_ORDER[self.kind.key], self.obj.pk)

    def describe_due(self, today: datetime.date) -> None:
        """The due date relative to today, in words, and its state (the tag's colour:
        never the only sign)."""
        if self.due is None:
            self.due_state, self.due_text = "none", "No due date"
        elif self.due < today:
            late = max(calendar.business_days_between(self.due, today), 1)
            self.due_state = "overdue"
            self.due_text = f"Overdue by {late} business day{'s' if late != 1 else ''}"
        elif self.due == today:
            self.due_state, self.due_text = "soon", "Due today"
        else:
            left = max(calendar.business_days_between(today, self.due), 1)
            self.due_state = "soon" if self.due <= end_of_week(today) else "later"
            self.due_text = f"Due in {left} business day{'s' if left != 1 else ''}"


class Kind:
    """A kind of work item. Subclasses say which rows are open and how each is due."""

    key: str
    label: str
    plural: str
    field: str  # the Assignment field that names an item of this kind
    model: Any
    statuses: dict[str, str]  # open status → what the item waits on
    opened_expression: Any
    anchor_based = False  # due DAYS_TO_ACT business days after `anchor`, else `due` (SQL)
    anchor_is_opened = False  # its `anchor` is the instant it opened (one column)
    # What a list row reads of a related object besides its contract, as values (title(),
    # url(), service_id()): "service__name" is read as row.service.name.
    columns: tuple[str, ...] = ()

    def base(self) -> QuerySet:
        raise NotImplementedError

    def open_rows(self) -> QuerySet:
        """Every open item of this kind, with what a row needs, in due-date order."""
        # The statuses written into the SQL: a kept plan can use the open rows' partial
        # indexes (muster/plans.py).
        rows = self.base().filter(ConstantIn("status", self.statuses)).annotate(
            opened=self.opened_expression,
            assignee_pk=F("work_assignment__assignee_id"),
            assignee_name=F("work_assignment__assignee__full_name"),
        )
        rows = self.annotate_due(rows)
        if self.anchor_based:
            return rows.order_by("anchor", "pk")
        return rows.order_by(F("due").asc(nulls_last=True), "opened", "pk")

    def annotate_due(self, rows: QuerySet) -> QuerySet:
        raise NotImplementedError

    def due_q(self, low: datetime.date | None, high: datetime.date | None) -> Q:
        """The condition "due from `low` to `high`" (None: unbounded) on open_rows()."""
        condition = Q()
        if self.anchor_based:
            first, last = anchor_range_for_due(low, high)
            if first is not None:
                condition &= Q(anchor__date__gte=first)
            if last is not None:
                condition &= Q(anchor__date__lte=last)
            return condition
        if low is not None:
            condition &= Q(due__gte=low)
        if high is not None:
            condition &= Q(due__lte=high)
        return condition

    def due_between(self, rows: QuerySet, low: datetime.date | None,
                    high: datetime.date | None) -> QuerySet:
        return rows.filter(self.due_q(low, high))

    def age_q(self, bucket: str, today: datetime.date) -> Q:
        """The condition "opened `bucket` business days ago" (AGE_BUCKETS) on open_rows()."""
        low, high = AGE_KEYS[bucket]
        earliest, latest = opened_range_for_age(low, high, today)
        condition = Q(opened__date__lte=latest)
        if earliest is not None:
            condition &= Q(opened__date__gte=earliest)
        return condition

    def aged(self, rows: QuerySet, bucket: str, today: datetime.date) -> QuerySet:
        return rows.filter(self.age_q(bucket, today))

    def due_of(self, row, tz=None) -> datetime.date | None:
        return self._due(row.anchor if self.anchor_based else row.due, tz)

    def _due(self, stored, tz) -> datetime.date | None:
        """The due date of a row whose `anchor` (or `due`) is `stored`."""
        if self.anchor_based:
            anchor = _local_date(stored, tz)
            return calendar.add_business_days(anchor, DAYS_TO_ACT) if anchor else None
        return stored

    def sort_key(self, pk: int, opened, stored, tz=None) -> tuple:
        """WorkItem.sort_key of the item a row would make (`stored`: its anchor or due),
        without making it (dates_of_place reads its dates back)."""
        due, opened = self._due(stored, tz), _local_date(opened, tz)
        return (due is None, due or datetime.date.max, opened or datetime.date.max,
                KIND_ORDER[self.key], pk)

    @functools.cached_property
    def list_columns(self) -> tuple[str, ...]:
        """What a list reads of each open row (values_list of open_rows()): Kind.item's
        every read of a row, so that a list makes no model instance (list_row). The first
        four are what a row is sorted by (values_sort_key)."""
        return ("pk", "opened", "anchor" if self.anchor_based else "due", "status",
                "assignee_pk", "assignee_name", "contract_id", "contract__name",
                "contract__contract_number", *self.columns)

    def values_sort_key(self, values: tuple, tz=None) -> tuple:
        """sort_key of a row of list_columns."""
        return self.sort_key(values[0], values[1], values[2], tz)

    @functools.cached_property
    def _related(self) -> dict[str, list[tuple[str, int]]]:
        """list_columns' related attributes (contract__name: contract.name) by relation,
        with their positions; the contract's pk is its contract_id."""
        found: dict[str, list[tuple[str, int]]] = {
            "contract": [("pk", self.list_columns.index("contract_id"))]}
        for position, name in enumerate(self.list_columns):
            if "__" in name:
                relation, attribute = name.split("__")
                found.setdefault(relation, []).append((attribute, position))
        return found

    def list_row(self, values: tuple) -> SimpleNamespace:
        """A row of list_columns as Kind.item reads a model instance: row.contract.name,
        row.service.name, row.status (the open statuses only: no get_status_display)."""
        row = SimpleNamespace(**dict(zip(self.list_columns, values, strict=True)))
        for relation, attributes in self._related.items():
            setattr(row, relation, SimpleNamespace(
                **{attribute: values[position] for attribute, position in attributes}))
        return row

    def title(self, row) -> str:
        raise NotImplementedError

    def url(self, row, links: Callable[..., str] = address) -> str:
        """The item's own page (`links`: address, or a page's reverse_once.Addresses)."""
        raise NotImplementedError

    def service_id(self, row) -> int | None:
        return None

    def item(self, row, today: datetime.date, tz=None,
             links: Callable[..., str] = address, place: tuple | None = None) -> WorkItem:
        """The item of `row` (a model instance of open_rows(), or its list_row); `tz`: the
        current time zone, and `links` a reverse_once.Addresses, once for a page of rows;
        `place`: the row's sort_key, when worked out already (its due and opened dates)."""
        if place is None:
            due, opened = self.due_of(row, tz), _local_date(row.opened, tz)
        else:
            due, opened = dates_of_place(place)
        item = WorkItem(
            kind=self, obj=row, title=self.title(row),
            waits_on=self.statuses.get(row.status) or row.get_status_display(),
            due=due, opened=opened, age=age_in_business_days(opened, today),
            assignee_id=row.assignee_pk, assignee_name=row.assignee_name or "",
            url=self.url(row, links), service_id=self.service_id(row),
        )
        item.describe_due(today)
        return item

    def get(self, pk) -> Any:
        """The open item `pk` of this kind (with its contract), or DoesNotExist."""
        return self.open_rows().get(pk=pk)


def dates_of_place(place: tuple) -> tuple[datetime.date | None, datetime.date | None]:
    """The due and opened dates a sort_key holds (None stands as date.max in it)."""
    no_due, due, opened = place[0], place[1], place[2]
    return (None if no_due else due), (None if opened == datetime.date.max else opened)


def _local_date(value, tz=None) -> datetime.date | None:
    """A datetime's date in `tz` (by default the current time zone: a page of rows looks
    it up once and passes it), as timezone.localdate gives it."""
    if isinstance(value, datetime.datetime):
        if tz is None or value.utcoffset() is None:  # naive: localdate refuses it
            return timezone.localdate(value, tz)
        return value.astimezone(tz).date()
    return value


class OnboardingKind(Kind):
    key, label, plural, field = ("onboarding", "Onboarding request", "Onboarding requests",
                                 "onboarding_request")
    model = OnboardingRequest
    statuses = {
        Status.SUBMITTED: "The onboarding team's review",
        Status.QUESTION: "The COR's answer to a question",
        Status.REVIEWED: "The team lead's approval",
        Status.LEAD_APPROVED: "The eligibility meeting",
        Status.SERVICE_REVIEW: "The service leads' decisions",
        Status.APPROVED: "The welcome package",
    }
    opened_expression = Coalesce("submitted_at", "created_at")

    def base(self):
        return OnboardingRequest.objects.select_related("contract")

    def annotate_due(self, rows):
        return rows  # `due` is stored on the row (onboarding.models.DUE), and indexed

    def title(self, row):
        return "Onboarding request"

    def url(self, row, links=address):
        return links("onboarding:request", row.contract_id)


class ServiceRequestKind(Kind):
    key, label, plural, field = ("service-request", "Additional service request",
                                 "Additional service requests", "service_request")
    model = AdditionalServiceRequest
    S = AdditionalServiceRequest.Status
    statuses = {S.AWAITING_LEADS: "The service leads' decision"}
    opened_expression = F("requested_at")
    anchor_based = True
    columns = ("service_id", "service__name", "estimated_users")

    def base(self):
        return AdditionalServiceRequest.objects.select_related("contract", "service")

    def annotate_due(self, rows):
        # Due 5 business days after the COR's approval (the request's, before it).
        return rows.annotate(anchor=Coalesce("cor_decided_at", "requested_at",
                                             output_field=DateTimeField()))

    def title(self, row):
        return f"{row.service.name}, {row.estimated_users} users"

    def url(self, row, links=address):
        return links("access:service_request", row.pk)

    def service_id(self, row):
        return row.service_id


class GrantKind(Kind):
    key, label, plural, field = ("grant", "Access to confirm", "Access to confirm", "grant")
    model = AccessGrant
    statuses = {GrantStatus.REQUESTED: "Confirmation that the access is set up"}
    opened_expression = F("requested_at")
    anchor_based = anchor_is_opened = True
    columns = ("service_id", "service__name", "user_id", "user__full_name")

    def base(self):
        return AccessGrant.objects.select_related("contract", "service", "user")

    def annotate_due(self, rows):
        return rows.annotate(anchor=F("requested_at"))

    def title(self, row):
        return f"{row.user.full_name}: {row.service.name}"

    def url(self, row, links=address):
        return links("access:member", row.contract_id, row.user_id)

    def service_id(self, row):
        return row.service_id


class CloseoutKind(Kind):
    key, label, plural, field = ("closeout", "Closeout", "Closeouts", "closeout")
    model = Closeout
    statuses = {
        Closeout.Status.NOTICE_SENT: "The COR's closeout scenario",
        Closeout.Status.SCENARIO_CHOSEN: "The removal of access at the end of performance",
    }
    opened_expression = F("notice_sent_at")
    columns = ("pop_end",)

    def base(self):
        return Closeout.objects.select_related("contract")

    def annotate_due(self, rows):
        return rows  # `due` is stored on the row (closeout.models.DUE), and indexed

    def title(self, row):
        return f"POP end {row.pop_end:%b} {row.pop_end.day}, {row.pop_end.year}"

    def url(self, row, links=address):
        return links("closeout:closeout", row.contract_id)


KINDS: dict[str, Kind] = {k.key: k for k in (OnboardingKind(), ServiceRequestKind(),
                                              GrantKind(), CloseoutKind())}
KIND_ORDER = {key: n for n, key in enumerate(KINDS)}
# The kinds a service lead works on (those of the services they lead).
SERVICE_KINDS = ("service-request", "grant")


def kind_of(key: str) -> Kind | None:
    return KINDS.get(key)
