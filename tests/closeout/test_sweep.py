"""The daily sweep: everything that happens because a date arrives, with the clock frozen.

Each test runs the sweep on chosen days (freezing Muster's clock to that day, as the worker
would see it) and checks what people would notice: the emails (to whom, about what, how
many), the access grants, the contract's stage, the audit record. Running the same day
twice, or a week's days at once after a gap, must send nothing twice and miss nothing.
"""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.tasks import TaskResultStatus

from muster.access.models import AccessGrant, GrantStatus, PauseReason
from muster.accounts.models import ContractRole
from muster.audit.models import AuditEvent
from muster.catalog.models import Service
from muster.closeout import sweep, tasks
from muster.closeout.models import Closeout, SweepRun
from muster.closeout.removal import confirm_removal
from muster.contracts import services as contracts
from muster.contracts.models import Contract, DataUseAgreement, Stage
from muster.notifications import schedule
from muster.notifications.models import OutboxEmail
from muster.timeline.models import ContractStep

from .. import workers
from ..factories import activate, give_role, make_contract

NOON = datetime.datetime(2026, 1, 5, 12, tzinfo=datetime.UTC)
POP_END = datetime.date(2027, 11, 30)  # `mine` ends on this Tuesday
NOTICE_DAY = datetime.date(2027, 10, 1)  # 60 days before


# --- helpers ---------------------------------------------------------------------------


@pytest.fixture
def sweep_on(freeze_today):
    """Run the sweep as the worker would on `day` (clock frozen to it), emails delivered."""

    def run(day: datetime.date, **kwargs):
        freeze_today(day)
        return sweep.run(day, **kwargs)

    return run


def leave_open(contract: Contract, **due: datetime.date) -> dict:
    """Complete every step of the contract but the ones named (by key, dashes as
    underscores), which stay open with the due dates given."""
    keys = {key.replace("_", "-"): day for key, day in due.items()}
    contract.steps.exclude(key__in=keys).update(completed_at=NOON)
    steps = {}
    for key, day in keys.items():
        contract.steps.filter(key=key).update(due_date=day, completed_at=None)
        steps[key] = contract.steps.get(key=key)
    return steps


def queued(template: str, **filters) -> list[OutboxEmail]:
    return list(OutboxEmail.objects.filter(template=template, **filters).order_by("pk"))


def delivered(mailoutbox, subject_start: str) -> list:
    return [m for m in mailoutbox if m.subject.startswith(subject_start)]


def reminders_for(step) -> list[OutboxEmail]:
    return queued("step_reminder", key__startswith=f"reminder:{step.pk}:")


def escalations_for(step) -> list[OutboxEmail]:
    return queued("step_overdue", key__startswith=f"escalation:{step.pk}:")


def grant(contract, user, slug, status=GrantStatus.ACTIVE, by=None) -> AccessGrant:
    return AccessGrant.objects.create(
        contract=contract, user=user, service=Service.objects.get(slug=slug), status=status,
        requested_by=by or user,
    )


def emails_of(people, *names) -> set[str]:
    return {people[n].email for n in names}


# --- the closeout notice ---------------------------------------------------------------


def test_closeout_notice_goes_60_days_before_the_end_to_the_cor_and_the_team_once(
    people, sweep_on, mailoutbox
):
    mine = activate(people["mine"])

    sweep_on(NOTICE_DAY - datetime.timedelta(days=1))  # 61 days before: nothing
    assert queued("closeout_notice") == []
    assert Contract.objects.get(pk=mine.pk).stage == Stage.ACTIVE
    assert not Closeout.objects.filter(contract=mine).exists()

    report = sweep_on(NOTICE_DAY)
    assert report.closeout_notices == 1
    assert Contract.objects.get(pk=mine.pk).stage == Stage.CLOSING
    [email] = queued("closeout_notice")
    assert email.key == f"closeout-notice:{mine.pk}:2027-11-30"
    [message] = delivered(mailoutbox, "Closeout:")
    assert message.subject == "Closeout: Mine ends November 30, 2027"
    assert message.to == [people["cor"].email]
    assert message.cc == [people["onboarding_team"].email]
    assert "Tuesday, November 30, 2027" in message.body
    assert AuditEvent.objects.filter(action="closeout.notice_sent", contract=mine).count() == 1

    # The same day again, and the next day: nothing new, nothing sent twice.
    assert sweep_on(NOTICE_DAY).closeout_notices == 0
    assert sweep_on(NOTICE_DAY + datetime.timedelta(days=1)).closeout_notices == 0
    assert len(queued("closeout_notice")) == 1
    assert len(delivered(mailoutbox, "Closeout:")) == 1
    assert AuditEvent.objects.filter(action="closeout.notice_sent", contract=mine).count() == 1


