"""What onboarding's pages read: the review queue, a request's page, the service leads'
decisions, the welcome package's blockers and the survey's summary. Services write;
these only read, each list in a fixed number of queries."""

import datetime
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Avg, Count, F, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from muster import datewords
from muster.accounts import permissions
from muster.accounts.models import ContractRole
from muster.compiled import Compiled
from muster.contracts.cor_filter import AmongIds
from muster.contracts.models import Contract, ContractService
from muster.plans import ConstantIn
from muster.timeline import calendar
from muster.timeline.models import ContractStep

from .models import (
    BEFORE_MEETING,
    FINISH_STEP,
    MEETING_STEP,
    STOPPED,
    EligibilityMeeting,
    OnboardingRequest,
    Question,
    Status,
    SurveyResponse,
    TouchPointCall,
    WelcomePackage,
)


def undecided_services(contract: Contract) -> QuerySet[ContractService]:
    """The contract's requested services still waiting for a decision, in catalog order:
    what the eligibility meeting decides on."""
    return (contract.services.filter(status=ContractService.Status.REQUESTED)
            .select_related("service").order_by("service__order", "service__name"))


# --- The review queue -------------------------------------------------------------------

# The queue's sections, in the order a request moves through them.
QUEUE_SECTIONS = [
    (Status.SUBMITTED, "Waiting for review",
     "Submitted intake forms: check them for completeness and clarity, then mark them "
     "reviewed or ask the COR a question."),
    (Status.QUESTION, "Question open",
     "Waiting for the COR or the contractor's POC to answer the team's question."),
    (Status.REVIEWED, "Waiting for the team lead", "Reviewed; the team lead approves next."),
    (Status.LEAD_APPROVED, "Waiting for the eligibility meeting",
     "Approved by the team lead: hold the contract onboarding services meeting and record it."),
    (Status.SERVICE_REVIEW, "Waiting for service leads",
     "Each service lead approves or denies their service."),
    (Status.APPROVED, "Ready for the welcome package",
     "Every service is decided: send the welcome package to the SO."),
]
# Requests that stopped: found through the queue's filter, with their own sections.
STOPPED_SECTIONS = [
    (Status.WITHDRAWN, "Withdrawn by the COR",
     "The COR withdrew these before the team lead's approval. The team can reopen one."),
    (Status.CANCELLED, "Cancelled by the onboarding team",
     "Cancelled before the welcome package was sent. The team can reopen one."),
    (Status.REJECTED, "Rejected by the team lead", "Final: no later step proceeds."),
]
QUEUE_FILTERS = {"open": ("Requests in progress", QUEUE_SECTIONS),
                 "stopped": ("Withdrawn, cancelled or rejected", STOPPED_SECTIONS)}
def _step(key: str, field: str) -> Subquery:
    # One step a key on a contract (unique_contract_step_key): no order to sort by (the
    # model's own made PostgreSQL sort each row's one step: 150 rows a queue).
    return Subquery(ContractStep.objects.filter(contract=OuterRef("contract_id"), key=key)
                    .order_by().values(field)[:1])


# What a queue row reads (QueueRow, queue_table.py), in this order: no other column.
QUEUE_ROW_COLUMNS = ("contract_id", "status", "submitted_at", "due", "contract__name",
                     "contract__contract_number", "contract__organization__name",
                     "submitted_by__full_name", "meeting_done", "finish_done",
                     "question_asked_at")


def queue_rows(statuses: Sequence[str], first: int | None = None) -> QuerySet:
    """The requests in these statuses, as rows of QUEUE_ROW_COLUMNS, oldest submitted first:
    one query. With `first`, only each status's `first` oldest: they are chosen by a narrow
    subquery (the request's own columns, index request_queue_order), then only those are
    joined to their contract, organization, submitter and steps; a query per section
    joined every request of its status before keeping 25. The statuses are written into
    the SQL, so a kept plan knows them (muster/plans.py)."""
    rows = OnboardingRequest.objects.filter(ConstantIn("status", statuses))
    if first is not None:
        # Read by primary key (AmongIds): with IN, PostgreSQL hashed the 150 ids and
        # read every request (8,970 at 10,000 contracts) to find them.
        rows = OnboardingRequest.objects.filter(
            AmongIds(_oldest_of_each(statuses, first).order_by()))
    open_question = Question.objects.filter(
        request=OuterRef("pk"), answered_at__isnull=True
    ).order_by("-asked_at")
    return (
        rows.annotate(
            # The due date itself is stored on the request (`due`, models.DUE).
            meeting_done=_step(MEETING_STEP, "completed_at"),
            finish_done=_step(FINISH_STEP, "completed_at"),
            question_asked_at=Subquery(open_question.values("asked_at")[:1]),
        )
        .values_list(*QUEUE_ROW_COLUMNS)
        .order_by("submitted_at", "pk")
    )


