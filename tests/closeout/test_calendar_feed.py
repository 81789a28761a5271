"""Calendar feeds through HTTP: the page that makes and turns off a person's private link,
the person's feed (exactly the due dates they are responsible for) and a contract's feed,
read the way a calendar app reads them (no sign-in, RFC 5545 text)."""

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from muster.accounts.models import ContractRole, TeamRole
from muster.audit.models import AuditEvent
from muster.closeout import calendar_feed
from muster.closeout.models import CalendarFeed
from muster.contracts import services as contract_services
from muster.timeline.models import ContractStep

from ..factories import UserFactory, give_role, make_contract, request_service

pytestmark = pytest.mark.django_db
D = datetime.date
MANAGE = reverse("closeout:calendar")
BASE = "https://muster.example.gov"

# The default process's steps, by the party they name (timeline/data/default_process.toml).
COR_STEPS = {"notify-solicitation", "identify-requirements", "notify-award",
             "so-spoc-identified", "submit-intake", "eligibility-meeting",
             "touch-point-calls", "closeout-scenario"}
CONTRACTOR_STEPS = {"name-so-spoc", "so-spoc-identified", "submit-intake",
                    "eligibility-meeting", "touch-point-calls", "post-onboarding-survey"}
TEAM_STEPS = {"identify-requirements", "eligibility-meeting", "complete-onboarding",
              "touch-point-calls", "post-onboarding-survey", "closeout-notice",
              "remove-access"}
SERVICE_LEAD_STEPS = {"complete-onboarding"}


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.MUSTER_BASE_URL = BASE


# ---------------------------------------------------------------- a tiny RFC 5545 reader


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])",
                  lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def parse_ics(body: bytes) -> dict:
    """Check the structure a calendar app relies on and return the calendar as
    {"props": {...}, "events": [{...}, ...]} (property values unescaped)."""
    assert body.endswith(b"\r\n")
    assert b"\n" not in body.replace(b"\r\n", b""), "a bare LF or CR line ending"
    physical = body[:-2].split(b"\r\n")
    for line in physical:
        assert len(line) <= 75, f"an unfolded line of {len(line)} octets: {line!r}"
    text = body.decode("utf-8")
    logical = text[:-2].replace("\r\n ", "").split("\r\n")  # unfold
    stack, calendar, event = [], {"props": {}, "events": []}, None
    for line in logical:
        name_params, value = re.match(r"^([^:]+):(.*)$", line).groups()
        name, *params = name_params.split(";")
        if name == "BEGIN":
            stack.append(value)
            if value == "VEVENT":
                event = {}
            continue
        if name == "END":
            assert stack and stack.pop() == value, f"END:{value} does not close a BEGIN"
            if value == "VEVENT":
                calendar["events"].append(event)
                event = None
            continue
        target = event if event is not None else calendar["props"]
        assert name not in target, f"{name} given twice"
        target[name] = (tuple(params), unescape(value))
    assert stack == [], f"unclosed {stack}"
    return calendar


def feed_of(client, url) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return parse_ics(response.content)


def person_url(user) -> str:
    return reverse("closeout:person_feed", args=[calendar_feed.feed_for(user).token])


def contract_url(user, contract) -> str:
    token = calendar_feed.feed_for(user).token
    return reverse("closeout:contract_feed", args=[token, contract.pk])


def listed(calendar: dict) -> set[tuple[str, str]]:
    """(contract name, step key) of each event, through the step its UID names."""
    pks = {}
    for event in calendar["events"]:
        uid = event["UID"][1]
        match = re.fullmatch(r"step-(\d+)@muster", uid)
        assert match, uid
        pks[int(match.group(1))] = event
    steps = ContractStep.objects.filter(pk__in=pks).select_related("contract")
    assert len(steps) == len(pks)
    return {(s.contract.name, s.key) for s in steps}


def event_for(calendar: dict, step: ContractStep) -> dict | None:
    for event in calendar["events"]:
        if event["UID"][1] == f"step-{step.pk}@muster":
            return event
    return None


def anonymous() -> Client:
    return Client()  # a calendar app: no session, no cookies


# ---------------------------------------------------------------- who sees which due dates


