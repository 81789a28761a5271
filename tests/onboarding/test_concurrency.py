"""Two people acting on the same request at once cannot both win.

Each transition locks the request row (select_for_update) and checks the version the
person saw. The race tests need real concurrent transactions, so they run on PostgreSQL
only; the version check itself runs on both databases."""

import threading
import time

import pytest
from django.conf import settings
from django.db import connection

from muster import workflow
from muster.audit.models import AuditEvent
from muster.contracts.models import ContractService
from muster.notifications.models import OutboxEmail
from muster.onboarding import services
from muster.onboarding.models import OnboardingRequest, Question, Status

from ..factories import request_service
from .test_review import SUBMITTED_ON, complete_intake

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
postgresql_only = pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="SQLite lets one writer in at a time and has no row locks, so two sessions cannot "
    "race there; run with DATABASE_URL=postgres://... to test the row lock.",
)
# The seeded catalog and process template come from migrations: a transactional test
# flushes every table, so it restores them from the serialized copy first.
race = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def submit(people) -> OnboardingRequest:
    onboarding = complete_intake(people["mine"], people)
    services.submit(people["cor"], onboarding)
    return OnboardingRequest.objects.get(pk=onboarding.pk)


@pytest.fixture
def slow_lock(monkeypatch):
    """Hold each transaction open a moment after taking the lock, so both threads are
    inside their transactions together: without the row lock, both would pass the check."""
    original = workflow.locked

    def held(obj, version=None, **options):
        locked = original(obj, version, **options)
        time.sleep(0.3)
        return locked

    monkeypatch.setattr(workflow, "locked", held)


