"""Each phase of the daily sweep costs the same statements for one contract as for several,
its audit events (each kept as one-by-one appends would keep it) appended in one: the
bench at 100,000 contracts (tests/bench/bench_sweep.py) has 20 contracts ending, 20 notices,
DUAs lapsing and expiring, and recertification campaigns due on one day."""

import datetime

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from muster.access import dua, dua_warnings
from muster.access.models import AccessGrant, GrantStatus
from muster.accounts.models import TeamRole
from muster.audit.models import AuditEvent
from muster.catalog.models import Service
from muster.closeout import ending, sweep
from muster.contracts.models import Contract, DataUseAgreement, Stage
from muster.notifications.models import OutboxEmail
from muster.recertification import services as recertification
from muster.recertification.models import Campaign, CampaignItem

from ..factories import UserFactory, activate, give_role, make_contract, team_member

pytestmark = pytest.mark.django_db
DAY = datetime.date(2027, 6, 9)
NOW = datetime.datetime(2027, 6, 9, 12, tzinfo=datetime.UTC)


@pytest.fixture
def team(db):
    return team_member(TeamRole.Role.ONBOARDING_TEAM, full_name="Tess Team")


def staffed(n: int, *, pop_end: datetime.date, slugs=("confluence", "slack")) -> list:
    """`n` active contracts ending on `pop_end`, each with a COR, an SO and a roster member
    per service in `slugs`, holding active access to it."""
    made = []
    for _ in range(n):
        contract = activate(make_contract(pop_start=DAY - datetime.timedelta(days=400),
                                          pop_end=pop_end))
        give_role(UserFactory(), contract, "cor")
        give_role(UserFactory(), contract, "so")
        for slug in slugs:
            member = UserFactory()
            give_role(member, contract, "contractor_user")
            AccessGrant.objects.create(contract=contract, user=member, requested_by=member,
                                       service=Service.objects.get(slug=slug),
                                       status=GrantStatus.ACTIVE)
        made.append(contract)
    return made


APPENDS = ('INSERT INTO "audit_auditevent"', 'COPY "audit_auditevent"')


def cost(fn, *args) -> tuple[object, int, int]:
    """(result, statements, audit events recorded), checking that the events went in as
    one append. The webhooks' endpoints are left out: read once per transaction, and a
    test is one."""
    events = AuditEvent.objects.count()
    with CaptureQueriesContext(connection) as captured:
        result = fn(*args)
    recorded = AuditEvent.objects.count() - events
    appends = [q for q in captured if q["sql"].startswith(APPENDS)]
    assert len(appends) == (1 if recorded else 0), [q["sql"][:80] for q in appends]
    others = [q for q in captured if 'FROM "webhooks_endpoint"' not in q["sql"]]
    return result, len(others), recorded


def test_ending_contracts_costs_the_same_statements_for_one_as_for_three(freeze_today, team):
    freeze_today(DAY)
    staffed(1, pop_end=DAY)
    one, one_cost, one_events = cost(ending.end_due_contracts, DAY)
    assert (one.contracts, one.revoked) == (1, 2)
    assert one_events == 4  # 2 grants revoked, the closeout, the contract closed

    staffed(3, pop_end=DAY)
    three, three_cost, three_events = cost(ending.end_due_contracts, DAY)
    assert (three.contracts, three.revoked) == (3, 6)
    assert three_events == 12
    assert three_cost == one_cost
    assert Contract.objects.filter(stage=Stage.CLOSED).count() == 4
    assert OutboxEmail.objects.filter(template="access_removed").count() == 4


def test_closeout_notices_cost_the_same_statements_for_one_as_for_three(freeze_today, team):
    freeze_today(DAY)
    notice_day_end = DAY + datetime.timedelta(days=settings.CLOSEOUT_NOTICE_DAYS)
    staffed(1, pop_end=notice_day_end)
    one, one_cost, one_events = cost(sweep.send_closeout_notices, DAY)
    assert one == 1
    assert one_events == 3  # the stage, the notice, its timeline step done

    staffed(3, pop_end=notice_day_end)
    three, three_cost, three_events = cost(sweep.send_closeout_notices, DAY)
    assert (three, three_events) == (3, 9)
    assert three_cost == one_cost
    assert OutboxEmail.objects.filter(template="closeout_notice").count() == 4
    assert Contract.objects.filter(stage=Stage.CLOSING).count() == 4