@pytest.mark.parametrize("role, expected", [
    ("cor", COR_STEPS),
    ("poc", CONTRACTOR_STEPS),
    ("so", CONTRACTOR_STEPS),
    ("spoc", CONTRACTOR_STEPS),
    ("sas_lead", SERVICE_LEAD_STEPS),
])
def test_the_feed_lists_exactly_the_steps_the_role_is_responsible_for(people, role, expected):
    calendar = feed_of(anonymous(), person_url(people[role]))
    assert listed(calendar) == {("Mine", key) for key in expected}


def test_the_onboarding_team_gets_its_steps_on_every_contract(people):
    calendar = feed_of(anonymous(), person_url(people["onboarding_team"]))
    expected = {
        (s.contract.name, s.key)
        for s in ContractStep.objects.filter(due_date__isnull=False, key__in=TEAM_STEPS)
        .select_related("contract")
    }
    assert {name for name, _ in expected} == {"Mine", "Other"}
    assert listed(calendar) == expected
    # "Other" has no period of performance yet: its POP-anchored steps have no date.
    assert ("Other", "remove-access") not in listed(calendar)
    assert ("Mine", "remove-access") in listed(calendar)


def test_a_team_lead_gets_only_steps_that_name_the_team_lead(people):
    mine = people["mine"]
    assert feed_of(anonymous(), person_url(people["team_lead"]))["events"] == []
    step = mine.steps.get(key="eligibility-meeting")
    step.responsible = ["team_lead"]
    step.save()
    calendar = feed_of(anonymous(), person_url(people["team_lead"]))
    assert listed(calendar) == {("Mine", "eligibility-meeting")}


@pytest.mark.parametrize("role", ["contractor_user", "administrator", "outsider", "other_cor"])
def test_people_responsible_for_nothing_on_mine_get_none_of_its_dates(people, role):
    calendar = feed_of(anonymous(), person_url(people[role]))
    assert not {key for name, key in listed(calendar) if name == "Mine"}


def test_another_contracts_steps_never_appear(people):
    calendar = feed_of(anonymous(), person_url(people["other_cor"]))
    assert listed(calendar) == {("Other", k) for k in COR_STEPS
                                if people["other"].steps.get(key=k).due_date}
    assert listed(calendar)  # Other's award-anchored steps are dated
    confluence = feed_of(anonymous(), person_url(people["confluence_lead"]))
    assert listed(confluence) == set()  # Other's onboarding step has no date yet
    for role in ("cor", "so", "sas_lead"):
        names = {name for name, _ in listed(feed_of(anonymous(), person_url(people[role])))}
        assert names == {"Mine"}


def test_a_service_lead_of_a_service_the_contract_did_not_request_sees_nothing(people):
    # Confluence's lead is responsible on "Other" only, however Mine's steps are named.
    mine = people["mine"]
    mine.steps.filter(key="touch-point-calls").update(responsible=["service_lead"])
    calendar = feed_of(anonymous(), person_url(people["confluence_lead"]))
    assert {name for name, _ in listed(calendar)} <= {"Other"}
    sas = feed_of(anonymous(), person_url(people["sas_lead"]))
    assert listed(sas) == {("Mine", "complete-onboarding"), ("Mine", "touch-point-calls")}