def test_a_contract_not_yet_onboarding_gets_no_closeout_notice(people, sweep_on):
    # Still in solicitation: nobody has access yet, there is nothing to close out.
    sweep_on(NOTICE_DAY)
    assert queued("closeout_notice") == []
    assert Contract.objects.get(pk=people["mine"].pk).stage == Stage.SOLICITATION


# --- reminders -------------------------------------------------------------------------


def test_a_step_due_in_two_business_days_gets_one_reminder_to_its_responsible_parties(
    people, sweep_on, mailoutbox
):
    # Submit the intake form: the COR and the contractor (POC, SO, SPOC) are responsible.
    due = datetime.date(2027, 3, 10)  # a Wednesday
    step = leave_open(people["mine"], submit_intake=due)["submit-intake"]

    assert sweep_on(datetime.date(2027, 3, 5)).reminders == 0  # Friday: 3 business days
    assert reminders_for(step) == []

    assert sweep_on(datetime.date(2027, 3, 8)).reminders == 1  # Monday: 2 business days
    [message] = delivered(mailoutbox, "Due Mar 10:")
    assert message.subject == "Due Mar 10: Complete and submit the intake form (Mine)"
    assert set(message.to) == emails_of(people, "cor", "poc", "so", "spoc")
    assert message.cc == []
    assert "Wednesday, March 10, 2027" in message.body

    # The next day (and the due date itself): no second reminder for the same due date.
    assert sweep_on(datetime.date(2027, 3, 9)).reminders == 0
    assert sweep_on(due).reminders == 0
    assert len(reminders_for(step)) == 1
    assert len(delivered(mailoutbox, "Due Mar")) == 1


def test_a_step_whose_due_date_moves_gets_a_new_reminder(people, sweep_on, mailoutbox):
    step = leave_open(people["mine"], submit_intake=datetime.date(2027, 3, 10))["submit-intake"]
    sweep_on(datetime.date(2027, 3, 8))
    step.due_date = datetime.date(2027, 3, 11)
    step.save(update_fields=["due_date"])

    assert sweep_on(datetime.date(2027, 3, 9)).reminders == 1
    assert [e.key.rsplit(":", 1)[1] for e in reminders_for(step)] == ["2027-03-10", "2027-03-11"]
    assert [m.subject[:10] for m in delivered(mailoutbox, "Due Mar")] == [
        "Due Mar 10", "Due Mar 11"]


def test_team_steps_remind_the_team_and_the_contracts_service_leads(
    people, sweep_on, mailoutbox
):
    # Complete onboarding: the onboarding team and the leads of the contract's services.
    leave_open(people["mine"], complete_onboarding=datetime.date(2027, 3, 10))
    sweep_on(datetime.date(2027, 3, 8))
    [message] = delivered(mailoutbox, "Due Mar 10:")
    assert set(message.to) == emails_of(people, "onboarding_team", "sas_lead")


def test_reminders_skip_people_whose_accounts_are_deactivated(people, sweep_on, mailoutbox):
    people["so"].is_active = False
    people["so"].save()
    leave_open(people["mine"], submit_intake=datetime.date(2027, 3, 10))
    sweep_on(datetime.date(2027, 3, 8))
    [message] = delivered(mailoutbox, "Due Mar 10:")
    assert set(message.to) == emails_of(people, "cor", "poc", "spoc")


def test_reminders_count_business_days_across_a_federal_holiday(people, sweep_on):
    # Friday July 2, 2027: Monday July 5 is Independence Day (observed), so two business
    # days ahead is Wednesday July 7; Thursday July 8 is three.
    steps = leave_open(people["mine"], submit_intake=datetime.date(2027, 7, 7),
                       eligibility_meeting=datetime.date(2027, 7, 8))
    sweep_on(datetime.date(2027, 7, 2))
    assert len(reminders_for(steps["submit-intake"])) == 1
    assert reminders_for(steps["eligibility-meeting"]) == []