def _oldest_of_each(statuses: Sequence[str], first: int) -> QuerySet:
    """The ids of each status's `first` oldest requests. Where the database takes a LIMIT
    in each part of a UNION (PostgreSQL), one part a status, each read from the index
    request_queue_order: the planner then expects as many rows as there are (150), where
    for a window function's ranks it expected every request of the statuses (1,157 of
    10,000 contracts' requests) and joined all 9,000 to keep them (issue 17: 9.6 -> 2 ms).
    Else (SQLite) each request ranked within its status."""
    if connection.features.supports_slicing_ordering_in_compound:
        parts = [OnboardingRequest.objects.filter(ConstantIn("status", [status]))
                 .order_by("submitted_at", "pk").values("pk")[:first] for status in statuses]
        return parts[0].union(*parts[1:], all=True)
    ranked = OnboardingRequest.objects.filter(ConstantIn("status", statuses)).annotate(
        rank=Window(RowNumber(), partition_by=[F("status")],
                    order_by=[F("submitted_at").asc(), F("pk").asc()]))
    return ranked.filter(rank__lte=first).values("pk")


def _statuses(sections) -> tuple[str, ...]:
    return tuple(status for status, _, _ in sections)


# A section of the queue shows its oldest requests, this many; its link shows them all, a
# page of SECTION_PAGE at a time (a queue of thousands costs what a page shows).
SECTION_SHOWN, SECTION_PAGE = 25, 50


@functools.cache
def _queue_of(statuses: tuple[str, ...]) -> tuple[Compiled, Compiled]:
    """A filter's counts by status and its sections' oldest rows: queries built once per
    process (building them was 6,000 of the queue's Python calls)."""
    counts = Compiled(lambda: OnboardingRequest.objects.filter(ConstantIn("status", statuses))
                      .values_list("status").annotate(n=Count("pk")).order_by())
    return counts, Compiled(lambda: queue_rows(statuses, first=SECTION_SHOWN))


@dataclass(slots=True)
class QueueRow:
    """A queue row as queue_table.py writes it: the request (by its contract's id), its
    contract and organization, when it was submitted and by whom, its age in business
    days, when an open question was asked, and the step that matters now with its due
    date (none on a stopped request). Texts are as the page shows them, not escaped."""

    status: str
    contract_id: int  # its request's address is the contract's
    contract_name: str
    contract_number: str
    organization: str | None
    submitted_text: str
    submitted_by: str | None  # their name; None: no one is named
    age: int | None  # None: not submitted
    question_text: str  # "": no open question
    stopped: bool
    step_name: str
    due_text: str
    overdue: bool


class _RowWords:
    """What the queue's rows share, worked out once per page: for each distinct date, its
    words (as the `date` filter writes them, muster/datewords.py) and an age in business
    days. The default queue's 150 rows have about 20 distinct
    submission dates; the calendar's count of business days was 3,300 calls a page."""

    def __init__(self, today: datetime.date):
        self.today = today
        self.zone = timezone.get_current_timezone()
        dates = datewords.current()
        self.day, self.weekday = functools.cache(dates.day), functools.cache(dates.weekday)
        self.age = functools.cache(
            lambda submitted: calendar.business_days_between(submitted, today))

    def local_day(self, moment: datetime.datetime) -> datetime.date:
        """timezone.localdate's answer, with the page's time zone looked up once."""
        return moment.astimezone(self.zone).date()


