"""The metrics page: who may open it, the period form, and each table's numbers against a
world whose answers are known, as the page, its CSV files and its charts show them."""

import csv
import datetime
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from muster.access.models import AccessGrant, AdditionalServiceRequest, GrantStatus
from muster.catalog.models import Service
from muster.closeout.models import Closeout, Scenario
from muster.contracts.models import ContractService, DataUseAgreement
from muster.onboarding.models import OnboardingRequest, Status, SurveyResponse
from muster.reports.metrics import percentile_90

from ..factories import TODAY, UserFactory, make_contract, signed_in

pytestmark = pytest.mark.django_db
METRICS = reverse("reports:metrics")
MONDAY = datetime.date(2026, 6, 1)  # no federal holiday in the fortnight after it


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour),
                                     tzinfo=timezone.get_current_timezone())


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def section(html: str, name: str) -> str:
    found = re.search(rf'<section [^>]*id="{name}".*?</section>', html, re.DOTALL)
    assert found, f"no section {name}"
    return found.group(0)


def table_rows(html: str, name: str) -> dict[str, list[str]]:
    """The section's table: row header → its cells, as the person reads them."""
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", section(html, name), re.DOTALL):
        head = re.search(r'<th scope="row">(.*?)</th>', row, re.DOTALL)
        if head:
            rows[text_of(head.group(1))] = [text_of(c) for c in
                                            re.findall(r"<td>(.*?)</td>", row, re.DOTALL)]
    return rows


def csv_of(client, name: str, query: str = "") -> list[list[str]]:
    response = client.get(reverse("reports:metric_csv", args=[name]) + query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode().lstrip("\ufeff"))))


@pytest.fixture
def team(people, client, freeze_today):
    freeze_today()
    return signed_in(client, people["onboarding_team"])


def step_done(contract, key: str, day: datetime.date, due: datetime.date | None = None):
    fields = {"completed_at": at(day)}
    if due is not None:
        fields["due_date"] = due
    contract.steps.filter(key=key).update(**fields)


# --- Who may see it ------------------------------------------------------------------------


@pytest.mark.parametrize("role, status", [
    ("onboarding_team", 200), ("team_lead", 200), ("administrator", 200),
    ("cor", 403), ("so", 403), ("sas_lead", 403), ("outsider", 403), ("poc", 403),
])
def test_only_the_team_its_lead_and_administrators_see_the_metrics(
        client, people, freeze_today, role, status):
    freeze_today()
    signed_in(client, people[role])

    assert client.get(METRICS).status_code == status
    assert client.get(reverse("reports:metric_csv", args=["grants"])).status_code == status
    assert client.get(reverse("reports:metric_svg", args=["grants"])).status_code == status


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get(METRICS)
    assert response.status_code == 302
    assert reverse("account_login") in response.url


# --- The period ----------------------------------------------------------------------------


def test_the_default_period_is_the_last_twelve_months(team):
    html = team.get(METRICS).content.decode()

    assert 'value="2025-11-25"' in html and 'value="2026-11-24"' in html
    assert "from November 25, 2025 to November 24, 2026" in text_of(html)
    # Every chart, with its summary, table and CSV link.
    for name in ("cycle-times", "on-time", "survey-satisfaction", "survey-response",
                 "service-decisions", "grants", "dua-expiry", "closeouts"):
        part = section(html, name)
        assert f"/reports/metrics/{name}.svg?start=2025-11-25&amp;end=2026-11-24" in part
        assert f"/reports/metrics/{name}.csv?start=2025-11-25&amp;end=2026-11-24" in part
        assert re.search(r'<img [^>]*alt="Chart: [^"]+"', part)
        assert "<caption" in part