def test_the_reminder_lead_time_is_a_setting(people, sweep_on, settings):
    step = leave_open(people["mine"], submit_intake=datetime.date(2027, 3, 10))["submit-intake"]
    sweep_on(datetime.date(2027, 3, 3))  # five business days before
    assert reminders_for(step) == []

    settings.REMINDER_BUSINESS_DAYS = 5
    assert sweep_on(datetime.date(2027, 3, 3)).reminders == 1
    assert len(reminders_for(step)) == 1


def test_completed_steps_and_closed_contracts_get_no_reminders(people, sweep_on):
    due = datetime.date(2027, 3, 10)
    done = leave_open(people["mine"], submit_intake=due)["submit-intake"]
    done.completed_at = NOON
    done.save(update_fields=["completed_at"])
    closed = activate(make_contract(name="Closed", pop_start=datetime.date(2026, 1, 5),
                                    pop_end=datetime.date(2027, 12, 31)))
    give_role(people["cor"], closed, ContractRole.Role.COR)
    closed_step = leave_open(closed, submit_intake=due)["submit-intake"]
    contracts.change_stage(None, closed, Contract.close)

    assert sweep_on(datetime.date(2027, 3, 8)).reminders == 0
    assert reminders_for(done) == [] and reminders_for(closed_step) == []


# --- escalation ------------------------------------------------------------------------


def test_an_overdue_step_goes_to_the_onboarding_team_once(people, sweep_on, mailoutbox):
    due = datetime.date(2027, 3, 10)
    step = leave_open(people["mine"], submit_intake=due)["submit-intake"]

    assert sweep_on(due).escalations == 0  # due today: not overdue yet
    assert sweep_on(datetime.date(2027, 3, 11)).escalations == 1
    [message] = delivered(mailoutbox, "Overdue:")
    assert message.subject == "Overdue: Complete and submit the intake form (Mine)"
    assert message.to == [people["onboarding_team"].email]
    assert set(message.cc) == emails_of(people, "cor", "poc", "so", "spoc")
    assert "was due on Wednesday, March 10, 2027 and is not done" in message.body

    assert sweep_on(datetime.date(2027, 3, 11)).escalations == 0
    assert sweep_on(datetime.date(2027, 3, 12)).escalations == 0
    assert len(escalations_for(step)) == 1
    assert len(delivered(mailoutbox, "Overdue:")) == 1


def test_a_step_completed_before_it_fell_due_is_not_escalated(people, sweep_on):
    step = leave_open(people["mine"], submit_intake=datetime.date(2027, 3, 10))["submit-intake"]
    step.completed_at = NOON
    step.save(update_fields=["completed_at"])
    assert sweep_on(datetime.date(2027, 3, 11)).escalations == 0


# --- the end of performance ------------------------------------------------------------


@pytest.fixture
def ending(people):
    """`mine`, active, with a roster user and grants in every state."""
    mine = activate(people["mine"])
    p = people
    grants = {
        "active": grant(mine, p["contractor_user"], "sas-viya", GrantStatus.ACTIVE),
        "requested": grant(mine, p["poc"], "sas-viya", GrantStatus.REQUESTED),
        "paused": grant(mine, p["spoc"], "sas-viya", GrantStatus.PAUSED),
        "revoked": grant(mine, p["so"], "sas-viya", GrantStatus.REVOKED),
    }
    AccessGrant.objects.filter(pk=grants["revoked"].pk).update(revoked_at=NOON)
    return mine, grants


def statuses(grants: dict) -> dict:
    return {name: AccessGrant.objects.get(pk=g.pk).status for name, g in grants.items()}


def revocations(grant_: AccessGrant) -> int:
    return AuditEvent.objects.filter(action="access.revoked", object_id=str(grant_.pk),
                                     object_type="access.accessgrant").count()