def _describe(row: tuple, words: _RowWords) -> QueueRow:
    """A row of QUEUE_ROW_COLUMNS as the queue shows it: age in business days, the due
    date of the step that matters now (overdue or not), the dates in words."""
    (contract_id, status, submitted_at, due, name, number, organization, submitted_by,
     meeting_done, finish_done, question_asked_at) = row
    submitted = words.local_day(submitted_at) if submitted_at else None
    stopped = status in STOPPED
    if stopped:  # nothing is due on a stopped request
        step_name, due_text, overdue = "", "", False
    else:
        step_name, done = (("Eligibility meeting", meeting_done) if status in BEFORE_MEETING
                           else ("Complete onboarding", finish_done))
        due_text = words.weekday(due) if due else "date not set"
        overdue = bool(due and not done and due < words.today)
    return QueueRow(
        status=status, contract_id=contract_id, contract_name=name,
        contract_number=number, organization=organization,
        submitted_text=words.day(submitted) if submitted else "", submitted_by=submitted_by,
        age=words.age(submitted) if submitted else None,
        question_text=(words.day(words.local_day(question_asked_at))
                       if question_asked_at else ""),
        stopped=stopped, step_name=step_name, due_text=due_text, overdue=overdue)


def review_queue(shown: str, today: datetime.date, section: str = "",
                 page: str | None = None) -> list[dict]:
    """The queue's sections for the filter `shown` ("open" or "stopped"), each with its
    oldest requests described as of `today`, its count and whether it shows all of them;
    with `section` (one of the filter's statuses), that section alone, a page at a time."""
    chosen = QUEUE_FILTERS[shown][1]
    words = _RowWords(today)
    counted, oldest = _queue_of(_statuses(chosen))
    counts = dict(counted.rows())
    if section in {status for status, _, _ in chosen}:
        chosen = [item for item in chosen if item[0] == section]
        paged = Paginator(queue_rows(_statuses(chosen)), SECTION_PAGE).get_page(page)
        rows = {section: [_describe(row, words) for row in paged]}
    else:
        paged = None
        rows = {}
        for row in oldest.rows():  # one query, however many sections
            rows.setdefault(row[1], []).append(_describe(row, words))
    return [
        {"status": status, "title": title, "hint": hint, "rows": rows.get(status, []),
         "count": counts.get(status, 0), "page": paged, "anchor": f"section-{status}"}
        for status, title, hint in chosen
    ]


# --- A request's page -------------------------------------------------------------------


def request_of(contract: Contract) -> OnboardingRequest | None:
    """The contract's request with the people its page names, or None."""
    found = (
        OnboardingRequest.objects.filter(contract=contract)
        .select_related("submitted_by", "reviewed_by", "lead_approved_by", "contract")
        .first()
    )
    if found is not None:
        found.contract = contract
    return found


def meeting_step(contract: Contract) -> ContractStep | None:
    return ContractStep.objects.filter(contract=contract, key=MEETING_STEP).first()


def request_page(onboarding: OnboardingRequest) -> dict:
    """What the request's page shows besides its actions: questions and answers, meetings
    (the latest first), changes of status, the services and their decisions."""
    contract = onboarding.contract
    questions = list(onboarding.questions.select_related("asked_by", "answered_by"))
    meetings = list(onboarding.meetings.select_related("recorded_by"))
    return {
        "questions": questions,
        "open_question": next((q for q in questions if q.answered_at is None), None),
        "meetings": meetings,
        "meeting": meetings[0] if meetings else None,
        "changes": list(onboarding.status_changes.select_related("by")),
        "items": contract.services.select_related("service", "decided_by"),
        "meeting_step": meeting_step(contract),
    }


# --- Service leads' decisions -----------------------------------------------------------


