"""Which changes are webhook events, and what their deliveries say: each change made
through Muster's own services, its delivery's type, object and data (never a reason or a
note a person wrote)."""

import datetime

import pytest

from muster.access import additional, dua, grants
from muster.access.models import AccessGrant, GrantStatus
from muster.accounts.models import ContractRole, TeamRole
from muster.audit.models import AuditEvent
from muster.catalog.models import Service
from muster.contracts import services as contract_services
from muster.contracts.models import Contract, ContractService
from muster.onboarding import services as onboarding
from muster.onboarding.models import OnboardingRequest, Status
from muster.webhooks.events import classify
from muster.webhooks.models import Delivery, EventType
from tests.access import give_dua
from tests.factories import (
    TODAY,
    UserFactory,
    activate,
    give_role,
    make_contract,
    pdf_upload,
    team_member,
)

pytestmark = pytest.mark.django_db
PRIVATE = "Quagmire private words"


@pytest.fixture
def everything(endpoint_for):
    """An endpoint subscribed to every event type (no receiver needed: these tests read
    the deliveries queued)."""
    endpoint, _ = endpoint_for("https://hooks.example.org/muster", *EventType.values)
    return endpoint


def sent(event_type=None) -> list[dict]:
    rows = Delivery.objects.order_by("id")
    if event_type:
        rows = rows.filter(event_type=event_type)
    return [d.payload for d in rows]


@pytest.fixture
def active_contract(db, freeze_today):
    freeze_today()
    contract = activate(make_contract(name="Alder Analytics"))
    people = {"cor": UserFactory(), "poc": UserFactory(), "so": UserFactory()}
    for role, person in people.items():
        give_role(person, contract, role)
    return contract, people


def test_an_additional_service_request_submitted_then_denied(active_contract, everything):
    contract, people = active_contract
    confluence = Service.objects.get(slug="confluence")
    lead = team_member(TeamRole.Role.SERVICE_LEAD, service=confluence)

    req = additional.request_service(
        people["cor"], contract, service=confluence, organization_name="Alder LLC",
        justification=PRIVATE, estimated_users=12)
    additional.lead_decide(lead, req, approve=False, reason=PRIVATE)

    submitted, decided = sent()
    assert submitted["type"] == "request.submitted"
    assert submitted["object"] == {"type": "additional_service_request", "id": req.pk}
    assert submitted["contract"]["name"] == "Alder Analytics"
    assert submitted["data"] == {"kind": "additional_service", "status": "awaiting_cor",
                                 "service": {"slug": "confluence", "name": "Confluence"},
                                 "estimated_users": 12}
    assert decided["type"] == "request.decided"
    assert decided["data"]["decision"] == "denied"
    assert decided["data"]["status"] == "denied"
    assert PRIVATE not in str(sent())


def test_an_additional_service_request_withdrawn_by_the_cor(active_contract, everything):
    contract, people = active_contract
    slack = Service.objects.get(slug="slack")
    req = additional.request_service(
        people["cor"], contract, service=slack, organization_name="Alder LLC",
        justification="Chat with the agency.", estimated_users=3)

    additional.withdraw(people["cor"], req, reason=PRIVATE)

    [cancelled] = sent("request.cancelled")
    assert cancelled["data"]["how"] == "withdrawn"
    assert cancelled["data"]["status"] == "cor_withdrawn"
    assert PRIVATE not in str(cancelled)


def test_an_onboarding_request_cancelled_by_the_team(freeze_today, everything, team):
    freeze_today()
    contract = make_contract()
    request = OnboardingRequest.objects.create(contract=contract, status=Status.SUBMITTED,
                                               created_by=team)

    onboarding.cancel(team, request, PRIVATE)

    [cancelled] = sent()
    assert cancelled["type"] == "request.cancelled"
    assert cancelled["object"] == {"type": "onboarding_request", "id": request.pk}
    assert cancelled["data"] == {"kind": "onboarding", "status": "cancelled",
                                 "how": "cancelled"}
    assert PRIVATE not in str(cancelled)