@pytest.mark.parametrize("query, message", [
    ("?start=2026-13-01&end=2026-12-01", "Give the first day as a date"),
    ("?start=2026-05-01&end=yesterday", "Give the last day as a date"),
    ("?start=2026-05-01&end=2026-04-01", "The period must end on or after the day it starts."),
    ("?start=2026-05-01", "Give the last day of the period."),
    ("?start=1000-01-01&end=2026-01-01", "Give a date between 1900 and 2999."),
    ("?start=2016-01-01&end=2026-01-01", "Choose a period of at most 5 years."),
])
def test_a_bad_period_says_what_is_wrong(team, query, message):
    response = team.get(METRICS + query)

    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert message in text_of(html)
    assert 'id="cycle-times"' not in html
    csv_response = team.get(reverse("reports:metric_csv", args=["grants"]) + query)
    assert csv_response.status_code == 400
    assert message in csv_response.content.decode()


def test_an_unknown_table_is_not_found(team):
    assert team.get(reverse("reports:metric_csv", args=["salaries"])).status_code == 404
    assert team.get(reverse("reports:metric_svg", args=["salaries"])).status_code == 404


# --- Cycle times and on time ---------------------------------------------------------------


def test_percentile_90_is_the_nearest_rank():
    assert percentile_90([2, 4, 9]) == 9
    assert percentile_90(list(range(1, 11))) == 9
    assert percentile_90([5]) == 5
    assert percentile_90([]) is None


def test_cycle_times_in_business_days_median_and_90th_percentile(team, people):
    # The intake submitted on a Monday; the eligibility meeting 2, 4 and 9 business days
    # later on three contracts.
    for days in (2, 4, 9):
        contract = make_contract()
        step_done(contract, "submit-intake", MONDAY)
        meeting = {2: datetime.date(2026, 6, 3), 4: datetime.date(2026, 6, 5),
                   9: datetime.date(2026, 6, 12)}[days]
        step_done(contract, "eligibility-meeting", meeting)
    # Before the period: not counted.
    old = make_contract()
    step_done(old, "submit-intake", datetime.date(2025, 1, 6))
    step_done(old, "eligibility-meeting", datetime.date(2025, 1, 20))

    html = team.get(METRICS).content.decode()

    rows = table_rows(html, "cycle-times")
    assert rows["Contract onboarding services meeting"] == ["Onboarding", "3", "3", "4",
                                                            "9"]
    # The first step done has nothing before it to measure from.
    assert rows["Complete and submit the intake form"] == ["Onboarding", "3", "0", "—", "—"]
    assert ("the slowest step at the median was “Contract onboarding services meeting” "
            "with 4 business days") in text_of(section(html, "cycle-times"))

    lines = csv_of(team, "cycle-times")
    assert lines[0][0] == "Step"
    assert ["Contract onboarding services meeting", "Onboarding", "3", "3", "4", "9"] in lines


def test_onboarding_end_to_end_from_submission_to_completion(team, people):
    cor = people["cor"]
    # Submitted on a Monday; complete 3, 5 and 11 business days later.
    for finished in (datetime.date(2026, 6, 4), datetime.date(2026, 6, 8),
                     datetime.date(2026, 6, 16)):
        OnboardingRequest.objects.create(
            contract=make_contract(), status=Status.COMPLETE, created_by=cor,
            submitted_at=at(MONDAY), completed_at=at(finished, 15))

    html = team.get(METRICS).content.decode()

    rows = table_rows(html, "cycle-times")
    end_to_end = "Onboarding end to end (intake submitted to welcome package sent)"
    assert rows[end_to_end] == ["Onboarding", "3", "3", "5", "11"]
    assert ("onboarding took a median of 5 business days from intake to welcome package "
            "(3 requests; 90th percentile 11 business days)") in text_of(html)


def test_on_time_share_counts_done_late_and_still_overdue(team):
    due = datetime.date(2026, 6, 5)
    a, b, c, d = (make_contract() for _ in range(4))
    step_done(a, "eligibility-meeting", datetime.date(2026, 6, 5), due=due)  # on the day
    step_done(b, "eligibility-meeting", datetime.date(2026, 6, 2), due=due)  # early
    step_done(c, "eligibility-meeting", datetime.date(2026, 6, 9), due=due)  # late
    d.steps.filter(key="eligibility-meeting").update(due_date=due)  # still open, overdue
    cancelled = make_contract()
    cancelled.steps.filter(key="eligibility-meeting").update(due_date=due,
                                                             cancelled_at=at(MONDAY))
    later = make_contract()  # due after today and open: not yet counted
    later.steps.filter(key="eligibility-meeting").update(due_date=TODAY + datetime.timedelta(1))

    # June only: the factory's contracts have award steps due in March.
    html = team.get(METRICS + "?start=2026-06-01&end=2026-11-30").content.decode()

    rows = table_rows(html, "on-time")
    assert rows["Contract onboarding services meeting"] == ["Onboarding", "4", "2", "1", "1",
                                                            "50%"]
    assert ("50% of the 4 steps due in this period were done by their due date; the lowest "
            "share was “Contract onboarding services meeting” at 50%.") in text_of(
        section(html, "on-time"))


