"""The daily sweep: everything that happens because a date arrives.

Safe to run any number of times, concurrently, or after missing days: each action checks
the state it changes (under a row lock) and each email has a key the outbox queues once.
It works from indexed date queries over what is due, never by loading every contract;
reminders and escalations look back only to the previous run (catching up after a gap).
"""

import datetime
import logging
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef, Q

from muster import clock, workflow
from muster.access import dua, dua_warnings
from muster.accounts.models import ContractRole, TeamRole
from muster.audit import checkpoints, correlation
from muster.audit import services as audit
from muster.audit.models import AuditEvent
from muster.contracts.models import Contract, Stage
from muster.contracts.services import change_stage_many
from muster.identity import lifecycle
from muster.notifications import services as mail
from muster.notifications.delivery import deliver_due
from muster.notifications.models import OutboxEmail
from muster.timeline import calendar
from muster.timeline.models import ContractStep, Responsible
from muster.timeline.services import refresh_next_steps

from . import pending
from .choice import NOTICE_SENT
from .ending import end_due_contracts
from .models import CalendarFeed, Closeout, Scenario, SweepRun
from .reaward import start_reawarded_contracts
from .steps import NOTICE_STEP, REMOVE_ACCESS_STEP

log = logging.getLogger(__name__)
_SWEEP_LOCK_ID = 0x6D757374_65720002
FIRST_RUN_LOOKBACK = datetime.timedelta(days=30)


@dataclass
class SweepReport:
    day: str = ""
    closeout_notices: int = 0
    reminders: int = 0
    escalations: int = 0
    contracts_ended: int = 0
    grants_revoked: int = 0
    grants_carried_over: int = 0
    reawards_started: int = 0
    dua_pauses: int = 0
    dua_warnings: int = 0  # emails before a DUA expires (access/dua_warnings.py)
    recertification_reminders: int = 0  # the jobs below register themselves (DAILY_JOBS)
    recertification_pauses: int = 0
    reconciliation_new_findings: int = 0
    accounts_deactivated: int = 0  # no role left (identity/lifecycle.py)
    accounts_disabled: int = 0  # unused
    emails_sent: int = 0
    emails_retrying: int = 0
    audit_checkpoint: int = 0  # its number; 0 when refused (records missing)


# Work of the apps above closeout, run by the sweep after the DUA pauses and before the
# accounts' lifecycle, in the order registered (INSTALLED_APPS' order, from their ready()):
# each is `job(day, since) -> int`, its count kept in the report field it registered.
DailyJob = Callable[[datetime.date, datetime.date], int]
DAILY_JOBS: dict[str, DailyJob] = {}


def register_daily_job(report_field: str, job: DailyJob) -> None:
    if report_field not in SweepReport.__dataclass_fields__:
        raise ValueError(f"SweepReport has no field {report_field!r}")
    DAILY_JOBS[report_field] = job