@pytest.mark.parametrize("pop_end", [
    POP_END,                       # a Tuesday
    datetime.date(2027, 7, 31),    # a Saturday
    datetime.date(2027, 7, 5),     # Independence Day observed (a Monday holiday)
    datetime.date(2026, 12, 25),   # Christmas Day (a Friday holiday)
], ids=["weekday", "saturday", "july-5-2027-observed", "christmas-2026"])
def test_on_the_pop_end_date_every_live_grant_is_revoked_and_the_contract_closes(
    people, ending, sweep_on, mailoutbox, pop_end
):
    mine, grants = ending
    if pop_end != POP_END:
        contracts.update_contract(None, mine, pop_end=pop_end)
    revoked_before = AccessGrant.objects.get(pk=grants["revoked"].pk)

    # The day before: nothing is removed (the contract may be closing, not closed).
    report = sweep_on(pop_end - datetime.timedelta(days=1))
    assert report.contracts_ended == 0 and report.grants_revoked == 0
    assert statuses(grants) == {"active": "active", "requested": "requested",
                                "paused": "paused", "revoked": "revoked"}
    assert Contract.objects.get(pk=mine.pk).stage != Stage.CLOSED
    assert queued("access_removed") == []

    # On the calendar date itself, weekend or holiday: removed.
    report = sweep_on(pop_end)
    assert (report.contracts_ended, report.grants_revoked) == (1, 3)
    assert statuses(grants) == dict.fromkeys(grants, "revoked")
    for name in ("active", "requested", "paused"):
        assert revocations(grants[name]) == 1
        assert AccessGrant.objects.get(pk=grants[name].pk).revoked_at is not None
    # The grant revoked earlier is left as it was.
    assert revocations(grants["revoked"]) == 0
    assert AccessGrant.objects.get(pk=grants["revoked"].pk).updated_at == revoked_before.updated_at
    # The roster is kept.
    assert mine.roles.filter(role=ContractRole.Role.CONTRACTOR_USER,
                             user=people["contractor_user"]).exists()
    contract = Contract.objects.get(pk=mine.pk)
    assert contract.stage == Stage.CLOSED
    closeout = Closeout.objects.get(contract=mine, pop_end=pop_end)
    assert closeout.status == Closeout.Status.ACCESS_REMOVED
    assert closeout.access_removed_on == pop_end
    [message] = delivered(mailoutbox, "Access removed:")
    assert message.to == [people["so"].email]
    assert people["cor"].email in message.cc
    assert "Cody User: SAS Viya" in message.body

    # Again that day, and the day after: nothing more.
    sweep_on(pop_end)
    sweep_on(pop_end + datetime.timedelta(days=1))
    for name in ("active", "requested", "paused"):
        assert revocations(grants[name]) == 1
    assert AuditEvent.objects.filter(action="contract.close", contract=mine).count() == 1
    assert len(queued("access_removed")) == 1
    assert len(delivered(mailoutbox, "Access removed:")) == 1


def test_an_unconfirmed_removal_of_access_is_escalated_after_the_contract_closes(
    people, ending, sweep_on, mailoutbox
):
    mine, _ = ending
    survey = mine.steps.get(key="post-onboarding-survey")  # open too, but not chased once closed
    ContractStep.objects.filter(pk=survey.pk).update(due_date=POP_END, completed_at=None)
    sweep_on(POP_END)
    assert Contract.objects.get(pk=mine.pk).stage == Stage.CLOSED
    removal = mine.steps.get(key="remove-access")
    assert removal.completed_at is None and removal.due_date == POP_END

    assert sweep_on(POP_END + datetime.timedelta(days=1)).escalations == 1
    [message] = delivered(mailoutbox, "Overdue:")
    assert message.subject == f"Overdue: Contract removed from services ({mine.name})"
    assert message.to == [people["onboarding_team"].email]
    assert escalations_for(survey) == []
    # Once, and not at all when the team confirmed in time.
    assert sweep_on(POP_END + datetime.timedelta(days=2)).escalations == 0
    assert len(escalations_for(removal)) == 1


def test_a_removal_confirmed_on_the_last_day_is_not_escalated(people, ending, sweep_on):
    mine, _ = ending
    sweep_on(POP_END)
    confirm_removal(people["onboarding_team"], Closeout.objects.get(contract=mine),
                              note="Tickets closed.")
    assert mine.steps.get(key="remove-access").completed_at is not None
    assert sweep_on(POP_END + datetime.timedelta(days=1)).escalations == 0


# --- catch-up after a gap --------------------------------------------------------------


