"""`manage.py sweep` and dates: a day after today is refused unless the operator asks to
simulate it (everything rolled back, what it would do printed) or says it is meant; a
date at the ends of the calendar is refused in one line instead of overflowing."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.tasks.signals import task_enqueued

from muster.access.models import AccessGrant, GrantStatus
from muster.audit.models import AuditEvent
from muster.audit.services import verify_chain
from muster.catalog.models import Service
from muster.closeout.models import Closeout, SweepRun
from muster.contracts import services as contracts
from muster.contracts.models import Contract, Stage
from muster.notifications.models import OutboxEmail

from ..factories import TODAY

FUTURE = "2027-12-31"  # after `mine`'s last day of performance, 2027-11-30


ENQUEUED: list = []  # task runs enqueued during the test (whatever the backend)


@pytest.fixture(autouse=True)
def _count_enqueued_tasks():
    ENQUEUED.clear()
    task_enqueued.connect(_record, dispatch_uid="test_sweep_command")
    yield
    task_enqueued.disconnect(dispatch_uid="test_sweep_command")


def _record(sender, task_result, **kwargs):
    ENQUEUED.append(task_result.id)


def fingerprint() -> dict:
    """What a sweep changes, counted: a simulation must leave all of it as it was."""
    return {
        "outbox": OutboxEmail.objects.count(),
        "audit events": AuditEvent.objects.count(),
        "stages": sorted(Contract.objects.values_list("pk", "stage")),
        "grants": sorted(AccessGrant.objects.values_list("pk", "status")),
        "closeouts": Closeout.objects.count(),
        "sweep runs": SweepRun.objects.count(),
        "tasks": len(ENQUEUED),
    }


@pytest.fixture
def active_with_access(people, freeze_today):
    """`mine` active with an SO's access to SAS Viya; today is 2026-11-24."""
    freeze_today(TODAY)
    mine = people["mine"]
    for name in (Contract.award, Contract.start_onboarding, Contract.activate):
        mine = contracts.change_stage(None, mine, name)
    AccessGrant.objects.create(
        contract=mine, user=people["contractor_user"], status=GrantStatus.ACTIVE,
        service=Service.objects.get(slug="sas-viya"), requested_by=people["so"],
    )
    return mine


def sweep(*args) -> str:
    out = io.StringIO()
    call_command("sweep", *args, stdout=out)
    return out.getvalue()


def test_a_date_after_today_is_refused_and_nothing_happens(active_with_access, mailoutbox):
    before = fingerprint()

    with pytest.raises(CommandError) as refused:
        sweep("--date", FUTURE)

    assert str(refused.value) == (
        f"--date {FUTURE} is after today (2026-11-24); the sweep would act for real. "
        "Add --simulate to see what it would do, or --act-on-future-date to do it."
    )
    assert fingerprint() == before
    assert Contract.objects.get(pk=active_with_access.pk).stage == Stage.ACTIVE
    assert mailoutbox == []


def test_simulate_prints_what_the_sweep_would_do_and_keeps_nothing(
    active_with_access, mailoutbox
):
    before = fingerprint()

    out = sweep("--date", FUTURE, "--simulate")

    assert fingerprint() == before
    assert mailoutbox == []
    assert Contract.objects.get(pk=active_with_access.pk).stage == Stage.ACTIVE
    assert out.startswith(f"Simulated the sweep of {FUTURE}: nothing was kept, "
                          "no email was queued or sent.\n")
    assert "contracts ended: 1\n" in out
    assert "grants revoked: 1\n" in out
    assert "Revoked Cody User's SAS Viya access" in out
    assert "(Mine (75FCMC26C" in out  # each change names its contract
    assert "“Access removed: Mine" in out  # the email the SO would have had
    assert "emails sent: 0\n" in out
    # The audit record's chain is whole after the rolled-back events.
    call_command("sweep", stdout=io.StringIO())
    assert verify_chain() == []


def test_the_explicit_flag_acts_on_a_future_date(active_with_access, mailoutbox):
    out = sweep("--date", FUTURE, "--act-on-future-date")

    assert "contracts ended: 1\n" in out
    assert Contract.objects.get(pk=active_with_access.pk).stage == Stage.CLOSED
    assert [m.subject for m in mailoutbox if m.subject.startswith("Access removed")]


def test_a_past_date_needs_no_flag(active_with_access):
    out = sweep("--date", "2026-11-20")

    assert "day: 2026-11-20\n" in out
    assert SweepRun.objects.get().day == datetime.date(2026, 11, 20)


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
@pytest.mark.parametrize("flags", [[], ["--simulate"], ["--act-on-future-date"]])
def test_a_date_at_the_ends_of_the_calendar_is_refused_in_one_line(
    active_with_access, day, flags
):
    before = fingerprint()

    with pytest.raises(CommandError) as refused:
        sweep("--date", day, *flags)

    assert str(refused.value) == (
        f"--date {day} is more than 10 years from today (2026-11-24); give a date near today."
    )
    assert fingerprint() == before