@contextmanager
def _one_sweep_at_a_time():
    """On PostgreSQL a second concurrent sweep waits for the first (then finds nothing left
    to do); SQLite serializes writers already."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [_SWEEP_LOCK_ID])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_SWEEP_LOCK_ID])


def run(day: datetime.date | None = None, *, deliver: bool = True) -> SweepReport:
    day = day or clock.today()
    report = _sweep(day, deliver)
    # Files are not rolled back: only a real run (not simulate) deletes the DUA PDFs kept
    # for re-award confirmations never made.
    pending.discard_stale()
    log.info("Sweep of %s: %s", day, asdict(report))
    return report


@dataclass
class Simulation:
    """What a sweep would have done: its report, its audit events, its emails."""

    report: SweepReport
    events: list[AuditEvent]
    emails: list[OutboxEmail]


def simulate(day: datetime.date) -> Simulation:
    """Run the sweep for `day` in a transaction that is rolled back: every change it makes
    is seen, and none is kept; no email is queued or sent."""
    with transaction.atomic():
        last_event = AuditEvent.objects.aggregate(last=Max("pk"))["last"] or 0
        last_email = OutboxEmail.objects.aggregate(last=Max("pk"))["last"] or 0
        report = _sweep(day, deliver=False)
        simulation = Simulation(
            report,
            list(AuditEvent.objects.filter(pk__gt=last_event).select_related("contract")
                 .order_by("pk")),
            list(OutboxEmail.objects.filter(pk__gt=last_email).order_by("pk")),
        )
        transaction.set_rollback(True)
    log.info("Simulated the sweep of %s (nothing kept): %s", day, asdict(simulation.report))
    return simulation


def _sweep(day: datetime.date, deliver: bool) -> SweepReport:
    report = SweepReport(day=day.isoformat())
    with correlation.scope_if_unset("sweep"), _one_sweep_at_a_time(), mail.batch():
        since = _last_run_day(day)
        sweep_run = SweepRun.objects.create(day=day, started_at=clock.now())
        # Removal of access first: it matters most, and a contract it closes is out of
        # the reminders and escalations below, after a gap just as on a normal day.
        ended = end_due_contracts(day)
        report.contracts_ended = ended.contracts
        report.grants_revoked = ended.revoked
        report.grants_carried_over = ended.carried_over
        # After the carry-over: a re-award's new record starts on its POP start.
        report.reawards_started = start_reawarded_contracts(day)
        people = _People()
        report.closeout_notices = send_closeout_notices(day)
        report.reminders = send_reminders(day, since, people)
        report.escalations = escalate_overdue(day, since, people)
        report.dua_pauses = _pause_lapsed_duas(day)
        report.dua_warnings = dua_warnings.send_due(day, since)
        for field, job in DAILY_JOBS.items():
            setattr(report, field, job(day, since))
        # After the contracts that ended today: their people lose their last role today.
        accounts = lifecycle.sweep(day, hooks=[_revoke_calendar_links])
        report.accounts_deactivated = accounts.deactivated
        report.accounts_disabled = accounts.disabled
        report.audit_checkpoint = _checkpoint_audit_record()
        if deliver:
            delivery = deliver_due()
            report.emails_sent, report.emails_retrying = delivery.sent, delivery.retrying
        sweep_run.finished_at = clock.now()
        sweep_run.report = asdict(report)
        sweep_run.save(update_fields=["finished_at", "report"])
    return report


def _last_run_day(day: datetime.date) -> datetime.date:
    last = (
        SweepRun.objects.filter(day__lte=day, finished_at__isnull=False)
        .order_by("-day").values_list("day", flat=True).first()
    )
    return last or day - FIRST_RUN_LOOKBACK


def send_closeout_notices(day: datetime.date) -> int:
    """60 days before the end of performance: the notice to the COR and the team.

    A contract whose performance ends today or ended during a gap gets no notice asking for
    a scenario: the same sweep ends it (end_due_contracts), and that email says so.

    In batches, each one transaction that does for all its contracts what open_closeout
    does for one (the same changes, audit events and emails), in a few statements."""
    horizon = day + datetime.timedelta(days=settings.CLOSEOUT_NOTICE_DAYS)
    due = list(Contract.objects.filter(
        stage__in=[Stage.ONBOARDING, Stage.ACTIVE], pop_end__gt=day, pop_end__lte=horizon
    ).order_by("pk").values_list("pk", flat=True))
    return sum(_open_closeouts(due[start:start + BATCH]) for start in range(0, len(due), BATCH))


BATCH = 100  # contracts given their notice in one transaction


@transaction.atomic
def _open_closeouts(pks: list[int]) -> int:
    """open_closeout for each contract of `pks` (locked), at once: how many were opened."""
    contracts = [c for c in Contract.objects.select_for_update().filter(pk__in=pks).order_by("pk")
                 if c.stage in (Stage.ONBOARDING, Stage.ACTIVE) and c.pop_end is not None]
    opened = set(Closeout.objects.filter(contract__in=contracts)
                 .values_list("contract_id", "pop_end"))
    contracts = [c for c in contracts if (c.pk, c.pop_end) not in opened]  # once per end date
    if not contracts:
        return 0
    now = clock.now()
    ends = {c.pk: c.pop_end for c in contracts if c.pop_end is not None}
    closeouts = Closeout.objects.bulk_create(
        Closeout(contract=c, pop_end=ends[c.pk], notice_sent_at=now) for c in contracts)
    stages = change_stage_many(contracts, Contract.begin_closeout, now)
    # The notice step of each (the first open one, as complete_open takes it) done.
    steps: dict[int, ContractStep] = {}
    for step in (ContractStep.objects.select_for_update()
                 .filter(contract__in=contracts, key=NOTICE_STEP, completed_at__isnull=True)
                 .order_by("contract", "order", "pk")):
        steps.setdefault(step.contract_id, step)
    for step in steps.values():
        step.completed_at, step.completed_by, step.completion_note = now, None, NOTICE_SENT
    ContractStep.objects.filter(pk__in=[s.pk for s in steps.values()]).update(
        completed_at=now, completed_by=None, completion_note=NOTICE_SENT)
    refresh_next_steps([c.pk for c in contracts])
    events = []  # appended at once, each contract's in order
    for contract, closeout, stage in zip(contracts, closeouts, stages, strict=True):
        events.append(audit.entry("contract.begin_closeout", contract,
                                  f"Stage changed from {stage} to {contract.stage}",
                                  contract=contract, before={"stage": stage},
                                  after={"stage": contract.stage}))
        events.append(audit.entry("closeout.notice_sent", closeout,
                                  f"Closeout notice: the period of performance ends "
                                  f"{contract.pop_end:%B %-d, %Y}",
                                  contract=contract, after={"pop_end": contract.pop_end}))
        done = steps.get(contract.pk)
        if done is not None:
            done.contract = contract
            events.append(audit.entry("timeline.step_completed", done,
                                      f"Completed “{done.name}”", contract=contract,
                                      after={"completed_at": done.completed_at,
                                             "note": done.completion_note}))
    audit.record_many(None, None, events)
    cors: dict[int, list] = {c.pk: [] for c in contracts}
    for role in ContractRole.objects.filter(contract__in=contracts,
                                            role=ContractRole.Role.COR).select_related("user"):
        cors[role.contract_id].append(role.user)
    team = workflow.team_emails()
    mail.queue_many("closeout_notice", [
        {"to": cors[c.pk] or team, "cc": team, "contract": c,
         "key": f"closeout-notice:{c.pk}:{ends[c.pk].isoformat()}",
         "context": {"closeout": closeout}}
        for c, closeout in zip(contracts, closeouts, strict=True)
    ])
    return len(contracts)


class _People:
    """Team addresses, read once per sweep (not once per step)."""

    def __init__(self):
        self._team: dict = {}

    def team(self, role: str, service=None) -> list[str]:
        key = (role, getattr(service, "pk", None))
        if key not in self._team:
            self._team[key] = workflow.team_emails(role, service)
        return self._team[key]

    def of_step(self, step: ContractStep) -> list[str]:
        """The step's responsible parties: the contract's COR, the contractor's POC, SO and
        SPOC, the onboarding team, its lead, the leads of the contract's services."""
        contract = step.contract
        parties = set(step.responsible)
        roles = []
        if Responsible.COR in parties:
            roles.append(ContractRole.Role.COR)
        if Responsible.CONTRACTOR in parties:
            roles += [ContractRole.Role.POC, ContractRole.Role.SO, ContractRole.Role.SPOC]
        addresses = [r.user.email for r in contract.roles.all()
                     if r.role in roles and r.user.is_active]
        if Responsible.ONBOARDING_TEAM in parties:
            addresses += self.team(TeamRole.Role.ONBOARDING_TEAM)
        if Responsible.TEAM_LEAD in parties:
            addresses += self.team(TeamRole.Role.TEAM_LEAD)
        if Responsible.SERVICE_LEADS in parties:
            for item in contract.services.all():
                addresses += self.team(TeamRole.Role.SERVICE_LEAD, item.service)
        return addresses