def test_an_onboarding_request_rejected_by_the_team_lead(freeze_today, everything, team):
    freeze_today()
    lead = team_member(TeamRole.Role.TEAM_LEAD)
    contract = make_contract()
    ContractService.objects.create(contract=contract,
                                   service=Service.objects.get(slug="sas-viya"))
    request = OnboardingRequest.objects.create(contract=contract, status=Status.REVIEWED,
                                               created_by=team)

    onboarding.reject(lead, request, PRIVATE)

    [decided] = sent()
    assert decided["type"] == "request.decided"
    assert decided["data"]["decision"] == "rejected"
    assert decided["data"]["services"] == [
        {"slug": "sas-viya", "name": "SAS Viya", "status": "requested"}]
    assert PRIVATE not in str(decided)


def test_a_grant_requested_then_confirmed_is_active(scene, everything):
    grants.revoke(scene["so"], scene["grant"])  # Cody's old access, to ask again

    grant = grants.grant(scene["so"], scene["contract"], scene["cody"], scene["service"])
    grants.confirm(scene["team"], grant)

    revoked, active = sent()
    assert revoked["type"] == "grant.revoked"
    assert active["type"] == "grant.active"
    assert active["object"] == {"type": "access_grant", "id": grant.pk}
    assert active["data"]["status"] == "active"
    assert active["data"]["user"] == {"email": "cody@alder.example.com", "harp_id": "CODY1234"}


@pytest.fixture
def sas_scene(scene, freeze_today):
    """Cody's access to SAS Viya (which needs a DUA), with a DUA that expired on Nov 1."""
    freeze_today(TODAY)
    contract = scene["contract"]
    sas = Service.objects.get(slug="sas-viya")
    ContractService.objects.create(contract=contract, service=sas,
                                   status=ContractService.Status.APPROVED)
    old = give_dua(contract, expiry=datetime.date(2026, 11, 1), number="DUA-OLD")
    old.services.set([sas])
    scene["sas_grant"] = AccessGrant.objects.create(
        contract=contract, user=scene["cody"], service=sas, status=GrantStatus.ACTIVE,
        activated_at=datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC),
        eua_job_code=sas.eua_job_code, requested_by=scene["so"])
    scene["sas"], scene["dua"] = sas, old
    return scene


def test_a_lapsed_dua_and_the_access_it_paused(sas_scene, everything):
    dua.pause_lapsed(TODAY)

    [lapsed] = sent("dua.lapsed")
    assert lapsed["object"] == {"type": "dua", "id": sas_scene["dua"].pk}
    assert lapsed["data"] == {"number": "DUA-OLD", "expiry_date": "2026-11-01",
                              "cause": "expired", "services": ["sas-viya"]}
    [paused] = sent("grant.paused")
    assert paused["object"]["id"] == sas_scene["sas_grant"].pk
    assert paused["data"]["status"] == "paused"
    assert paused["data"]["pause_reason"] == "dua_lapsed"
    assert AuditEvent.objects.filter(action="access.dua_lapsed").count() == 1

    dua.pause_lapsed(TODAY)  # the daily check again: nothing new
    assert len(sent()) == 2


def test_a_new_dua_resumes_the_access_as_active(sas_scene, everything):
    dua.pause_lapsed(TODAY)

    dua.upload_dua(sas_scene["so"], sas_scene["contract"], number="DUA-NEW",
                   effective_date=None, expiry_date=datetime.date(2027, 11, 30),
                   document=pdf_upload(), services=[sas_scene["sas"]])

    [active] = sent("grant.active")
    assert active["object"]["id"] == sas_scene["sas_grant"].pk
    assert active["data"]["status"] == "active"


def test_a_dua_marked_invalid_has_lapsed(sas_scene, everything):
    current = give_dua(sas_scene["contract"], expiry=datetime.date(2027, 6, 30),
                       number="DUA-NOW")
    current.services.set([sas_scene["sas"]])

    dua.invalidate_dua(sas_scene["team"], current, PRIVATE)

    [lapsed] = sent("dua.lapsed")
    assert lapsed["data"]["cause"] == "invalidated"
    assert lapsed["data"]["number"] == "DUA-NOW"
    assert len(sent("grant.paused")) == 1
    assert PRIVATE not in str(sent())


