"""The numbers of the metrics page: one table per chart, each computed in a fixed number of
queries whatever the number of contracts (counts are aggregated in SQL; medians and
percentiles of business days are computed here from one query's rows, because business
days follow the federal calendar and SQLite has no percentile function).

docs/metrics.md says what each number means; keep it in step with this module.
"""

import datetime
import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, Count, Exists, F, Max, Min, OuterRef, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from muster.access.models import AccessGrant, AdditionalServiceRequest, GrantStatus
from muster.closeout.models import Closeout, Scenario
from muster.contracts.models import ContractService, DataUseAgreement, Stage
from muster.onboarding.models import OnboardingRequest, SurveyResponse
from muster.timeline import calendar
from muster.timeline.models import ContractStep, Process

from .period import Period

INT, NUMBER, PERCENT, DECIMAL, TEXT = "int", "number", "percent", "decimal", "text"


@dataclass
class Series:
    name: str
    values: list[float | None]


@dataclass
class Chart:
    kind: str  # "hbar", "bar", "stacked_hbar" or "line"
    labels: list[str]
    series: list[Series]
    unit: str  # what the values count, for the axis: "business days", "%", ...
    range: tuple[float, float] | None = None
    counts: bool = True  # whole numbers: the axis has no fractional ticks

    @property
    def width(self) -> int:
        return 800

    @property
    def height(self) -> int:
        """Horizontal bars grow with their number, so each label keeps its line."""
        if "hbar" in self.kind:
            return max(360, 110 + 46 * len(self.labels))
        return 440


@dataclass
class Table:
    """One chart's numbers: the source of truth the chart pictures and the CSV exports."""

    name: str  # in the table's URLs: /reports/metrics/<name>.csv and .svg
    title: str
    caption: str  # what a row is, for the table's caption
    columns: list[str]
    formats: list[str]
    summary: str = ""  # one sentence, written from the numbers
    rows: list[list[Any]] = field(default_factory=list)
    chart: Chart | None = None
    scope: str = ""  # when the numbers are not about the chosen period, what they are about
    csv_url: str = ""  # set by the page, with the period
    svg_url: str = ""

    @property
    def cells(self) -> list[list[str]]:
        return [[_shown(value, kind) for value, kind in zip(row, self.formats, strict=True)]
                for row in self.rows]

    @property
    def is_empty(self) -> bool:
        return not self.rows