def test_a_week_without_a_sweep_is_caught_up_by_one_run_and_nothing_is_sent_twice(
    people, sweep_on, mailoutbox
):
    last_run, today = datetime.date(2027, 3, 1), datetime.date(2027, 3, 8)
    cor = people["cor"]
    # A: its notice falls due in the gap (POP ends May 4: 60 days before is March 5).
    a = activate(make_contract(name="A", pop_start=datetime.date(2026, 6, 1),
                               pop_end=datetime.date(2027, 5, 4)))
    # A2: its notice falls due tomorrow.
    a2 = activate(make_contract(name="A2", pop_start=datetime.date(2026, 6, 1),
                                pop_end=datetime.date(2027, 5, 8)))
    # B: noticed before the gap; its performance ends in the gap (Thursday March 4).
    b = activate(make_contract(name="B", pop_start=datetime.date(2026, 3, 5),
                               pop_end=datetime.date(2027, 3, 4)))
    for contract in (a, a2, b):
        give_role(cor, contract, ContractRole.Role.COR)
        leave_open(contract)
    give_role(people["so"], b, ContractRole.Role.SO)
    give_role(people["contractor_user"], b, ContractRole.Role.CONTRACTOR_USER)
    b_grant = grant(b, people["contractor_user"], "sas-viya")
    # `mine`: a step overdue before the gap, one that falls overdue in the gap.
    steps = leave_open(people["mine"], notify_award=datetime.date(2027, 2, 26),
                       submit_intake=datetime.date(2027, 3, 3))

    sweep_on(last_run)
    assert Contract.objects.get(pk=b.pk).stage == Stage.CLOSING
    assert [e.contract_id for e in queued("closeout_notice")] == [b.pk]
    assert len(escalations_for(steps["notify-award"])) == 1
    assert escalations_for(steps["submit-intake"]) == []
    sent_before = len(mailoutbox)

    report = sweep_on(today)  # a week later: one run
    assert (report.closeout_notices, report.contracts_ended, report.escalations) == (1, 1, 1)
    assert sorted(e.contract_id for e in queued("closeout_notice")) == [a.pk, b.pk]
    assert Contract.objects.get(pk=a.pk).stage == Stage.CLOSING
    assert Contract.objects.get(pk=a2.pk).stage == Stage.ACTIVE
    assert Contract.objects.get(pk=b.pk).stage == Stage.CLOSED
    assert AccessGrant.objects.get(pk=b_grant.pk).status == GrantStatus.REVOKED
    assert revocations(b_grant) == 1
    assert len(escalations_for(steps["submit-intake"])) == 1
    assert len(escalations_for(steps["notify-award"])) == 1
    new = [m.subject for m in mailoutbox[sent_before:]]
    assert sorted(new) == sorted([
        "Closeout: A ends May 4, 2027",
        "Access removed: B",
        "Overdue: Complete and submit the intake form (Mine)",
    ])

    # Running it again that day, and the next day, sends nothing more for any of it.
    sweep_on(today)
    sweep_on(today + datetime.timedelta(days=1))
    assert sorted(e.contract_id for e in queued("closeout_notice")) == [a.pk, a2.pk, b.pk]
    assert len(queued("access_removed")) == 1
    assert len(escalations_for(steps["submit-intake"])) == 1
    assert revocations(b_grant) == 1


def test_the_first_run_looks_back_30_days_for_overdue_steps(people, sweep_on):
    day = datetime.date(2027, 3, 8)
    steps = leave_open(people["mine"], submit_intake=day - datetime.timedelta(days=10),
                       notify_award=day - datetime.timedelta(days=40))
    assert not SweepRun.objects.exists()
    sweep_on(day)
    assert len(escalations_for(steps["submit-intake"])) == 1
    assert escalations_for(steps["notify-award"]) == []


def test_an_unfinished_run_does_not_count_as_the_last_run(people, sweep_on):
    # A sweep that crashed half way (no finished_at) must not shorten the next look-back.
    step = leave_open(people["mine"], submit_intake=datetime.date(2027, 3, 3))["submit-intake"]
    sweep_on(datetime.date(2027, 3, 1))
    SweepRun.objects.create(day=datetime.date(2027, 3, 6), started_at=NOON)
    sweep_on(datetime.date(2027, 3, 8))
    assert len(escalations_for(step)) == 1


# --- DUA lapses ------------------------------------------------------------------------