def at_once(**calls):
    """Run each call in its own thread and database connection, started together; return
    each call's result or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    results = {}

    def run(name, call):
        try:
            barrier.wait(timeout=10)
            results[name] = call()
        except Exception as error:  # noqa: BLE001 - the test inspects what was raised
            results[name] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in calls.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a thread is stuck (deadlock?)"
    return results


def transitions(onboarding, *names) -> int:
    return AuditEvent.objects.filter(
        object_type="onboarding.onboardingrequest", object_id=str(onboarding.pk),
        action__in=[f"onboarding.{n}" for n in names],
    ).count()


@postgresql_only
@race
def test_reviewing_and_asking_at_once_only_one_wins(people, freeze_today, slow_lock):
    freeze_today(SUBMITTED_ON)
    onboarding = submit(people)
    seen = onboarding.version
    team = people["onboarding_team"]

    results = at_once(
        review=lambda: services.mark_reviewed(
            team, OnboardingRequest.objects.get(pk=onboarding.pk), version=seen),
        question=lambda: services.ask_question(
            team, OnboardingRequest.objects.get(pk=onboarding.pk), "Which environment?",
            version=seen),
    )

    failures = [r for r in results.values() if isinstance(r, Exception)]
    assert len(failures) == 1, results
    assert isinstance(failures[0], services.OnboardingError), results  # StaleRequest is one
    onboarding.refresh_from_db()
    assert onboarding.version == seen + 1
    assert transitions(onboarding, "mark_reviewed", "ask_question") == 1
    if isinstance(results["review"], Exception):
        assert onboarding.status == Status.QUESTION
        assert Question.objects.filter(request=onboarding).count() == 1
    else:
        assert onboarding.status == Status.REVIEWED
        assert not Question.objects.filter(request=onboarding).exists()


@postgresql_only
@race
def test_two_team_members_marking_reviewed_at_once_record_it_once(
    people, freeze_today, slow_lock
):
    freeze_today(SUBMITTED_ON)
    onboarding = submit(people)
    seen = onboarding.version
    results = at_once(**{
        f"person{i}": (lambda: services.mark_reviewed(
            people["onboarding_team"], OnboardingRequest.objects.get(pk=onboarding.pk),
            version=seen))
        for i in range(2)
    })
    failures = [r for r in results.values() if isinstance(r, Exception)]
    assert len(failures) == 1 and isinstance(failures[0], services.StaleRequest), results
    assert transitions(onboarding, "mark_reviewed") == 1
    assert OutboxEmail.objects.filter(template="lead_approval_requested").count() == 1


@postgresql_only
@race
def test_the_last_two_decisions_at_once_close_the_review_exactly_once(
    people, freeze_today, slow_lock
):
    freeze_today(SUBMITTED_ON)
    request_service(people["mine"], "confluence")
    onboarding = submit(people)
    services.mark_reviewed(people["onboarding_team"], onboarding)
    services.approve_as_lead(people["team_lead"], onboarding)
    services.record_meeting(people["onboarding_team"], onboarding, services.MeetingRecord(
        held_on=SUBMITTED_ON, attendees="Cora COR", outcome="eligible"))
    items = {i.service.slug: i for i in people["mine"].services.select_related("service")}

    results = at_once(
        sas=lambda: services.decide_service(people["sas_lead"], items["sas-viya"],
                                            approve=True),
        confluence=lambda: services.decide_service(
            people["confluence_lead"], items["confluence"], approve=False, reason="No need."),
    )

    assert not [r for r in results.values() if isinstance(r, Exception)], results
    onboarding.refresh_from_db()
    assert onboarding.status == Status.APPROVED
    assert transitions(onboarding, "finish_service_review") == 1
    assert not people["mine"].services.filter(status=ContractService.Status.REQUESTED).exists()
    assert OutboxEmail.objects.filter(template="request_complete").count() == 1


# --- The version check, on both databases ----------------------------------------------------


@pytest.mark.django_db
def test_a_second_action_with_the_old_version_is_refused_and_changes_nothing(
    people, freeze_today
):
    freeze_today(SUBMITTED_ON)
    onboarding = submit(people)
    seen = onboarding.version
    services.mark_reviewed(people["onboarding_team"], onboarding, version=seen)
    audit_rows, emails = AuditEvent.objects.count(), OutboxEmail.objects.count()

    with pytest.raises(services.StaleRequest, match="Someone else changed this request"):
        services.ask_question(people["onboarding_team"], onboarding, "Why?", version=seen)

    onboarding.refresh_from_db()
    assert onboarding.status == Status.REVIEWED and onboarding.version == seen + 1
    assert not Question.objects.filter(request=onboarding).exists()
    assert AuditEvent.objects.count() == audit_rows
    assert OutboxEmail.objects.count() == emails


@pytest.mark.django_db
def test_the_current_version_is_accepted(people, freeze_today):
    freeze_today(SUBMITTED_ON)
    onboarding = submit(people)
    services.mark_reviewed(people["onboarding_team"], onboarding, version=onboarding.version)
    onboarding.refresh_from_db()
    services.approve_as_lead(people["team_lead"], onboarding, version=onboarding.version)
    onboarding.refresh_from_db()
    assert onboarding.status == Status.LEAD_APPROVED


@postgresql_only
@race
def test_the_cor_withdrawing_while_the_lead_approves_leaves_one_outcome(
    people, freeze_today, slow_lock
):
    freeze_today(SUBMITTED_ON)
    onboarding = submit(people)
    services.mark_reviewed(people["onboarding_team"], onboarding)

    # Neither passes the version it saw: the row lock and the status check decide alone.
    results = at_once(
        withdraw=lambda: services.withdraw(
            people["cor"], OnboardingRequest.objects.get(pk=onboarding.pk), "No longer needed."),
        approve=lambda: services.approve_as_lead(
            people["team_lead"], OnboardingRequest.objects.get(pk=onboarding.pk)),
    )

    failures = [r for r in results.values() if isinstance(r, Exception)]
    assert len(failures) == 1 and isinstance(failures[0], services.OnboardingError), results
    onboarding.refresh_from_db()
    if isinstance(results["withdraw"], Exception):
        assert onboarding.status == Status.LEAD_APPROVED
        assert not onboarding.status_changes.exists()
    else:
        assert onboarding.status == Status.WITHDRAWN
        assert transitions(onboarding, "approve_as_lead") == 0