def with_dua(contracts: list, expiry: datetime.date) -> None:
    for contract in contracts:
        agreement = DataUseAgreement.objects.create(
            contract=contract, number=f"DUA-{contract.pk}", expiry_date=expiry,
            effective_date=DAY - datetime.timedelta(days=300), document="x.pdf")
        agreement.services.set([Service.objects.get(slug="sas-viya")])


def test_dua_lapses_cost_the_same_statements_for_one_as_for_three(freeze_today, team):
    freeze_today(DAY)
    far = DAY + datetime.timedelta(days=700)
    with_dua(staffed(1, pop_end=far, slugs=["sas-viya"]), DAY - datetime.timedelta(days=1))
    one, one_cost, one_events = cost(dua.pause_lapsed, DAY)
    assert len(one) == 1 and one_events == 2  # the grant paused, the lapse

    with_dua(staffed(3, pop_end=far, slugs=["sas-viya"]), DAY - datetime.timedelta(days=1))
    three, three_cost, three_events = cost(dua.pause_lapsed, DAY)
    assert len(three) == 3 and three_events == 6
    assert three_cost == one_cost
    assert OutboxEmail.objects.filter(template="dua_lapsed").count() == 4


def test_dua_warnings_cost_one_statement_per_dua_for_what_would_pause(freeze_today, team):
    freeze_today(DAY)
    far = DAY + datetime.timedelta(days=700)
    expiry = DAY + datetime.timedelta(days=dua_warnings.thresholds()[0])
    with_dua(staffed(1, pop_end=far, slugs=["sas-viya"]), expiry)
    one, one_cost, one_events = cost(dua_warnings.send_due, DAY, DAY)
    assert (one, one_events) == (1, 1)

    with_dua(staffed(3, pop_end=far, slugs=["sas-viya"]), expiry)
    three, three_cost, three_events = cost(dua_warnings.send_due, DAY, DAY)
    assert (three, three_events) == (3, 3)
    assert three_cost == one_cost + 2  # will_pause: one query per DUA warned
    assert OutboxEmail.objects.filter(template="dua_expiring").count() == 4


def campaign_over(contracts: list, due: datetime.date, team) -> Campaign:
    campaign = Campaign.objects.create(name=f"Due {due} {contracts[0].pk}", due_date=due,
                                       scope="all", opened_by=team, opened_at=NOW)
    CampaignItem.objects.bulk_create(
        CampaignItem(campaign=campaign, contract=c, grant=g)
        for c in contracts for g in AccessGrant.objects.filter(contract=c))
    return campaign


@pytest.mark.parametrize("kind", ["reminders", "pauses"])
def test_recertification_costs_the_same_statements_for_one_as_for_three(
        freeze_today, team, kind):
    freeze_today(DAY)
    far = DAY + datetime.timedelta(days=700)
    if kind == "reminders":
        due = DAY + datetime.timedelta(days=max(settings.RECERTIFICATION_REMINDER_DAYS))
        job, per_contract, events = recertification.send_reminders, 1, 0
    else:
        due, job, per_contract, events = DAY, recertification.pause_uncertified, 2, 2
    campaign_over(staffed(1, pop_end=far), due, team)
    one, one_cost, one_events = cost(job, DAY, DAY)
    assert (one, one_events) == (per_contract, events)

    campaign_over(staffed(3, pop_end=far), due, team)
    three, three_cost, three_events = cost(job, DAY, DAY)
    assert (three, three_events) == (3 * per_contract, 3 * events)
    assert three_cost == one_cost
    if kind == "pauses":
        assert AccessGrant.objects.filter(status=GrantStatus.PAUSED).count() == 8
        assert OutboxEmail.objects.filter(template="recertification_paused").count() == 4
    else:
        assert OutboxEmail.objects.filter(template="recertification_reminder").count() == 4