# --- Surveys -------------------------------------------------------------------------------


def test_survey_satisfaction_and_response_rate_by_month(team):
    def survey(sent, answered=None, satisfaction=None):
        SurveyResponse.objects.create(contract=make_contract(), sent_at=at(sent),
                                      answered_at=at(answered) if answered else None,
                                      satisfaction=satisfaction)

    survey(datetime.date(2026, 3, 2), datetime.date(2026, 3, 4), 5)
    survey(datetime.date(2026, 3, 9), datetime.date(2026, 3, 10), 2)
    survey(datetime.date(2026, 3, 16))  # never answered
    survey(datetime.date(2026, 5, 4), datetime.date(2026, 6, 1), 4)  # answered in June

    html = team.get(METRICS).content.decode()

    satisfaction = table_rows(html, "survey-satisfaction")
    assert satisfaction["Mar 2026"] == ["2", "3.5", "50%"]
    assert satisfaction["Apr 2026"] == ["0", "—", "—"]
    assert satisfaction["Jun 2026"] == ["1", "4.0", "100%"]
    assert len(satisfaction) == 13  # every month the period touches
    assert ("The 3 answers in this period gave an average satisfaction of 3.7 out of 5; "
            "the lowest month was Mar 2026 at 3.5.") in text_of(html)
    response = table_rows(html, "survey-response")
    assert response["Mar 2026"] == ["3", "2", "66.7%"]
    assert response["May 2026"] == ["1", "1", "100%"]
    assert "3 of the 4 surveys sent in this period were answered, a response rate of 75%." \
        in text_of(html)
    lines = csv_of(team, "survey-response", "?start=2026-03-01&end=2026-05-31")
    assert lines == [["Month sent", "Surveys sent", "Answered", "Response rate"],
                     ["Mar 2026", "3", "2", "66.7"], ["Apr 2026", "0", "0", ""],
                     ["May 2026", "1", "1", "100.0"]]


# --- Decisions, grants, DUAs, closeouts ----------------------------------------------------


def test_approvals_and_denials_per_service(team, people):
    sas, slack = Service.objects.get(slug="sas-viya"), Service.objects.get(slug="slack")
    lead = people["sas_lead"]

    def decided(service, status, day=MONDAY):
        return ContractService.objects.create(contract=make_contract(), service=service,
                                              status=status, decided_at=at(day),
                                              decided_by=lead, decision_reason="A reason.")

    decided(sas, ContractService.Status.APPROVED)
    decided(sas, ContractService.Status.DENIED)
    decided(sas, ContractService.Status.DENIED)
    decided(slack, ContractService.Status.APPROVED)
    decided(slack, ContractService.Status.APPROVED, datetime.date(2024, 1, 8))  # before
    ContractService.objects.create(contract=make_contract(), service=slack)  # undecided
    for status in ("approved", "denied", "awaiting_leads"):
        AdditionalServiceRequest.objects.create(
            contract=make_contract(), service=slack, organization_name="ORG",
            justification="Needed.", estimated_users=3, status=status,
            requested_by=people["cor"],
            decided_at=at(MONDAY) if status != "awaiting_leads" else None)

    html = team.get(METRICS).content.decode()

    rows = table_rows(html, "service-decisions")
    assert rows["SAS Viya"] == ["1", "2", "0", "0", "1", "2"]
    assert rows["Slack"] == ["1", "0", "1", "1", "2", "1"]
    assert ("Service leads approved 3 and denied 3 services in this period; SAS Viya had "
            "the most denials (2).") in text_of(html)