def pending_decisions(user) -> list[Any]:
    """The requested services this lead decides on, of requests waiting for service
    decisions, each with the meeting that sent it (`item.meeting`): oldest meeting first."""
    led = permissions.led_service_ids(user)
    pending: list[Any] = list(
        ContractService.objects.filter(
            status=ContractService.Status.REQUESTED, service_id__in=led,
            contract__onboarding_request__status=Status.SERVICE_REVIEW,
        )
        .select_related("service", "contract", "contract__organization",
                        "contract__onboarding_request")
        .order_by("contract__name", "service__order")
    )
    latest: dict[int, EligibilityMeeting] = {}  # each request's latest meeting
    for meeting in EligibilityMeeting.objects.filter(
        request__in={item.contract.onboarding_request.pk for item in pending}
    ):
        latest.setdefault(meeting.request_id, meeting)
    for item in pending:
        item.meeting = latest.get(item.contract.onboarding_request.pk)
    # Oldest meeting first: those requests have waited longest (stable: name, service).
    pending.sort(key=lambda item: item.meeting.held_on if item.meeting else datetime.date.max)
    return pending


def recent_decisions(user) -> QuerySet[ContractService]:
    return (ContractService.objects.filter(decided_by=user)
            .select_related("service", "contract").order_by("-decided_at")[:20])


# --- The welcome package and the survey -------------------------------------------------


def send_blockers(contract: Contract) -> list[str]:
    """Why the welcome package cannot be sent yet (empty when it can)."""
    reasons = []
    request = OnboardingRequest.objects.filter(contract=contract).first()
    already_sent = contract.welcome_packages.exists()
    if not already_sent and (
        request is None or request.status not in (Status.APPROVED, Status.COMPLETE)
    ):
        status = request.get_status_display().lower() if request else "not started"
        reasons.append(
            "The onboarding request is not approved yet (it is "
            f"“{status}”): every service must be decided first."
        )
    if not contract.services.filter(status=ContractService.Status.APPROVED).exists():
        reasons.append("No service is approved for this contract.")
    if not contract.roles.filter(role=ContractRole.Role.SO).exists():
        reasons.append("No Security Official (SO) is named: the package goes to them.")
    return reasons


_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.DOTALL | re.IGNORECASE)


def package_body(package: WelcomePackage) -> str:
    """The body of the package exactly as sent (our own rendered, escaped HTML)."""
    found = _BODY.search(package.html)
    return found.group(1).strip() if found else package.html


@dataclass
class SurveySummary:
    sent: int
    answered: int
    response_rate: int | None  # percent
    average: float | None
    distribution: list[dict]
    comments: list[SurveyResponse]


def survey_summary() -> SurveySummary:
    rows = SurveyResponse.objects.aggregate(
        sent=Count("id"), answered=Count("id", filter=Q(answered_at__isnull=False)),
        average=Avg("satisfaction", filter=Q(answered_at__isnull=False)),
    )
    counts = dict(
        SurveyResponse.objects.filter(answered_at__isnull=False)
        .values_list("satisfaction").annotate(n=Count("id")).order_by()
    )
    answered = rows["answered"]
    distribution = [
        {"level": level, "label": label, "count": counts.get(level, 0),
         "percent": round(100 * counts.get(level, 0) / answered) if answered else 0}
        for level, label in reversed(SurveyResponse.Satisfaction.choices)
    ]
    comments = list(
        SurveyResponse.objects.filter(answered_at__isnull=False)
        .exclude(went_well="", to_improve="")
        .select_related("contract", "answered_by").order_by("-answered_at", "-id")
    )
    return SurveySummary(
        sent=rows["sent"], answered=answered,
        response_rate=round(100 * answered / rows["sent"]) if rows["sent"] else None,
        average=round(rows["average"], 1) if rows["average"] is not None else None,
        distribution=distribution, comments=comments,
    )


def _count_of(model) -> Coalesce:
    rows = model.objects.filter(contract=OuterRef("pk")).order_by()
    return Coalesce(Subquery(rows.values("contract").annotate(n=Count("pk")).values("n")), 0)


_PACKAGES_AND_CALLS = Compiled(
    lambda contract_id: Contract.objects.filter(pk=contract_id)
    .annotate(packages_n=_count_of(WelcomePackage), calls_n=_count_of(TouchPointCall))
    .values_list("packages_n", "calls_n"),
    contract_id=int,
)


def packages_and_calls(contract_id: int) -> tuple[int, int]:
    """How many welcome packages and touch-point calls the contract has: one query (built
    once a process) for the contract page's onboarding panel."""
    packages, calls = _PACKAGES_AND_CALLS.rows(contract_id=contract_id)[0]
    return packages, calls