def _open_steps(**due):
    # A closed contract has one thing left to chase: the team's confirmation that its
    # access was removed (its remove-access step, due on the last day of performance).
    return (
        ContractStep.objects.filter(completed_at__isnull=True, cancelled_at__isnull=True, **due)
        .exclude(Q(contract__stage=Stage.CLOSED) & ~Q(key=REMOVE_ACCESS_STEP))
        .select_related("contract")
        .prefetch_related("contract__roles__user", "contract__services__service")
        .order_by("due_date", "pk")
    )


def send_reminders(
    day: datetime.date, since: datetime.date, people: _People | None = None
) -> int:
    """A reminder when a step comes within REMINDER_BUSINESS_DAYS of its due date: once per
    step and due date (a moved due date earns a new reminder)."""
    people = people or _People()
    window_end = calendar.add_business_days(day, settings.REMINDER_BUSINESS_DAYS)
    steps = _open_steps(due_date__gte=day, due_date__lte=window_end).exclude(
        _carried_over_by_the_sweep()
    )
    return len(mail.queue_many("step_reminder", [
        {"to": people.of_step(step), "contract": step.contract, "key": reminder_key(step),
         "context": {"step": step}}
        for step in steps
    ]))


def reminder_key(step: ContractStep) -> str:
    """The outbox key of a step's reminder: one per step and due date."""
    return f"reminder:{step.pk}:{step.due_date}"  # the date's ISO form