def test_grants_by_service_and_state_today(team, people):
    sas = Service.objects.get(slug="sas-viya")
    contract = people["mine"]
    for status in (GrantStatus.ACTIVE, GrantStatus.ACTIVE, GrantStatus.PAUSED,
                   GrantStatus.REVOKED, GrantStatus.REQUESTED):
        AccessGrant.objects.create(contract=contract, user=UserFactory(), service=sas,
                                   requested_by=people["so"], status=status)

    html = team.get(METRICS + "?start=2020-01-01&end=2020-01-31").content.decode()

    assert table_rows(html, "grants")["SAS Viya"] == ["1", "2", "1", "1", "5"]
    assert ("Today 2 grants are active, 1 wait for confirmation, 1 are paused and 1 revoked"
            in text_of(html))


def test_duas_expiring_within_30_60_and_90_days(team, people):
    def dua(contract, days, **fields):
        return DataUseAgreement.objects.create(
            contract=contract, number=f"DUA-{contract.pk}-{days}",
            expiry_date=TODAY + datetime.timedelta(days=days), **fields)

    dua(make_contract(), 10)
    dua(make_contract(), 30)
    dua(make_contract(), 45)
    dua(make_contract(), 90)
    dua(make_contract(), 91)
    renewed = make_contract()
    dua(renewed, 20)
    dua(renewed, 400)  # the longer one counts: nothing to renew soon
    dua(make_contract(), 15, invalidated_at=at(MONDAY))
    dua(make_contract(), -1)  # already expired

    html = team.get(METRICS).content.decode()

    rows = table_rows(html, "dua-expiry")
    assert rows["Within 30 days"] == ["2026-12-24", "2"]
    assert rows["Within 60 days"] == ["2027-01-23", "3"]
    assert rows["Within 90 days"] == ["2027-02-22", "4"]
    assert "2 contracts must renew a DUA within 30 days, 3 within 60 and 4 within 90." in \
        text_of(html)


def test_closeouts_by_scenario(team):
    def closeout(scenario, status, sent=MONDAY):
        return Closeout.objects.create(contract=make_contract(), pop_end=TODAY,
                                       scenario=scenario, status=status,
                                       notice_sent_at=at(sent))

    closeout(Scenario.NO_AWARD, Closeout.Status.ACCESS_REMOVED)
    closeout(Scenario.NO_AWARD, Closeout.Status.SCENARIO_CHOSEN)
    closeout(Scenario.REAWARD_INCUMBENT, Closeout.Status.CARRIED_OVER)
    closeout(Scenario.EXTENSION, Closeout.Status.EXTENDED)
    closeout(None, Closeout.Status.NOTICE_SENT)
    closeout(Scenario.OTHER_CONTRACTOR, Closeout.Status.ACCESS_REMOVED,
             sent=datetime.date(2024, 3, 4))  # before the period

    html = team.get(METRICS).content.decode()

    rows = table_rows(html, "closeouts")
    assert rows == {
        "Re-awarded to the incumbent": ["1", "1", "0"],
        "Awarded to another contractor": ["0", "0", "0"],
        "Ends with no new award": ["2", "1", "1"],
        "Period of performance extended": ["1", "1", "0"],
        "No scenario chosen": ["1", "0", "1"],
    }
    assert "5 closeouts began in this period; the most common outcome was “Ends with no new " \
        "award” (2)." in text_of(html)


def test_an_empty_world_says_so_in_every_summary(team):
    html = text_of(team.get(METRICS + "?start=2020-01-01&end=2020-03-31").content.decode())

    assert "No step or onboarding request was completed in this period." in html
    assert "No step fell due in this period." in html
    assert "Nobody answered the survey in this period." in html
    assert "No survey was sent in this period." in html
    assert "No service was approved or denied in this period." in html
    assert "No closeout notice went out in this period." in html


# --- CSV and SVG ---------------------------------------------------------------------------


