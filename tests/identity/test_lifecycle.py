"""The account lifecycle in the daily sweep: a person with no role left is deactivated the
same day (sessions ended, calendar links revoked); an account unused for 90 days is
disabled, with an email. Every step audited; a second run changes nothing more."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from muster.access import roster
from muster.accounts.models import ContractRole, TeamRole, User
from muster.audit.models import AuditEvent
from muster.closeout import calendar_feed, sweep
from muster.closeout.models import CalendarFeed
from muster.identity import lifecycle
from muster.identity.models import Invitation, Session
from muster.notifications.models import OutboxEmail
from tests.factories import (
    TODAY,
    UserFactory,
    activate,
    give_role,
    make_contract,
    team_member,
)

pytestmark = pytest.mark.django_db

NOON = datetime.time(12, 0, tzinfo=datetime.UTC)


def at(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, NOON)


def days_ago(n: int) -> datetime.datetime:
    return at(TODAY - datetime.timedelta(days=n))


def fresh(user) -> User:
    return User.objects.get(pk=user.pk)


def deactivations() -> list[tuple[str, str]]:
    return list(AuditEvent.objects.filter(action="account.deactivated").order_by("pk")
                .values_list("object_id", "after__deactivated_reason"))


@pytest.fixture(autouse=True)
def _unused_after_90_days(settings):
    settings.ACCOUNT_UNUSED_DAYS = 90  # the default, which tests/conftest.py lifts


@pytest.fixture
def today(freeze_today):
    freeze_today(TODAY)
    return TODAY


@pytest.fixture
def contract(today):
    return activate(make_contract(pop_start=TODAY - datetime.timedelta(days=200),
                                  pop_end=TODAY + datetime.timedelta(days=200)))


def role_long_ago(person, contract, role) -> None:
    """A role given 400 days ago: the person was named long ago."""
    ContractRole.objects.filter(pk=give_role(person, contract, role).pk).update(
        assigned_at=days_ago(400))


def recent(**fields):
    """Someone who signed in yesterday (so never "unused")."""
    return UserFactory(last_login=days_ago(1), **fields)


# ------------------------------------------------------------------------------ no role


def test_removed_from_the_roster_deactivated_the_same_day(contract, today):
    so = recent(full_name="Sol SO")
    user = recent(full_name="Uma User")
    give_role(so, contract, ContractRole.Role.SO)
    give_role(user, contract, ContractRole.Role.CONTRACTOR_USER)
    roster.remove_user(so, contract, user)

    report = lifecycle.sweep(today)

    assert report.deactivated == 1
    user = fresh(user)
    assert (user.is_active, user.deactivated_reason) == (False, "no_role")
    assert fresh(so).is_active
    event = AuditEvent.objects.get(action="account.deactivated")
    assert event.object_id == str(user.pk)
    assert event.actor is None
    assert "no role left" in event.summary
    assert event.after["deactivated_reason"] == "no_role"


def test_a_contract_closing_deactivates_its_people_that_day_with_sessions_and_calendar_links(
        today):
    ending = activate(make_contract(pop_start=TODAY - datetime.timedelta(days=300),
                                    pop_end=TODAY))
    still_open = activate(make_contract(pop_start=TODAY - datetime.timedelta(days=30),
                                        pop_end=TODAY + datetime.timedelta(days=300)))
    so, poc, cor = recent(full_name="Sol SO"), recent(full_name="Pat POC"), recent()
    give_role(so, ending, ContractRole.Role.SO)
    give_role(poc, ending, ContractRole.Role.POC)
    give_role(cor, ending, ContractRole.Role.COR)
    give_role(cor, still_open, ContractRole.Role.COR)  # the COR has a role left
    browser = Client()
    browser.force_login(so)
    feed = calendar_feed.feed_for(so)
    assert browser.get(reverse("home")).status_code == 200

    report = sweep.run(TODAY)

    assert (report.contracts_ended, report.accounts_deactivated) == (1, 2)
    assert not fresh(so).is_active and not fresh(poc).is_active
    assert fresh(cor).is_active
    assert not Session.objects.filter(user_id=so.pk).exists()
    assert browser.get(reverse("home")).status_code == 302  # signed out
    feed.refresh_from_db()
    assert feed.revoked_at is not None
    assert AuditEvent.objects.filter(action="calendar_feed.revoked",
                                     object_id=str(feed.pk)).count() == 1
    so_event = AuditEvent.objects.get(action="account.deactivated", object_id=str(so.pk))
    assert so_event.after["sessions_ended"] == 1


def test_replaced_as_so_deactivated(contract, today):
    old, new = recent(full_name="Old SO"), recent(full_name="New SO")
    role = give_role(old, contract, ContractRole.Role.SO)
    role.user = new
    role.save()

    lifecycle.sweep(today)

    assert not fresh(old).is_active
    assert fresh(new).is_active


def test_team_roles_staff_and_superusers_keep_their_accounts(today):
    member = team_member(TeamRole.Role.ONBOARDING_TEAM, last_login=days_ago(1))
    staff = recent(is_staff=True)
    root = recent(is_superuser=True)

    assert lifecycle.sweep(today).deactivated == 0

    assert all(fresh(p).is_active for p in (member, staff, root))


def test_a_role_on_a_contract_not_yet_awarded_is_a_role(today):
    person = recent()
    give_role(person, make_contract(), ContractRole.Role.COR)  # a solicitation

    assert lifecycle.sweep(today).deactivated == 0
    assert fresh(person).is_active


def test_a_second_run_changes_nothing_more(contract, today):
    gone = recent()
    feed = calendar_feed.feed_for(gone)
    assert feed.revoked_at is None
    sweep.run(TODAY)
    last_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    emails = OutboxEmail.objects.count()

    report = sweep.run(TODAY)

    assert (report.accounts_deactivated, report.accounts_disabled) == (0, 0)
    assert deactivations() == [(str(gone.pk), "no_role")]
    assert OutboxEmail.objects.count() == emails
    # Only the sweep's own bookkeeping (its audit checkpoint) may be new.
    assert not AuditEvent.objects.filter(pk__gt=last_event).exclude(
        action__startswith="audit.").exists()


def test_finding_nobody_costs_the_same_for_3_people_as_for_30(contract, today):
    def measure(n: int) -> int:
        for _ in range(n):
            give_role(recent(), contract, ContractRole.Role.CONTRACTOR_USER)
        with CaptureQueriesContext(connection) as queries:
            lifecycle.sweep(today)
        return len(queries)

    assert measure(3) == measure(27)


# ------------------------------------------------------------------------------ unused


def test_an_account_unused_for_90_days_is_disabled_with_an_email(contract, today):
    person = UserFactory(full_name="Una Unused", email="una@example.com",
                         last_login=days_ago(91))
    ContractRole.objects.filter(pk=give_role(person, contract, ContractRole.Role.POC).pk
                                ).update(assigned_at=days_ago(200))
    kept = UserFactory(last_login=days_ago(89))
    give_role(kept, contract, ContractRole.Role.SO)

    report = lifecycle.sweep(today)

    assert (report.deactivated, report.disabled) == (0, 1)
    person = fresh(person)
    assert (person.is_active, person.deactivated_reason) == (False, "unused")
    assert fresh(kept).is_active
    email = OutboxEmail.objects.get(template="account_disabled_unused")
    assert email.to == ["una@example.com"]
    assert "not used for 90 days" in email.subject
    assert "Hello Una Unused" in email.body
    assert "ask the onboarding team to restore your account" in email.body
    event = AuditEvent.objects.get(action="account.deactivated")
    assert event.after["deactivated_reason"] == "unused"
    assert event.after["emailed"] is True


def test_never_signed_in_and_named_more_than_90_days_ago_is_disabled(contract, today):
    old = UserFactory(date_joined=days_ago(91))
    new = UserFactory(date_joined=days_ago(30))
    for person in (old, new):
        role_long_ago(person, contract, ContractRole.Role.CONTRACTOR_USER)

    assert lifecycle.sweep(today).disabled == 1
    assert fresh(old).deactivated_reason == "unused"
    assert fresh(new).is_active


def test_named_again_after_being_disabled_as_unused_stays_active(contract, today):
    """The SO adds back someone the sweep disabled: their account is reactivated, and the
    next sweeps leave it alone although their last sign-in is old (being named again
    gives them their days)."""
    so = UserFactory()
    give_role(so, contract, ContractRole.Role.SO)
    person = UserFactory(email="ray@example.com", harp_id="RRETURN1",
                         last_login=days_ago(120), date_joined=days_ago(400))
    ContractRole.objects.filter(pk=give_role(person, contract, ContractRole.Role.POC).pk
                                ).update(assigned_at=days_ago(400))
    assert lifecycle.sweep(today).disabled == 1

    roster.add_user(so, contract, full_name="Ray Returning", email="ray@example.com",
                    harp_id="RRETURN1")

    assert fresh(person).is_active
    assert lifecycle.sweep(today).disabled == 0
    assert lifecycle.sweep(today + datetime.timedelta(days=1)).disabled == 0
    assert fresh(person).is_active


def test_invited_again_recently_is_not_unused(contract, today):
    person = UserFactory(date_joined=days_ago(200))
    give_role(person, contract, ContractRole.Role.CONTRACTOR_USER)
    Invitation.objects.create(user=person, token_hash="x" * 64, reason="the SO",
                              sent_at=days_ago(3), expires_at=days_ago(-4))

    assert lifecycle.sweep(today).disabled == 0
    assert fresh(person).is_active


def test_the_unused_days_are_a_setting(contract, today, settings):
    settings.ACCOUNT_UNUSED_DAYS = 30
    person = UserFactory(last_login=days_ago(31))
    role_long_ago(person, contract, ContractRole.Role.CONTRACTOR_USER)

    assert lifecycle.sweep(today).disabled == 1


def test_disabling_twice_sends_one_email_and_one_record(contract, today):
    person = UserFactory(last_login=days_ago(120))
    role_long_ago(person, contract, ContractRole.Role.CONTRACTOR_USER)

    lifecycle.sweep(today)
    lifecycle.sweep(today)
    lifecycle.sweep(today + datetime.timedelta(days=1))

    assert OutboxEmail.objects.filter(template="account_disabled_unused").count() == 1
    assert deactivations() == [(str(person.pk), "unused")]


def test_a_superuser_is_never_disabled_as_unused(today):
    root = UserFactory(is_superuser=True, is_staff=True, last_login=days_ago(400))

    assert lifecycle.sweep(today).disabled == 0
    assert fresh(root).is_active


def test_calendar_links_of_the_unused_are_revoked_too(contract, today):
    person = UserFactory(last_login=days_ago(100))
    role_long_ago(person, contract, ContractRole.Role.CONTRACTOR_USER)
    calendar_feed.feed_for(person)

    sweep.run(TODAY)

    assert not CalendarFeed.objects.filter(user=person, revoked_at__isnull=True).exists()