def _carried_over_by_the_sweep() -> Q:
    """A re-awarded contract's "Contract removed from services": the carry-over on its last
    day completes it (ending.end_contract), so nobody is reminded to remove access."""
    reaward = Closeout.objects.filter(
        contract=OuterRef("contract"), pop_end=OuterRef("contract__pop_end"),
        scenario=Scenario.REAWARD_INCUMBENT, successor__isnull=False,
    )
    return Q(key=REMOVE_ACCESS_STEP) & Q(Exists(reaward))


def escalate_overdue(
    day: datetime.date, since: datetime.date, people: _People | None = None
) -> int:
    """A step that became overdue since the last run goes to the onboarding team."""
    people = people or _People()
    team = people.team(TeamRole.Role.ONBOARDING_TEAM)
    steps = _open_steps(due_date__lt=day, due_date__gte=since - datetime.timedelta(days=1))
    return len(mail.queue_many("step_overdue", [
        {"to": team, "cc": people.of_step(step), "contract": step.contract,
         "key": f"escalation:{step.pk}:{step.due_date.isoformat()}", "context": {"step": step}}
        for step in steps
    ]))


def _checkpoint_audit_record() -> int:
    """Sign the audit record's head after the sweep's own events (its email goes out with
    the sweep's). A loss found is logged and emailed there, and must not stop the sweep."""
    try:
        return checkpoints.make().number
    except checkpoints.LossFound:
        return 0


def _revoke_calendar_links(people) -> None:
    """The lifecycle's hook: a deactivated person's calendar links stop for good (a new
    role later does not bring an old link back)."""
    now = clock.now()
    feeds = list(CalendarFeed.objects.filter(user__in=people, revoked_at__isnull=True))
    CalendarFeed.objects.filter(pk__in=[f.pk for f in feeds]).update(revoked_at=now)
    for feed in feeds:
        audit.record(None, "calendar_feed.revoked", feed,
                     "Calendar link turned off: the account was deactivated",
                     before={"revoked_at": None}, after={"revoked_at": now})


def _pause_lapsed_duas(day: datetime.date) -> int:
    """Grants paused because their DUA expired before `day`."""
    return sum(len(lapse.grants) for lapse in dua.pause_lapsed(day))

