"""The audit record through the REST API: a contract's history, for those its history
page is for, and the stream of every event since a cursor, for the agency's SIEM (the
team and administrators only)."""

import pytest

from muster.audit import checkpoints, correlation
from muster.audit.models import AuditEvent
from muster.timeline import services as timeline
from tests.api.conftest import api_client, token_for
from tests.factories import make_contract

pytestmark = pytest.mark.django_db


def as_(person):
    return api_client(token_for(person))


# --- A contract's events ---------------------------------------------------------------


def test_a_contracts_events_newest_first_with_what_a_siem_needs(people, freeze_today):
    freeze_today()
    mine = people["mine"]
    with correlation.scope("test-complete-step-1"):
        timeline.complete_step(people["onboarding_team"], mine.steps.order_by("order")[0],
                               "Filed.")
    recorded = list(AuditEvent.objects.filter(contract=mine).order_by("-id"))

    body = as_(people["cor"]).get(f"/api/v1/contracts/{mine.pk}/events").json()

    assert [e["id"] for e in body["results"]] == [e.pk for e in recorded]
    newest = body["results"][0]
    assert newest["action"] == "timeline.step_completed"
    assert newest["actor"] == recorded[0].actor_label
    assert newest["summary"].startswith("Completed")
    assert newest["object_type"] == "timeline.contractstep"
    assert newest["request_id"] == "test-complete-step-1"
    assert newest["channel"] == ""
    assert newest["hash"] == recorded[0].hash
    assert newest["prev_hash"] == recorded[0].prev_hash
    assert newest["at"].startswith("2026-11-24T12:00:00")
    assert newest["after"]["note"] == "Filed."  # the history page shows before and after


def test_no_event_of_another_contract(people):
    make_contract(name="Third")
    other = people["other"]

    body = as_(people["onboarding_team"]).get(f"/api/v1/contracts/{other.pk}/events").json()

    assert body["results"]
    assert {e["id"] for e in body["results"]} == set(
        AuditEvent.objects.filter(contract=other).values_list("id", flat=True))


@pytest.mark.parametrize(("who", "status"), [
    ("cor", 200), ("onboarding_team", 200), ("team_lead", 200), ("administrator", 200),
    ("poc", 403), ("so", 403), ("sas_lead", 403),  # they see the contract, not its history
    ("other_cor", 404), ("outsider", 404), ("contractor_user", 404),
])
def test_the_history_is_for_whom_the_history_page_is(people, who, status):
    response = as_(people[who]).get(f"/api/v1/contracts/{people['mine'].pk}/events")

    assert response.status_code == status
    if status != 200:
        assert response["Content-Type"] == "application/problem+json"
        assert "Mine" not in response.content.decode()


def test_the_events_of_one_action_as_the_history_page_filters_them(people):
    mine = people["mine"]
    with correlation.scope("one-action-0001"):
        timeline.complete_step(people["onboarding_team"], mine.steps.order_by("order")[0])

    body = as_(people["cor"]).get(
        f"/api/v1/contracts/{mine.pk}/events?request_id=one-action-0001").json()
    bad = as_(people["cor"]).get(f"/api/v1/contracts/{mine.pk}/events?request_id=<script>")

    assert [e["action"] for e in body["results"]] == ["timeline.step_completed"]
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "request_id"


def test_a_contracts_events_are_cursor_paged(people):
    mine = people["mine"]
    for step in mine.steps.order_by("order")[:4]:
        timeline.complete_step(people["onboarding_team"], step)
    client = as_(people["cor"])
    expected = list(AuditEvent.objects.filter(contract=mine).order_by("-id")
                    .values_list("id", flat=True))

    seen, url = [], f"/api/v1/contracts/{mine.pk}/events?page_size=2"
    while url:
        page = client.get(url).json()
        assert len(page["results"]) <= 2
        seen += [e["id"] for e in page["results"]]
        url = page["next"]

    assert seen == expected


# --- The stream of every event, for the SIEM ---------------------------------------------


@pytest.mark.parametrize("who", ["onboarding_team", "team_lead", "administrator"])
def test_the_team_reads_every_event_oldest_first(people, who):
    siem = as_(people[who])
    everything = list(AuditEvent.objects.order_by("id").values_list("id", flat=True))

    body = siem.get("/api/v1/events?limit=1000").json()

    assert [e["id"] for e in body["events"]] == everything
    assert body["next"] == everything[-1]
    assert body["more"] is False
    # Events about no contract are in the stream too (a token issued, say).
    assert any(e["contract_id"] is None for e in body["events"])


@pytest.mark.parametrize("who", ["cor", "poc", "so", "spoc", "contractor_user", "sas_lead",
                                 "outsider"])
def test_nobody_else_reads_the_stream(people, who):
    response = as_(people[who]).get("/api/v1/events")

    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert "summary" not in response.content.decode()


def test_a_siem_polls_from_its_cursor_and_misses_nothing(people):
    """The loop of docs/api.md: read from `after`, keep `next`, read again from it."""
    siem = as_(people["team_lead"])
    start = AuditEvent.objects.order_by("-id").values_list("id", flat=True)[0]

    quiet = siem.get(f"/api/v1/events?after={start}").json()
    for step in people["mine"].steps.order_by("order")[:5]:
        timeline.complete_step(people["onboarding_team"], step)
    made = list(AuditEvent.objects.filter(id__gt=start).order_by("id")
                .values_list("id", flat=True))
    first = siem.get(f"/api/v1/events?after={quiet['next']}&limit=3").json()
    second = siem.get(f"/api/v1/events?after={first['next']}&limit=3").json()
    after_all = siem.get(f"/api/v1/events?after={second['next']}&limit=3").json()

    assert quiet == {"events": [], "next": start, "more": False,
                     "checkpoint": quiet["checkpoint"]}
    assert len(made) == 5
    assert [e["id"] for e in first["events"]] == made[:3] and first["more"] is True
    assert [e["id"] for e in second["events"]] == made[3:] and second["more"] is False
    assert after_all["events"] == [] and after_all["next"] == made[-1]


def test_the_stream_chains_as_the_record_does(people):
    """Each event names the previous one's hash: the SIEM can tell a gap or an edit."""
    events = as_(people["administrator"]).get("/api/v1/events?limit=1000").json()["events"]

    for previous, event in zip(events, events[1:], strict=False):
        assert event["prev_hash"] == previous["hash"]


def test_the_stream_gives_the_latest_signed_checkpoint(people):
    siem = as_(people["onboarding_team"])
    assert siem.get("/api/v1/events").json()["checkpoint"] is None

    made = checkpoints.make()
    body = siem.get("/api/v1/events").json()

    mark = body["checkpoint"]
    assert mark["number"] == made.number
    assert mark["last_event_id"] == made.last_event_id
    assert mark["head_hash"] == made.head_hash
    assert mark["signature"] == made.signature
    assert checkpoints.parse(mark["token"])[0].is_signed()


@pytest.mark.parametrize("query", ["after=-1", "after=x", "limit=0", "limit=1001",
                                   "limit=many"])
def test_a_bad_cursor_or_limit_is_a_422_problem(people, query):
    response = as_(people["onboarding_team"]).get(f"/api/v1/events?{query}")

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"


def test_reading_the_stream_writes_nothing_to_it(people):
    siem = as_(people["onboarding_team"])
    siem.get("/api/v1/events")
    count = AuditEvent.objects.count()

    siem.get("/api/v1/events")
    siem.get(f"/api/v1/contracts/{people['mine'].pk}/events")

    assert AuditEvent.objects.count() == count