def test_a_contract_closing_then_closed(freeze_today, everything):
    freeze_today()
    contract = activate(make_contract(name="Closing Co", contract_number="75FCMC26C0777"))

    contract_services.change_stage(None, contract, Contract.begin_closeout)
    contract_services.change_stage(None, contract, Contract.close)

    closing, closed = sent()
    assert (closing["type"], closed["type"]) == ("contract.closing", "contract.closed")
    assert closing["object"] == {"type": "contract", "id": contract.pk}
    assert closing["contract"] == {"id": contract.pk, "number": "75FCMC26C0777",
                                   "name": "Closing Co"}
    assert (closing["data"], closed["data"]) == ({"stage": "closing"}, {"stage": "closed"})


def test_other_changes_are_no_webhook_events(freeze_today, everything, team):
    freeze_today()
    contract = make_contract()
    contract_services.update_contract(team, contract, name="Renamed")
    give_role(UserFactory(), contract, ContractRole.Role.POC)
    contract_services.change_stage(None, contract, Contract.award)

    assert sent() == []


@pytest.mark.parametrize(("action", "before", "after", "expected"), [
    ("access.grant_resumed", {}, {"status": "active"}, "grant.active"),
    ("access.grant_resumed", {}, {"status": "requested"}, None),  # not confirmed yet
    ("access.grant_paused", {"status": "active"}, {"status": "paused"}, "grant.paused"),
    ("access.grant_paused", {"status": "paused"}, {"status": "paused"}, None),  # stays
    ("access.grant_paused", {}, {"status": "paused", "successor": 7}, None),  # a copy
    ("access.carried_over", {}, {}, None),
    ("contract.close", {}, {}, "contract.closed"),
])
def test_which_audit_events_are_webhook_events(action, before, after, expected):
    assert classify(AuditEvent(action=action, before=before, after=after)) == expected


def test_what_the_listener_costs_a_change(scene, endpoint_for, django_assert_num_queries):
    """Nothing for an event no webhook is about; for one that is, the object and one insert
    for every endpoint's delivery (the endpoints were read by the transaction's first
    event: once per transaction)."""
    from muster.audit.services import record
    from muster.webhooks.services import queue_deliveries

    event = AuditEvent.objects.filter(contract=scene["contract"]).first()
    with django_assert_num_queries(0):
        assert queue_deliveries(event) == []  # contract.created: not a webhook event

    for n in range(3):
        endpoint_for(f"https://hooks.example.org/{n}", "grant.revoked")
    revoked = record(None, "access.revoked", scene["grant"], "Revoked",
                     contract=scene["contract"])
    Delivery.objects.all().delete()
    with django_assert_num_queries(2):
        assert len(queue_deliveries(revoked)) == 3


def test_a_transaction_reads_the_endpoints_once(scene, endpoint_for):
    """The daily sweep records hundreds of events: the endpoints are read once per
    transaction, and read again after one of them changed in it."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from muster.audit.services import record
    from muster.webhooks import services as webhooks

    first, _ = endpoint_for("https://hooks.example.org/first", "grant.revoked")
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        for n in range(3):
            record(None, "access.revoked", scene["grant"], f"Revoked {n}",
                   contract=scene["contract"])
        reads = [q for q in captured if 'FROM "webhooks_endpoint"' in q["sql"]]
        assert len(reads) == 1
        assert Delivery.objects.filter(endpoint=first).count() == 3
        # A new endpoint in the same transaction gets the next event; a disabled one not.
        second, _ = endpoint_for("https://hooks.example.org/second", "grant.revoked")
        webhooks.set_active(scene["team"], first, False)
        record(None, "access.revoked", scene["grant"], "Revoked again",
               contract=scene["contract"])
    assert Delivery.objects.filter(endpoint=first).count() == 3
    assert Delivery.objects.filter(endpoint=second).count() == 1