def test_a_completed_step_disappears_and_a_moved_date_moves(client, people):
    mine = people["mine"]
    url = person_url(people["cor"])
    intake = mine.steps.get(key="submit-intake")
    event = event_for(feed_of(anonymous(), url), intake)
    assert event["DTSTART"] == (("VALUE=DATE",), "20261201")
    assert event["DTEND"] == (("VALUE=DATE",), "20261202")

    client.force_login(people["onboarding_team"])
    response = client.post(
        reverse("contracts:step_complete", args=[mine.pk, intake.pk]), {"note": "Submitted"}
    )
    assert response.status_code == 302
    calendar = feed_of(anonymous(), url)
    assert event_for(calendar, intake) is None
    assert ("Mine", "submit-intake") not in listed(calendar)

    identified = mine.steps.get(key="so-spoc-identified")  # POP start + 1 calendar day
    assert event_for(calendar, identified)["DTSTART"][1] == "20261202"
    response = client.post(reverse("contracts:edit", args=[mine.pk]), {
        "name": mine.name, "contract_number": mine.contract_number,
        "estimated_award_date": "2026-03-02", "pop_start": "2027-01-04",
        "pop_end": "2027-11-30",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    event = event_for(feed_of(anonymous(), url), identified)
    assert event["DTSTART"] == (("VALUE=DATE",), "20270105")
    assert event["DTEND"] == (("VALUE=DATE",), "20270106")


def test_a_step_without_a_due_date_is_left_out(people):
    mine = people["mine"]
    mine.steps.filter(key="submit-intake").update(due_date=None)
    assert ("Mine", "submit-intake") not in listed(feed_of(anonymous(), person_url(people["cor"])))


def test_losing_the_role_removes_the_dates(people):
    ContractRole.objects.filter(user=people["so"], contract=people["mine"]).delete()
    assert listed(feed_of(anonymous(), person_url(people["so"]))) == set()


# ---------------------------------------------------------------- the events themselves


def test_each_event_says_what_is_due_who_does_it_and_where(people):
    mine = people["mine"]
    step = mine.steps.get(key="eligibility-meeting")
    event = event_for(feed_of(anonymous(), person_url(people["cor"])), step)
    assert event["SUMMARY"][1] == f"{step.name} — Mine"
    description = event["DESCRIPTION"][1]
    assert "Responsible: Onboarding team, COR, Contractor" in description
    assert f"Done when: {step.evidence}" in description
    assert mine.contract_number in description
    assert event["URL"][1] == f"{BASE}/contracts/{mine.pk}/"
    assert re.fullmatch(r"\d{8}T\d{6}Z", event["DTSTAMP"][1])


def test_the_calendar_is_well_formed_and_escapes_commas_and_semicolons(people):
    mine = people["mine"]
    mine.name = "Quality, Safety; and Care \\ Review of a very long contract name " * 2
    mine.save()
    response = anonymous().get(person_url(people["cor"]))
    body = response.content
    calendar = parse_ics(body)  # CRLF, ≤ 75 octets a line, BEGIN/END pairs
    assert calendar["props"]["VERSION"][1] == "2.0"
    assert calendar["props"]["PRODID"][1]
    assert len(calendar["events"]) == len(COR_STEPS)
    for event in calendar["events"]:
        for prop in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"):
            assert prop in event
        assert re.fullmatch(r"\d{8}", event["DTSTART"][1])
        assert event["SUMMARY"][1].endswith(" — " + mine.name)
    text = body.decode().replace("\r\n ", "")
    assert "Quality\\, Safety\\; and Care \\\\ Review" in text
    assert b"\r\n " in body  # the long summaries were folded
    assert len({e["UID"][1] for e in calendar["events"]}) == len(calendar["events"])


def test_folding_never_splits_a_character():
    line = "SUMMARY:" + "é" * 100
    folded = calendar_feed.fold(line)
    for part in folded.split("\r\n"):
        assert len(part.encode()) <= 75
        part.encode().decode("utf-8")  # whole characters only
    assert folded.replace("\r\n ", "") == line


def test_escaping_of_text():
    assert calendar_feed.escape_text("a,b;c\\d\ne\r\nf") == "a\\,b\\;c\\\\d\\ne\\nf"


def test_the_uid_of_a_step_is_stable_across_reads(people):
    url = person_url(people["cor"])
    first = {e["UID"][1] for e in feed_of(anonymous(), url)["events"]}
    second = {e["UID"][1] for e in feed_of(anonymous(), url)["events"]}
    assert first == second and len(first) == len(COR_STEPS)


# ---------------------------------------------------------------- the private link


def test_the_page_makes_the_link_and_the_link_works_without_signing_in(client, people):
    cor = people["cor"]
    client.force_login(cor)
    page = client.get(MANAGE)
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count("<h1") == 1
    assert "You have no calendar link yet" in html
    assert not CalendarFeed.objects.filter(user=cor).exists()

    response = client.post(MANAGE, {"action": "create"})
    assert response.status_code == 302 and response.url == MANAGE
    feed = CalendarFeed.objects.get(user=cor)
    html = client.get(MANAGE).content.decode()
    absolute = f"{BASE}/closeout/calendar/{feed.token}.ics"
    assert f'value="{absolute}"' in html
    assert f'href="webcal://muster.example.gov/closeout/calendar/{feed.token}.ics"' in html
    for app in ("Outlook", "Google Calendar", "Apple Calendar"):
        assert app in html
    assert "Your calendar link is ready" in html
    assert f"{len(COR_STEPS)} open due dates" in html
    assert "stops updating" in html  # the sentence before the button that turns it off
    assert len(feed.token) >= 40

    event = AuditEvent.objects.get(action="calendar_feed.created")
    assert event.actor == cor
    assert feed.token not in str(event.after) + event.summary

    # Making it again keeps the same link.
    client.post(MANAGE, {"action": "create"})
    assert CalendarFeed.objects.filter(user=cor).count() == 1
    assert AuditEvent.objects.filter(action="calendar_feed.created").count() == 1

    assert len(feed_of(anonymous(), f"/closeout/calendar/{feed.token}.ics")["events"]) == 8


def test_a_turned_off_link_is_a_404_and_a_new_link_works(client, people):
    cor = people["cor"]
    client.force_login(cor)
    client.post(MANAGE, {"action": "create"})
    old = CalendarFeed.objects.get(user=cor)
    old_url = reverse("closeout:person_feed", args=[old.token])
    old_contract_url = reverse("closeout:contract_feed", args=[old.token, people["mine"].pk])
    assert anonymous().get(old_url).status_code == 200

    response = client.post(MANAGE, {"action": "revoke"}, follow=True)
    assert "Your calendar link is turned off" in response.content.decode()
    old.refresh_from_db()
    assert old.revoked_at is not None
    gone = anonymous().get(old_url)
    assert gone.status_code == 404
    assert b"BEGIN:VCALENDAR" not in gone.content and old.token.encode() not in gone.content
    assert anonymous().get(old_contract_url).status_code == 404
    revoked = AuditEvent.objects.get(action="calendar_feed.revoked")
    assert revoked.actor == cor and revoked.object_id == str(old.pk)
    assert "You have no calendar link yet" in response.content.decode()

    client.post(MANAGE, {"action": "create"})
    new = CalendarFeed.objects.get(user=cor, revoked_at__isnull=True)
    assert new.token != old.token
    assert len(feed_of(anonymous(), reverse("closeout:person_feed", args=[new.token]))
               ["events"]) == len(COR_STEPS)
    assert anonymous().get(old_url).status_code == 404


def test_turning_off_without_a_link_changes_nothing(client, people):
    client.force_login(people["cor"])
    response = client.post(MANAGE, {"action": "revoke"}, follow=True)
    assert "You had no calendar link to turn off" in response.content.decode()
    assert not AuditEvent.objects.filter(action__startswith="calendar_feed").exists()


def test_an_unknown_action_is_a_400_that_changes_nothing(client, people):
    client.force_login(people["cor"])
    response = client.post(MANAGE, {"action": "delete-everything"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "<title>Error: " in html and "There is a problem" in html
    assert not CalendarFeed.objects.exists()


@pytest.mark.parametrize("token", ["nope", "x" * 43, "x" * 200])
def test_an_unknown_token_is_a_404(people, token):
    calendar_feed.feed_for(people["cor"])
    assert anonymous().get(reverse("closeout:person_feed", args=[token])).status_code == 404
    url = reverse("closeout:contract_feed", args=[token, people["mine"].pk])
    assert anonymous().get(url).status_code == 404


def test_an_inactive_persons_link_stops_working(people):
    url = person_url(people["cor"])
    people["cor"].is_active = False
    people["cor"].save()
    assert anonymous().get(url).status_code == 404


def test_the_feeds_are_read_only(people):
    url = person_url(people["cor"])
    assert anonymous().post(url).status_code == 405
    assert anonymous().head(url).status_code == 200


def test_the_manage_page_needs_a_sign_in(people):
    response = anonymous().get(MANAGE)
    assert response.status_code == 302 and "/accounts/" in response.url


@pytest.mark.parametrize("role", [
    "cor", "poc", "so", "spoc", "contractor_user", "other_cor", "onboarding_team",
    "team_lead", "administrator", "sas_lead", "confluence_lead", "outsider",
])
def test_the_manage_page_works_for_every_role(client, people, role):
    user = people[role]
    client.force_login(user)
    calendar_feed.feed_for(user)
    response = client.get(MANAGE)
    html = response.content.decode()
    assert response.status_code == 200
    assert len(re.findall(r"<h1[ >]", html)) == 1
    token = CalendarFeed.objects.get(user=user).token
    sees_mine = role in {"cor", "poc", "so", "spoc", "onboarding_team", "team_lead",
                         "administrator", "sas_lead"}
    mine_link = f"{BASE}/closeout/calendar/{token}/contracts/{people['mine'].pk}.ics"
    assert (mine_link in html) == sees_mine
    other_link = f"/contracts/{people['other'].pk}.ics"
    assert (other_link in html) == (role in {"other_cor", "onboarding_team", "team_lead",
                                             "administrator", "confluence_lead"})


def test_the_manage_page_lists_contracts_without_links_until_one_is_made(client, people):
    client.force_login(people["cor"])
    html = client.get(MANAGE).content.decode()
    assert "Mine" in html and "Make your calendar link first" in html
    assert ".ics" not in html


# ---------------------------------------------------------------- a contract's feed


def test_a_contracts_feed_lists_every_open_dated_step_of_that_contract(people):
    mine = people["mine"]
    mine.steps.filter(key="notify-solicitation").update(completed_at=datetime.datetime(
        2026, 1, 2, tzinfo=datetime.UTC))
    expected = {("Mine", s.key) for s in mine.steps.filter(due_date__isnull=False,
                                                             completed_at__isnull=True)}
    assert ("Mine", "notify-solicitation") not in expected
    for role in ("so", "sas_lead", "onboarding_team", "administrator"):
        calendar = feed_of(anonymous(), contract_url(people[role], mine))
        assert listed(calendar) == expected
        assert calendar["props"]["X-WR-CALNAME"][1] == "Muster — Mine"


@pytest.mark.parametrize("role", ["other_cor", "confluence_lead", "contractor_user",
                                  "outsider"])
def test_a_contracts_feed_is_a_404_for_a_person_who_cannot_see_it(people, role):
    response = anonymous().get(contract_url(people[role], people["mine"]))
    assert response.status_code == 404
    assert b"Mine" not in response.content


def test_a_contracts_feed_for_a_contract_that_does_not_exist_is_a_404(people):
    url = reverse("closeout:contract_feed",
                  args=[calendar_feed.feed_for(people["onboarding_team"]).token, 999999])
    assert anonymous().get(url).status_code == 404


# ---------------------------------------------------------------- a bounded number of queries


def _cor_with(n: int):
    cor = UserFactory()
    lead_service = None
    for i in range(n):
        contract = make_contract(name=f"Load {n}-{i}", pop_start=D(2026, 12, 1),
                                 pop_end=D(2027, 11, 30))
        give_role(cor, contract, ContractRole.Role.COR)
        request_service(contract, "sas-viya")
        lead_service = contract.services.get().service
    TeamRole.objects.create(user=cor, role=TeamRole.Role.SERVICE_LEAD, service=lead_service)
    return cor


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_feed_and_the_page_make_as_many_queries_for_30_contracts_as_for_3(
    client, db, django_assert_max_num_queries
):
    few, many = _cor_with(3), _cor_with(30)
    few_url, many_url = person_url(few), person_url(many)
    with django_assert_max_num_queries(4):
        calendar = feed_of(anonymous(), many_url)
    # COR steps on their 30 contracts; as SAS Viya's lead, its step on all 33 that request it.
    assert len(calendar["events"]) == 30 * len(COR_STEPS) + 33 * len(SERVICE_LEAD_STEPS)
    assert _queries(anonymous(), few_url) == _queries(anonymous(), many_url)

    client.force_login(few)
    client.get(MANAGE)  # as for `many` below: the footer's contacts are then kept a minute
    few_page = _queries(client, MANAGE)
    client.force_login(many)
    with django_assert_max_num_queries(10):
        client.get(MANAGE)
    assert _queries(client, MANAGE) == few_page


def test_changing_a_milestone_audits_and_moves_the_date_through_the_service(people):
    # The feed reads stored due dates: a service change is seen on the next read.
    mine = people["mine"]
    url = person_url(people["onboarding_team"])
    step = mine.steps.get(key="remove-access")
    assert event_for(feed_of(anonymous(), url), step)["DTSTART"][1] == "20271130"
    contract_services.update_contract(people["onboarding_team"], mine, pop_end=D(2028, 1, 31))
    assert event_for(feed_of(anonymous(), url), step)["DTSTART"][1] == "20280131"