def test_csv_cells_that_look_like_formulas_are_made_inert(team, people):
    service = Service.objects.get(slug="slack")
    Service.objects.filter(pk=service.pk).update(name="=HYPERLINK(\"http://x\")")
    AccessGrant.objects.create(contract=people["mine"], user=UserFactory(), service=service,
                               requested_by=people["so"], status=GrantStatus.ACTIVE)

    response = team.get(reverse("reports:metric_csv", args=["grants"]))

    assert response["Content-Disposition"] == \
        'attachment; filename="muster-grants-2025-11-25-to-2026-11-24.csv"'
    lines = list(csv.reader(io.StringIO(response.content.decode().lstrip("\ufeff"))))
    assert lines[1] == ["'=HYPERLINK(\"http://x\")", "0", "1", "0", "0", "1"]


def test_each_chart_is_an_svg_without_script_or_inline_style_attributes(team, people):
    contract = make_contract()
    step_done(contract, "submit-intake", MONDAY)
    step_done(contract, "eligibility-meeting", datetime.date(2026, 6, 3))

    response = team.get(reverse("reports:metric_svg", args=["cycle-times"]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    body = response.content.decode()
    assert body.startswith("<svg ")
    assert "<script" not in body and " style=" not in body
    assert "<title>Cycle time of each step and of onboarding." in body
    assert "Contract onboarding services meeting" in body
    # Its one <style> element is allowed by its hash, and nothing else inline.
    policy = response["Content-Security-Policy"]
    assert "script-src 'none'" in policy
    assert re.search(r"style-src 'self' 'sha256-[A-Za-z0-9+/=]+'(;|$)", policy)
    assert "unsafe-inline" not in policy


# --- Computed at most every few minutes ---------------------------------------------------


def test_the_page_says_when_its_figures_were_computed_and_keeps_them_ten_minutes(
        team, people, time_machine):
    """The figures read every step done in the period (tens of thousands at 10,000
    contracts): the page keeps them for ten minutes, and says so."""
    sas = Service.objects.get(slug="sas-viya")
    page = METRICS + "?start=2020-01-01&end=2020-01-31"

    def grant():
        AccessGrant.objects.create(contract=people["mine"], user=UserFactory(), service=sas,
                                   requested_by=people["so"], status=GrantStatus.ACTIVE)

    grant()
    html = team.get(page).content.decode()
    assert table_rows(html, "grants")["SAS Viya"][-1] == "1"
    assert "Figures as of 7:00 a.m. (they are worked out again every 10 minutes)" in text_of(html)

    grant()
    time_machine.move_to(timezone.now() + datetime.timedelta(minutes=9), tick=False)
    html = team.get(page).content.decode()
    assert table_rows(html, "grants")["SAS Viya"][-1] == "1"  # as of 7:00, as it says

    time_machine.move_to(timezone.now() + datetime.timedelta(minutes=2), tick=False)
    html = team.get(page).content.decode()
    assert table_rows(html, "grants")["SAS Viya"][-1] == "2"
    assert "Figures as of 7:11 a.m." in text_of(html)
    # A table's CSV file is always worked out afresh.
    assert csv_of(team, "grants", "?start=2020-01-01&end=2020-01-31")[1][-1] == "2"


def test_the_tables_are_drawn_once_per_figures_and_redrawn_with_new_figures(
        team, people, time_machine):
    """Drawing the tables is most of the page's cost once the figures are kept: they are
    drawn once with the figures and kept as long as the figures are (only the period form
    and the layout are drawn on each visit)."""
    page = METRICS + "?start=2020-01-01&end=2020-01-31"
    tables = "reports/metric_tables.html"

    first = team.get(page)
    again = team.get(page)
    assert tables in [t.name for t in first.templates]
    assert tables not in [t.name for t in again.templates]
    assert text_of(again.content.decode()) == text_of(first.content.decode())

    other_period = team.get(METRICS + "?start=2020-02-01&end=2020-02-29")
    assert tables in [t.name for t in other_period.templates]
    assert "from February 1, 2020" in text_of(other_period.content.decode())

    time_machine.move_to(timezone.now() + datetime.timedelta(minutes=11), tick=False)
    later = team.get(page)
    assert tables in [t.name for t in later.templates]
    assert "Figures as of 7:11 a.m." in text_of(later.content.decode())