def test_the_sweep_pauses_dua_service_access_the_day_after_the_dua_expires(
    people, sweep_on, mailoutbox
):
    from muster.access import dua

    if not hasattr(dua, "pause_lapsed"):
        pytest.skip("muster.access.dua.pause_lapsed is not written yet (issue 4)")
    mine = activate(people["mine"])
    expiry = datetime.date(2027, 3, 1)
    agreement = DataUseAgreement.objects.create(
        contract=mine, number="DUA-7", effective_date=datetime.date(2026, 1, 1),
        expiry_date=expiry, document="contracts/dua/DUA-7.pdf",
    )
    agreement.services.set([Service.objects.get(slug="sas-viya")])
    viya = grant(mine, people["contractor_user"], "sas-viya")

    assert sweep_on(expiry).dua_pauses == 0  # valid through its expiry date
    assert AccessGrant.objects.get(pk=viya.pk).status == GrantStatus.ACTIVE

    assert sweep_on(expiry + datetime.timedelta(days=1)).dua_pauses == 1
    paused = AccessGrant.objects.get(pk=viya.pk)
    assert (paused.status, paused.pause_reason) == (GrantStatus.PAUSED, PauseReason.DUA_LAPSED)
    assert len(queued("dua_lapsed")) == 1
    assert sweep_on(expiry + datetime.timedelta(days=2)).dua_pauses == 0
    assert len(queued("dua_lapsed")) == 1


# --- the commands and the worker -------------------------------------------------------


def test_the_sweep_command_sweeps_the_date_given(people, freeze_today):
    activate(people["mine"])
    freeze_today(NOTICE_DAY + datetime.timedelta(days=3))  # catching up on a missed day
    out = io.StringIO()
    call_command("sweep", "--date", NOTICE_DAY.isoformat(), stdout=out)
    assert "closeout notices: 1" in out.getvalue()
    assert SweepRun.objects.get().day == NOTICE_DAY
    assert Contract.objects.get(pk=people["mine"].pk).stage == Stage.CLOSING


@pytest.mark.parametrize("bad", ["2027-02-30", "yesterday", "30/11/2027"])
def test_the_sweep_command_refuses_a_bad_date(db, bad):
    with pytest.raises(CommandError, match="--date must be a date like 2026-11-24"):
        call_command("sweep", "--date", bad)
    assert not SweepRun.objects.exists()


def sweeps(results) -> list:
    return [r for r in results if r.task.module_path == tasks.daily_sweep.module_path]


def test_schedule_sweep_queues_one_daily_sweep_and_not_a_second(db, enqueued):
    out = io.StringIO()
    call_command("schedule_sweep", stdout=out)
    call_command("schedule_sweep", stdout=out)
    assert len(sweeps(enqueued)) == 1
    assert workers.waiting_runs(tasks.daily_sweep) == [enqueued[0].id]
    assert out.getvalue().splitlines() == [
        "Daily sweep queued; then every day at 06:00.",
        "The daily sweep is already scheduled.",
    ]