def _shown(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == PERCENT:
        return f"{value:g}%"
    if kind == DECIMAL:
        return f"{value:.1f}"
    if kind == NUMBER:
        return f"{value:g}"
    return str(value)


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def median(values: Sequence[int]) -> float | None:
    return statistics.median(values) if values else None


def percentile_90(values: Sequence[int]) -> int | None:
    """The 90th percentile by the nearest-rank method: the smallest value that at least 90%
    of the values do not exceed (one of the values itself, never an interpolation)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


class _BusinessDays:
    """Business days between two moments' dates in the site's time zone, for many moments:
    the time zone is read once and each pair of days counted once."""

    def __init__(self):
        self.zone = timezone.get_current_timezone()
        self.counts: dict[tuple[datetime.date, datetime.date], int] = {}

    def __call__(self, start: datetime.datetime, end: datetime.datetime) -> int:
        days = (start.astimezone(self.zone).date(), end.astimezone(self.zone).date())
        found = self.counts.get(days)
        if found is None:
            found = self.counts[days] = calendar.business_days_between(*days)
        return found


def _in(period: Period, field_name: str) -> Q:
    return Q(**{f"{field_name}__gte": period.starts_at, f"{field_name}__lt": period.ends_before})


def _days(n: float | None) -> str:
    if n is None:
        return "—"
    return f"{n:g} business day" + ("" if n == 1 else "s")


def _month_key(moment: datetime.datetime) -> datetime.date:
    # TruncMonth gives the month's first moment in the current time zone (SQLite and
    # PostgreSQL alike).
    return timezone.localtime(moment).date().replace(day=1)


def _month_label(month: datetime.date) -> str:
    return f"{month:%b %Y}"


# --- Cycle time ----------------------------------------------------------------------------

END_TO_END = "Onboarding end to end (intake submitted to welcome package sent)"


def cycle_times(period: Period, today: datetime.date) -> Table:
    """Per step, business days from the latest completion of an earlier step of the same
    process on the same contract (before this one's) to this step's completion, for the
    steps completed in the period; and the onboarding requests completed in the period,
    from submission to completion."""
    touched = ContractStep.objects.filter(_in(period, "completed_at")).values("contract_id")
    done = (ContractStep.objects.filter(completed_at__isnull=False, contract_id__in=touched)
            .values_list("contract_id", "process", "key", "name", "order", "completed_at"))
    by_contract: dict[tuple[int, str], list[tuple]] = defaultdict(list)
    for contract_id, process, key, name, order, completed_at in done:
        by_contract[(contract_id, process)].append((order, key, name, completed_at))
    samples: dict[tuple[str, str], list[int]] = defaultdict(list)
    completed: dict[tuple[str, str], int] = defaultdict(int)
    names: dict[tuple[str, str], tuple[int, str]] = {}
    # Tens of thousands of completions at 10,000 contracts: the period's bounds, the time
    # zone and each pair of days' business days are looked up once, not per completion.
    starts_at, ends_before = period.starts_at, period.ends_before
    between = _BusinessDays()
    for (_, process), steps in by_contract.items():
        for order, key, name, completed_at in steps:
            if not starts_at <= completed_at < ends_before:
                continue
            step = (process, key)
            completed[step] += 1
            names.setdefault(step, (order, name))
            before = [other for o, _, _, other in steps if o < order and other <= completed_at]
            if before:
                samples[step].append(between(max(before), completed_at))
    ordered = sorted(names, key=lambda s: (s[0] != Process.ONBOARDING, names[s][0]))
    rows: list[list[Any]] = []
    for step in ordered:
        values = samples[step]
        rows.append([names[step][1], Process(step[0]).label, completed[step], len(values),
                     median(values), percentile_90(values)])
    requests = OnboardingRequest.objects.filter(
        _in(period, "completed_at"), submitted_at__isnull=False
    ).values_list("submitted_at", "completed_at")
    whole = [between(submitted, finished) for submitted, finished in requests
             if submitted and finished]
    if whole:
        rows.append([END_TO_END, Process.ONBOARDING.label, len(whole), len(whole),
                     median(whole), percentile_90(whole)])
    table = Table(
        name="cycle-times", title="Cycle time of each step and of onboarding",
        caption="Business days each timeline step took, and onboarding end to end, for "
                "the steps and requests completed in the period",
        columns=["Step", "Process", "Completed in the period", "Measured",
                 "Median (business days)", "90th percentile (business days)"],
        formats=[TEXT, TEXT, INT, INT, NUMBER, INT], rows=rows,
    )
    measured = [r for r in rows if r[4] is not None and r[0] != END_TO_END]
    if not rows:
        table.summary = "No step or onboarding request was completed in this period."
    else:
        parts = []
        if whole:
            parts.append(f"onboarding took a median of {_days(median(whole))} from intake "
                         f"to welcome package ({len(whole)} requests; 90th percentile "
                         f"{_days(percentile_90(whole))})")
        if measured:
            slowest = max(measured, key=lambda r: (r[4], r[5]))
            parts.append(f"the slowest step at the median was “{slowest[0]}” with "
                         f"{_days(slowest[4])}")
        table.summary = ("In this period, " + " and ".join(parts) + "." if parts else
                         "Steps were completed in this period, but none after an earlier "
                         "step, so none could be measured.")
    table.chart = Chart(
        kind="hbar", labels=[r[0] for r in rows], unit="business days",
        series=[Series("Median", [r[4] for r in rows]),
                Series("90th percentile", [r[5] for r in rows])],
    )
    return table


# --- On time -------------------------------------------------------------------------------


def on_time(period: Period, today: datetime.date) -> Table:
    """Per step, of the steps due in the period that are done or already past due (not the
    cancelled ones), how many were done by their due date."""
    due = ContractStep.objects.filter(due_date__gte=period.start, due_date__lte=period.end).filter(
        Q(completed_at__isnull=False) | Q(cancelled_at__isnull=True, due_date__lt=today))
    counts = due.values("process", "key").annotate(
        first_order=Min("order"), step_name=Max("name"), counted=Count("id"),
        in_time=Count("id", filter=Q(completed_at__date__lte=F("due_date"))),
        done_late=Count("id", filter=Q(completed_at__date__gt=F("due_date"))),
        still_open=Count("id", filter=Q(completed_at__isnull=True)),
    ).order_by()
    ordered = sorted(counts, key=lambda c: (c["process"] != Process.ONBOARDING, c["first_order"]))
    rows: list[list[Any]] = [
        [c["step_name"], Process(c["process"]).label, c["counted"], c["in_time"],
         c["done_late"], c["still_open"], _percent(c["in_time"], c["counted"])]
        for c in ordered]
    table = Table(
        name="on-time", title="Steps done on time",
        caption="For each step due in the period, how many were done by their due date, "
                "done late, or are still open past it",
        columns=["Step", "Process", "Due in the period", "Done on time", "Done late",
                 "Still open, overdue", "Share on time"],
        formats=[TEXT, TEXT, INT, INT, INT, INT, PERCENT], rows=rows,
    )
    total = sum(r[2] for r in rows)
    if not total:
        table.summary = "No step fell due in this period."
    else:
        in_time = sum(r[3] for r in rows)
        worst = min(rows, key=lambda r: (r[6], -r[2]))
        table.summary = (f"{_percent(in_time, total):g}% of the {total} steps due in this "
                         f"period were done by their due date; the lowest share was "
                         f"“{worst[0]}” at {worst[6]:g}%.")
    table.chart = Chart(kind="hbar", labels=[r[0] for r in rows], unit="% done on time",
                        series=[Series("Share done on time", [r[6] for r in rows])],
                        range=(0, 100), counts=False)
    return table


# --- Survey --------------------------------------------------------------------------------


def survey_satisfaction(period: Period, today: datetime.date) -> Table:
    """Answers to the post-onboarding survey given in the period, by the month answered."""
    by_month = {
        _month_key(row["month"]): row
        for row in SurveyResponse.objects.filter(_in(period, "answered_at"),
                                                 satisfaction__isnull=False)
        .annotate(month=TruncMonth("answered_at")).values("month")
        .annotate(answers=Count("id"), average=Avg("satisfaction"),
                  satisfied=Count("id", filter=Q(satisfaction__gte=4))).order_by()
    }
    rows: list[list[Any]] = []
    for month in period.months():
        row = by_month.get(month)
        if row:
            rows.append([_month_label(month), row["answers"], round(row["average"], 1),
                         _percent(row["satisfied"], row["answers"])])
        else:
            rows.append([_month_label(month), 0, None, None])
    table = Table(
        name="survey-satisfaction", title="Survey satisfaction by month",
        caption="Answers to the post-onboarding survey by the month they were given, with "
                "their average satisfaction (1 very dissatisfied, 5 very satisfied)",
        columns=["Month answered", "Answers", "Average satisfaction (1 to 5)",
                 "Satisfied or very satisfied"],
        formats=[TEXT, INT, DECIMAL, PERCENT], rows=rows,
    )
    answers = sum(r[1] for r in rows)
    if not answers:
        table.summary = "Nobody answered the survey in this period."
    else:
        total = sum(row["average"] * row["answers"] for row in by_month.values())
        answered = [r for r in rows if r[1]]
        low = min(answered, key=lambda r: r[2])
        table.summary = (f"The {answers} answers in this period gave an average satisfaction "
                         f"of {total / answers:.1f} out of 5; the lowest month was "
                         f"{low[0]} at {low[2]:.1f}.")
    table.chart = Chart(kind="line", labels=[r[0] for r in rows], unit="average (1 to 5)",
                        series=[Series("Average satisfaction", [r[2] for r in rows])],
                        range=(1, 5), counts=False)
    return table


def survey_response(period: Period, today: datetime.date) -> Table:
    """Surveys sent in the period, by the month sent, and how many were answered (by today)."""
    by_month = {
        _month_key(row["month"]): row
        for row in SurveyResponse.objects.filter(_in(period, "sent_at"))
        .annotate(month=TruncMonth("sent_at")).values("month")
        .annotate(sent=Count("id"), answered=Count("id", filter=Q(answered_at__isnull=False)))
        .order_by()
    }
    rows: list[list[Any]] = []
    for month in period.months():
        row = by_month.get(month, {"sent": 0, "answered": 0})
        rows.append([_month_label(month), row["sent"], row["answered"],
                     _percent(row["answered"], row["sent"])])
    table = Table(
        name="survey-response", title="Survey response rate by month",
        caption="Post-onboarding surveys by the month they were sent, and how many of them "
                "have been answered",
        columns=["Month sent", "Surveys sent", "Answered", "Response rate"],
        formats=[TEXT, INT, INT, PERCENT], rows=rows,
    )
    sent, answered = sum(r[1] for r in rows), sum(r[2] for r in rows)
    if not sent:
        table.summary = "No survey was sent in this period."
    else:
        table.summary = (f"{answered} of the {sent} surveys sent in this period were answered, "
                         f"a response rate of {_percent(answered, sent):g}%.")
    table.chart = Chart(kind="bar", labels=[r[0] for r in rows], unit="% answered",
                        series=[Series("Response rate", [r[3] for r in rows])], range=(0, 100),
                        counts=False)
    return table


# --- Service decisions ---------------------------------------------------------------------


def service_decisions(period: Period, today: datetime.date) -> Table:
    """Per service, the service leads' approvals and denials made in the period: of the
    services requested at intake, and of additional-service requests."""
    approved, denied = ContractService.Status.APPROVED, ContractService.Status.DENIED
    extra = AdditionalServiceRequest.Status
    # A service an additional-service request approved carries that request's decision:
    # it is counted there, not twice.
    by_request = AdditionalServiceRequest.objects.filter(
        contract=OuterRef("contract"), service=OuterRef("service"), status=extra.APPROVED)
    intake = (ContractService.objects.filter(_in(period, "decided_at"),
                                             status__in=[approved, denied])
              .exclude(Exists(by_request))
              .values("service__name", "service__order", "status").annotate(n=Count("id"))
              .order_by())
    additional = (AdditionalServiceRequest.objects
                  .filter(_in(period, "decided_at"), status__in=[extra.APPROVED, extra.DENIED])
                  .values("service__name", "service__order", "status").annotate(n=Count("id"))
                  .order_by())
    counts: dict[tuple[int, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in intake:
        counts[(row["service__order"], row["service__name"])][f"intake_{row['status']}"] = row["n"]
    for row in additional:
        counts[(row["service__order"], row["service__name"])][f"extra_{row['status']}"] = row["n"]
    rows: list[list[Any]] = []
    for (_, name), n in sorted(counts.items()):
        rows.append([name, n["intake_approved"], n["intake_denied"], n["extra_approved"],
                     n["extra_denied"], n["intake_approved"] + n["extra_approved"],
                     n["intake_denied"] + n["extra_denied"]])
    table = Table(
        name="service-decisions", title="Approvals and denials per service",
        caption="The service leads' decisions made in the period, per service: services "
                "requested at intake and additional-service requests",
        columns=["Service", "Approved at intake", "Denied at intake",
                 "Additional requests approved", "Additional requests denied",
                 "Approved in all", "Denied in all"],
        formats=[TEXT, INT, INT, INT, INT, INT, INT], rows=rows,
    )
    yes, no = sum(r[5] for r in rows), sum(r[6] for r in rows)
    if not rows:
        table.summary = "No service was approved or denied in this period."
    else:
        most = max(rows, key=lambda r: (r[6], r[5]))
        table.summary = (f"Service leads approved {yes} and denied {no} services in this "
                         f"period" + (f"; {most[0]} had the most denials ({most[6]})."
                                      if most[6] else "."))
    table.chart = Chart(kind="hbar", labels=[r[0] for r in rows], unit="decisions",
                        series=[Series("Approved", [r[5] for r in rows]),
                                Series("Denied", [r[6] for r in rows])])
    return table


# --- Grants --------------------------------------------------------------------------------

GRANT_STATES = [GrantStatus.REQUESTED, GrantStatus.ACTIVE, GrantStatus.PAUSED,
                GrantStatus.REVOKED]


def grants(period: Period, today: datetime.date) -> Table:
    """Every access grant today, per service and state."""
    counts: dict[tuple[int, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in (AccessGrant.objects.values("service__name", "service__order", "status")
                .annotate(n=Count("id")).order_by()):
        counts[(row["service__order"], row["service__name"])][row["status"]] = row["n"]
    rows: list[list[Any]] = [[name, *(n[s] for s in GRANT_STATES), sum(n.values())]
            for (_, name), n in sorted(counts.items())]
    table = Table(
        name="grants", title="Access grants by service and state",
        caption="Every user's access grant today, per service, by its state",
        columns=["Service", *(s.label for s in GRANT_STATES), "All grants"],
        formats=[TEXT, INT, INT, INT, INT, INT], rows=rows,
        scope="Today, whatever the period: every grant Muster holds, in its state now.",
    )
    if not rows:
        table.summary = "No access has been granted yet."
    else:
        totals = [sum(r[i + 1] for r in rows) for i in range(len(GRANT_STATES))]
        busiest = max(rows, key=lambda r: r[2])
        table.summary = (f"Today {totals[1]} grants are active, {totals[0]} wait for "
                         f"confirmation, {totals[2]} are paused and {totals[3]} revoked; "
                         f"{busiest[0]} has the most active grants ({busiest[2]}).")
    table.chart = Chart(kind="stacked_hbar", labels=[r[0] for r in rows], unit="grants",
                        series=[Series(s.label, [r[i + 1] for r in rows])
                                for i, s in enumerate(GRANT_STATES)])
    return table


# --- DUAs ----------------------------------------------------------------------------------

DUA_WINDOWS = (30, 60, 90)


def duas_expiring(period: Period, today: datetime.date) -> Table:
    """Contracts still running whose Data Use Agreement (the valid one that runs longest)
    expires within 30, 60 and 90 days of today."""
    longer = DataUseAgreement.objects.filter(
        contract=OuterRef("contract"), invalidated_at__isnull=True, intake_draft=False,
        expiry_date__gt=OuterRef("expiry_date"))
    current = (DataUseAgreement.objects
               .filter(invalidated_at__isnull=True, intake_draft=False, expiry_date__gte=today)
               .exclude(contract__stage__in=[Stage.CLOSED, Stage.WITHDRAWN])
               .exclude(Exists(longer)))
    counts = current.aggregate(**{
        f"within_{days}": Count("contract", distinct=True, filter=Q(
            expiry_date__lte=today + datetime.timedelta(days=days)))
        for days in DUA_WINDOWS
    })
    rows: list[list[Any]] = [
        [f"Within {days} days", (today + datetime.timedelta(days=days)).isoformat(),
         counts[f"within_{days}"]] for days in DUA_WINDOWS]
    table = Table(
        name="dua-expiry", title="Data Use Agreements expiring soon",
        caption="Contracts still running whose valid DUA expires within 30, 60 and 90 days "
                "of today (each count includes the shorter windows)",
        columns=["Expiring", "On or before", "Contracts"], formats=[TEXT, TEXT, INT],
        rows=rows,
        scope="From today, whatever the period.",
    )
    n30, n60, n90 = (r[2] for r in rows)
    table.summary = (f"{n30} contract{'s' if n30 != 1 else ''} must renew a DUA within 30 "
                     f"days, {n60} within 60 and {n90} within 90.")
    table.chart = Chart(kind="bar", labels=[r[0] for r in rows], unit="contracts",
                        series=[Series("Contracts", [r[2] for r in rows])])
    return table


# --- Closeouts -----------------------------------------------------------------------------

ENDED = (Closeout.Status.ACCESS_REMOVED, Closeout.Status.CARRIED_OVER, Closeout.Status.EXTENDED)
NO_SCENARIO = "No scenario chosen"


def closeouts(period: Period, today: datetime.date) -> Table:
    """Closeouts whose 60-day notice went out in the period, by the scenario the COR chose."""
    counts: dict[int | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in (Closeout.objects.filter(_in(period, "notice_sent_at"))
                .values("scenario", "status").annotate(n=Count("id")).order_by()):
        state = "ended" if row["status"] in ENDED else "open"
        counts[row["scenario"]][state] += row["n"]
    rows: list[list[Any]] = []
    for scenario, label in [*Scenario.choices, (None, NO_SCENARIO)]:
        n = counts.get(scenario, {})
        ended, still_open = n.get("ended", 0), n.get("open", 0)
        rows.append([label, ended + still_open, ended, still_open])
    table = Table(
        name="closeouts", title="Closeouts by scenario",
        caption="Closeouts whose notice went out in the period, by the scenario the COR "
                "chose, and whether they have ended",
        columns=["Scenario", "Closeouts", "Ended", "Still open"], formats=[TEXT, INT, INT, INT],
        rows=rows,
    )
    total = sum(r[1] for r in rows)
    if not total:
        table.summary = "No closeout notice went out in this period."
        table.rows = []
    else:
        top = max(rows, key=lambda r: r[1])
        table.summary = (f"{total} closeout{'s' if total != 1 else ''} began in this period; "
                         f"the most common outcome was “{top[0]}” ({top[1]}).")
    table.chart = Chart(kind="bar", labels=[r[0] for r in rows], unit="closeouts",
                        series=[Series("Closeouts", [r[1] for r in rows])])
    return table


METRICS: dict[str, Callable[[Period, datetime.date], Table]] = {
    "cycle-times": cycle_times,
    "on-time": on_time,
    "survey-satisfaction": survey_satisfaction,
    "survey-response": survey_response,
    "service-decisions": service_decisions,
    "grants": grants,
    "dua-expiry": duas_expiring,
    "closeouts": closeouts,
}


def all_tables(period: Period, today: datetime.date) -> list[Table]:
    return [compute(period, today) for compute in METRICS.values()]


# The page's figures read every step done in the period (tens of thousands at 10,000
# contracts: about half a second of work), so the page keeps them this long in the shared
# cache (muster.kept), per period and day, and says when they were worked out. The CSV files
# and charts work theirs out afresh (a table each).
KEEP_MINUTES = 10