def test_a_sweep_left_running_by_a_stopped_worker_does_not_block_the_schedule(db, enqueued):
    call_command("schedule_sweep", stdout=io.StringIO())
    [first] = enqueued
    workers.mark_running_since(first.id, datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
    call_command("schedule_sweep", stdout=io.StringIO())
    [_, second] = sweeps(enqueued)
    assert workers.waiting_runs(tasks.daily_sweep) == [second.id]


def test_a_sweep_running_now_is_the_schedule(db, enqueued, freeze_today):
    freeze_today(NOTICE_DAY)
    call_command("schedule_sweep", stdout=io.StringIO())
    workers.mark_running_since(enqueued[0].id, datetime.datetime(2027, 10, 1, 11,
                                                                 tzinfo=datetime.UTC))
    out = io.StringIO()
    call_command("schedule_sweep", stdout=out)
    assert out.getvalue() == "The daily sweep is already scheduled.\n"
    assert len(enqueued) == 1


def test_a_sweep_the_backend_lost_is_scheduled_again(db, enqueued):
    # Redis here keeps nothing on disk: after a restart the schedule names a run that is
    # gone, and the next worker to ask queues one.
    call_command("schedule_sweep", stdout=io.StringIO())
    workers.lose(enqueued[0].id)
    out = io.StringIO()
    call_command("schedule_sweep", stdout=out)
    assert out.getvalue().startswith("Daily sweep queued")
    assert workers.waiting_runs(tasks.daily_sweep) == [enqueued[1].id]


def test_the_worker_runs_the_sweep_and_it_schedules_the_next_one_at_sweep_hour(
    people, freeze_today, settings, monkeypatch
):
    # Frozen at noon UTC (8:00 in Washington) on the notice day: the sweep runs now and
    # schedules itself for 6:00 Washington time the next morning.
    settings.SWEEP_HOUR = 6
    activate(people["mine"])
    freeze_today(NOTICE_DAY)
    call_command("schedule_sweep", stdout=io.StringIO())
    first = schedule.waiting(tasks.daily_sweep)
    workers.run_due_tasks(monkeypatch)

    assert [r.day for r in SweepRun.objects.all()] == [NOTICE_DAY]
    assert len(queued("closeout_notice")) == 1
    assert tasks.daily_sweep.get_result(first.id).status == TaskResultStatus.SUCCESSFUL
    waiting = schedule.waiting(tasks.daily_sweep)
    assert waiting.task.run_after == datetime.datetime(2027, 10, 2, 10, tzinfo=datetime.UTC)
    assert workers.waiting_runs(tasks.daily_sweep) == [waiting.id]


def test_a_failing_sweep_still_schedules_tomorrows(db, freeze_today, monkeypatch, enqueued):
    freeze_today(NOTICE_DAY)

    def broken(day=None, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(sweep, "run", broken)
    with pytest.raises(RuntimeError):
        tasks.daily_sweep.call()
    waiting = schedule.waiting(tasks.daily_sweep)
    assert waiting.task.run_after == datetime.datetime(2027, 10, 2, 10, tzinfo=datetime.UTC)
    # A second run (two chains would double every day) does not add another.
    with pytest.raises(RuntimeError):
        tasks.daily_sweep.call()
    assert len(enqueued) == 1


def test_next_run_at_is_todays_sweep_hour_before_it_and_tomorrows_after(settings):
    settings.SWEEP_HOUR = 6
    early = datetime.datetime(2027, 3, 8, 9, 30, tzinfo=datetime.UTC)  # 4:30 in Washington
    late = datetime.datetime(2027, 3, 8, 12, 0, tzinfo=datetime.UTC)  # 7:00 in Washington
    assert tasks.next_run_at(early) == datetime.datetime(2027, 3, 8, 11, tzinfo=datetime.UTC)
    # Across the switch to daylight saving time (March 14, 2027): still 6:00 local.
    saturday = datetime.datetime(2027, 3, 13, 12, 0, tzinfo=datetime.UTC)
    assert tasks.next_run_at(late) == datetime.datetime(2027, 3, 9, 11, tzinfo=datetime.UTC)
    assert tasks.next_run_at(saturday) == datetime.datetime(2027, 3, 14, 10, tzinfo=datetime.UTC)


def test_a_contract_that_ended_in_a_gap_unnoticed_is_ended_without_asking_for_a_scenario(
    people, sweep_on, mailoutbox
):
    # Nobody can choose a closeout scenario for a contract that has already ended: the
    # catch-up run removes its access and says so, without a stale "choose" notice.
    mine = activate(people["mine"])
    contracts.update_contract(None, mine, pop_end=datetime.date(2027, 3, 4))
    report = sweep_on(datetime.date(2027, 3, 8))
    assert (report.closeout_notices, report.contracts_ended) == (0, 1)
    assert queued("closeout_notice") == []
    assert [m.subject for m in delivered(mailoutbox, "Access removed:")] == [
        "Access removed: Mine"]


def test_a_contract_without_an_so_still_tells_the_cor_its_access_was_removed(
    people, sweep_on, mailoutbox
):
    contract = activate(make_contract(name="No SO", pop_start=datetime.date(2026, 6, 1),
                                      pop_end=datetime.date(2027, 3, 4)))
    give_role(people["cor"], contract, ContractRole.Role.COR)
    sweep_on(datetime.date(2027, 3, 4))
    assert Contract.objects.get(pk=contract.pk).stage == Stage.CLOSED
    [message] = delivered(mailoutbox, "Access removed:")
    assert people["cor"].email in message.to + message.cc
