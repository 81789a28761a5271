"""Benchmark: the daily sweep's time and SQL queries for 1,000, 10,000 and 100,000
contracts on PostgreSQL, with the same day's work due on the sweep day at every size.

    .venv/bin/python -m tests.bench.bench_sweep            # all three sizes
    .venv/bin/python -m tests.bench.bench_sweep --sizes 1000 --runs 3   # a quick look
    .venv/bin/python -m tests.bench.bench_sweep --sizes 100 --runs 1 --no-explain  # CI

It uses its own database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/muster_sweepbench), dropped and migrated afresh. The
contracts are built with bulk_create (each with its 12 timeline steps, a COR, and for a
tenth of them a roster with access grants on approved services and DUAs); none of them has
anything due around the sweep day. Then, for each run, a fresh set of due work is added
(DUE: closeout notices, reminders, escalations, ends of performance, DUA lapses and
warnings, recertification reminders and pauses, reconciliation findings, and the accounts
the ends leave with no role); the sweep does it (deliver=False: no SMTP in the timing), its
report is checked against that work, and the work is retired so the next run finds only
its own. Exits 1 when a report does not match the work added, or when the queries differ
from one size to the next (they must follow the work due, not the database).
"""

import argparse
import datetime
import os
import random
import re
import statistics
import sys
import time
from contextlib import contextmanager

BENCH_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/muster_sweepbench"
)
os.environ["DATABASE_URL"] = BENCH_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "muster.settings")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from muster.access import dua_warnings  # noqa: E402
from muster.access.models import AccessGrant, GrantStatus  # noqa: E402
from muster.accounts.models import ContractRole, TeamRole, User  # noqa: E402
from muster.catalog.models import Service  # noqa: E402
from muster.closeout import ending, sweep  # noqa: E402
from muster.closeout.models import SweepRun  # noqa: E402
from muster.contracts.models import (  # noqa: E402
    Contract,
    ContractService,
    DataUseAgreement,
    Organization,
    Stage,
)
from muster.identity import lifecycle  # noqa: E402
from muster.notifications import services as mail  # noqa: E402
from muster.recertification.models import Campaign, CampaignItem  # noqa: E402
from muster.timeline import calendar  # noqa: E402
from muster.timeline.models import ContractStep, ProcessTemplate  # noqa: E402
from muster.timeline.services import COPIED_FIELDS, anchor_date  # noqa: E402

DAY = datetime.date(2027, 6, 9)  # a Wednesday: the sweep day of every run
NOW = datetime.datetime(2027, 6, 9, 10, tzinfo=datetime.UTC)
QUIET = 40  # background contracts have nothing open within this many days of DAY
DUE = {"notices": 20, "reminders": 50, "escalations": 20, "ends": 20, "dua_lapses": 5,
       "dua_warnings": 5, "recert_reminders": 5, "recert_pauses": 5, "findings": 5}
GRANTS_PER_END, GRANTS_PER_RECERT = 3, 2
APPROVED = ContractService.Status.APPROVED
COMPLETE = ContractRole.EuaCheck.COMPLETE
BATCH = 5000


# --- the database ----------------------------------------------------------------------


def fresh_database() -> None:
    name = connection.settings_dict["NAME"]
    admin = psycopg.connect(host=connection.settings_dict["HOST"] or None,
                            port=connection.settings_dict["PORT"] or None,
                            user=connection.settings_dict["USER"] or None,
                            dbname="postgres", autocommit=True)
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    call_command("migrate", verbosity=0)


class World:
    """Shared rows: the template, services, team, a pool of people."""

    def __init__(self, cors: int = 200):
        self.template = ProcessTemplate.objects.get(is_default=True)
        self.steps = list(self.template.steps.all())
        self.services = {s.slug: s for s in Service.objects.all()}
        self.org = Organization.objects.create(name="Bench LLC", harp_name="BENCH LLC")
        for n in range(3):
            team = User.objects.create(email=f"team{n}@bench.example", full_name=f"Team {n}")
            TeamRole.objects.create(user=team, role=TeamRole.Role.ONBOARDING_TEAM)
        lead = User.objects.create(email="lead@bench.example", full_name="Lead")
        TeamRole.objects.create(user=lead, role=TeamRole.Role.TEAM_LEAD)
        self.team_member = team
        # No more CORs than the first size's contracts: each gets a role on one (a COR
        # without any would be deactivated by the first sweep, work the day does not hold).
        self.cors = User.objects.bulk_create(
            User(email=f"cor{n}@bench.example", full_name=f"COR {n}") for n in range(cors))
        self.numbers = 0
        self.people = 0
        self.rng = random.Random(5)

    def number(self) -> str:
        self.numbers += 1
        return f"BENCH-{self.numbers:07d}"

    def new_users(self, n: int, kind: str) -> list[User]:
        start, self.people = self.people, self.people + n
        return User.objects.bulk_create(
            (User(email=f"{kind}{i}@bench.example", full_name=f"{kind.title()} {i}")
             for i in range(start, start + n)), batch_size=BATCH)

    def steps_for(self, contract: Contract, open_keys=None, quiet=True) -> list[ContractStep]:
        """The contract's 12 steps. Background (quiet): done when due in the past, or
        within QUIET days of DAY; open otherwise (a few old ones left overdue). Due work:
        only the keys named stay open, with the due dates given."""
        rows = []
        for t in self.steps:
            step = ContractStep(contract=contract, **{f: getattr(t, f) for f in COPIED_FIELDS})
            step.due_date = t.due_from(anchor_date(contract, t.anchor))
            if open_keys is not None:
                if t.key in open_keys:
                    step.due_date = open_keys[t.key] or step.due_date
                else:
                    step.completed_at = NOW
            elif step.due_date is not None:
                days = (step.due_date - DAY).days
                near = abs(days) <= QUIET
                old_and_forgotten = days < -QUIET and self.rng.random() < 0.05
                if near or (days < 0 and not old_and_forgotten):
                    step.completed_at = NOW
            rows.append(step)
        return rows


# --- background: contracts with nothing due --------------------------------------------


def background_contract(w: World) -> Contract:
    r, rng = w.rng.random(), w.rng
    days = datetime.timedelta
    # The stage moves only through transitions once a contract exists (a protected
    # field): each kind of background contract is built in its stage.
    if r < 0.55:  # active
        pop_start = DAY - days(rng.randint(60, 1500))
        dates = {"stage": Stage.ACTIVE, "pop_start": pop_start,
                 "pop_end": DAY + days(rng.randint(QUIET + 61, 1800)),
                 "award_date": pop_start - days(30), "estimated_award_date": pop_start - days(30)}
    elif r < 0.80:  # closed
        pop_end = DAY - days(rng.randint(QUIET + 5, 1800))
        pop_start = pop_end - days(rng.randint(365, 1500))
        dates = {"stage": Stage.CLOSED, "pop_start": pop_start, "pop_end": pop_end,
                 "award_date": pop_start - days(30), "estimated_award_date": pop_start - days(30)}
    elif r < 0.90:  # being solicited
        estimated = DAY + days(rng.randint(QUIET + 61, 400))
        dates = {"stage": Stage.SOLICITATION, "estimated_award_date": estimated,
                 "pop_start": estimated + days(30),
                 "pop_end": estimated + days(30) + days(365 * rng.randint(1, 5))}
    else:  # awarded or onboarding, starting later
        stage = rng.choice([Stage.AWARDED, Stage.ONBOARDING])
        award = DAY - days(rng.randint(QUIET + 5, 100))
        pop_start = DAY + days(rng.randint(QUIET + 5, 200))
        dates = {"stage": stage, "award_date": award, "estimated_award_date": award,
                 "pop_start": pop_start, "pop_end": pop_start + days(365 * rng.randint(1, 5))}
    return Contract(name=f"Background {w.numbers + 1}", contract_number=w.number(),
                    organization=w.org, process_template=w.template, created_at=NOW, **dates)


def add_background(w: World, n: int) -> float:
    started = time.perf_counter()
    viya = w.services["sas-viya"]
    others = [w.services[s] for s in ("confluence", "jira-service-management", "slack")]
    for offset in range(0, n, BATCH):
        contracts = Contract.objects.bulk_create(
            background_contract(w) for _ in range(min(BATCH, n - offset)))
        ContractStep.objects.bulk_create(
            (s for c in contracts for s in w.steps_for(c)), batch_size=BATCH)
        roles = [ContractRole(contract=c, user=w.cors[(offset + i) % len(w.cors)], role="cor")
                 for i, c in enumerate(contracts)]
        # A tenth hold a roster of 3 with live grants (one on SAS Viya, with a valid DUA
        # and an older expired one, as after a renewal).
        staffed = [c for c in contracts if c.stage == Stage.ACTIVE and w.rng.random() < 0.18]
        users = w.new_users(3 * len(staffed), "roster")
        grants, duas, approved = [], [], []
        for i, c in enumerate(staffed):
            team = users[3 * i:3 * i + 3]
            # As the app leaves them: the services approved, the EUA checks complete (the
            # daily reconciliation finds nothing to say about them).
            roles += [ContractRole(contract=c, user=u, role="contractor_user",
                                   eua_check=COMPLETE) for u in team]
            approved += [ContractService(contract=c, service=s, status=APPROVED)
                         for s in [viya, *others]]
            grants += [AccessGrant(contract=c, user=team[0], service=viya, requested_by=team[0],
                                   status=GrantStatus.ACTIVE)]
            grants += [AccessGrant(contract=c, user=u, service=w.rng.choice(others),
                                   requested_by=u, status=GrantStatus.ACTIVE) for u in team[1:]]
            duas += [DataUseAgreement(contract=c, number=f"D{c.pk}", document="x.pdf",
                                      expiry_date=c.pop_end, uploaded_at=NOW),
                     DataUseAgreement(contract=c, number=f"D{c.pk}-old", document="x.pdf",
                                      expiry_date=c.pop_start, uploaded_at=NOW)]
        ContractRole.objects.bulk_create(roles, batch_size=BATCH)
        AccessGrant.objects.bulk_create(grants, batch_size=BATCH)
        ContractService.objects.bulk_create(approved, batch_size=BATCH)
        DataUseAgreement.objects.bulk_create(duas, batch_size=BATCH)
    # The earlier sweeps deactivated the people left with no role (a COR of closed
    # contracts only, at the smallest sizes).
    User.objects.filter(pk__in=lifecycle.roleless()).update(
        is_active=False, deactivated_reason=User.Deactivated.NO_ROLE)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


# --- the work due on DAY ---------------------------------------------------------------


class DueContracts:
    """The contracts with work due, made together: a few bulk inserts for them all (the
    setup of each run, not timed, stays a few seconds even at twice the work)."""

    def __init__(self, w: World):
        self.w = w
        self.specs: list[dict] = []

    def add(self, name, pop_start, pop_end, open_keys, roles, members=(), services=(),
            status="active", requested_at=None) -> dict:
        """`roles` (role, user) pairs; `members` contractor users (EUA check complete)
        holding live grants on `services` (approved), one each."""
        spec = {"contract": Contract(
            name=name, contract_number=self.w.number(), organization=self.w.org,
            stage=Stage.ACTIVE, process_template=self.w.template, pop_start=pop_start,
            pop_end=pop_end, award_date=pop_start - datetime.timedelta(days=30),
            estimated_award_date=pop_start - datetime.timedelta(days=30), created_at=NOW),
            "open_keys": open_keys, "roles": roles, "members": list(members),
            "services": list(services), "status": status, "requested_at": requested_at}
        self.specs.append(spec)
        return spec

    def create(self) -> None:
        """Insert them all; each spec gains its `steps` (by key) and `grants`."""
        contracts = Contract.objects.bulk_create(s["contract"] for s in self.specs)
        steps = ContractStep.objects.bulk_create(
            (st for s, c in zip(self.specs, contracts, strict=True)
             for st in self.w.steps_for(c, s["open_keys"])), batch_size=BATCH)
        by_contract: dict = {}
        for st in steps:
            by_contract.setdefault(st.contract_id, {})[st.key] = st
        roles, services, grants = [], [], []
        for s, c in zip(self.specs, contracts, strict=True):
            s["steps"] = by_contract.get(c.pk, {})
            roles += [ContractRole(contract=c, user=u, role=r) for r, u in s["roles"]]
            members = list(dict.fromkeys(s["members"]))
            roles += [ContractRole(contract=c, user=u, role="contractor_user",
                                   eua_check=COMPLETE) for u in members]
            services += [ContractService(contract=c, service=sv, status=APPROVED)
                         for sv in dict.fromkeys(s["services"])]
            s["grants"] = [AccessGrant(contract=c, user=u, service=sv, requested_by=u,
                                       status=s["status"],
                                       requested_at=s["requested_at"] or NOW)
                           for u, sv in zip(s["members"], s["services"], strict=True)]
            grants += s["grants"]
        ContractRole.objects.bulk_create(roles, batch_size=BATCH)
        ContractService.objects.bulk_create(services, batch_size=BATCH)
        AccessGrant.objects.bulk_create(grants, batch_size=BATCH)


class DueWork:
    """What one run added, to retire after the sweep did it."""

    def __init__(self):
        self.steps: list[int] = []
        self.duas: list[int] = []
        self.campaigns: list[int] = []
        self.grants: list[int] = []


def add_due_work(w: World, run: int) -> DueWork:
    """A fresh set of work due on DAY (what the sweep would find on an ordinary day)."""
    days = datetime.timedelta
    cor, poc, so, spoc = w.new_users(4, f"party{run}-")
    parties = [("cor", cor), ("poc", poc), ("so", so), ("spoc", spoc)]
    long_ago, far = DAY - days(400), DAY + days(700)
    work, due = DueWork(), DueContracts(w)
    viya, confluence, slack = (w.services[s] for s in ("sas-viya", "confluence", "slack"))
    for n in range(DUE["notices"]):  # 60 days before the end
        due.add(f"Notice {run}.{n}", long_ago, DAY + days(60), {"remove-access": None},
                parties)
    reminded = [due.add(f"Reminder {run}.{n}", long_ago, far,  # due in 1 or 2 business days
                        {"touch-point-calls": calendar.add_business_days(DAY, 1 + n % 2)},
                        parties) for n in range(DUE["reminders"])]
    late = [due.add(f"Late {run}.{n}", long_ago, far,  # due yesterday, not done
                    {"submit-intake": DAY - days(1)}, parties)
            for n in range(DUE["escalations"])]
    ending = [due.add(f"Ends {run}.{n}", DAY - days(365), DAY,  # the last day: 3 grants
                      {"remove-access": None}, parties,
                      w.new_users(GRANTS_PER_END, f"ending{run}-"), [viya, confluence, slack])
              for n in range(DUE["ends"])]
    lapsing = [due.add(f"Lapse {run}.{n}", long_ago, far, {}, parties,  # DUA expired yesterday
                       w.new_users(1, f"lapse{run}-"), [viya])
               for n in range(DUE["dua_lapses"])]
    warned = [due.add(f"Expiring {run}.{n}", long_ago, far, {}, parties,  # first DUA warning
                      w.new_users(1, f"warned{run}-"), [viya])
              for n in range(DUE["dua_warnings"])]
    # Recertification: a campaign due in 7 days (a reminder per contract) and one due
    # today (its undecided grants pause, an email per contract).
    remind_in = max(settings.RECERTIFICATION_REMINDER_DAYS)
    campaigns = {kind: (due_on, [
        due.add(f"Recertify {run}.{kind}.{n}", long_ago, far, {}, parties,
                w.new_users(GRANTS_PER_RECERT, f"recert{run}-"), [confluence, slack])
        for n in range(DUE[kind])])
        for kind, due_on in (("recert_reminders", DAY + days(remind_in)), ("recert_pauses", DAY))}
    # Reconciliation: grants requested long ago and never confirmed (new findings).
    services = [s for s in w.services.values() if not s.requires_dua][:DUE["findings"]]
    assert len(services) == DUE["findings"], "not enough services without a DUA"
    [waiting] = w.new_users(1, f"waiting{run}-")
    unconfirmed = due.add(f"Unconfirmed {run}", long_ago, far, {}, parties,
                          [waiting] * len(services), services, status="requested",
                          requested_at=NOW - days(30))
    due.create()

    work.steps = ([s["steps"]["touch-point-calls"].pk for s in reminded]
                  + [s["steps"]["submit-intake"].pk for s in late])
    duas = [DataUseAgreement(contract=s["contract"], number=f"D{s['contract'].pk}",
                             document="x.pdf", expiry_date=expiry, uploaded_at=NOW)
            for group, expiry in ((ending, DAY + days(30)), (lapsing, DAY - days(1)),
                                  (warned, DAY + days(dua_warnings.thresholds()[0])))
            for s in group]
    DataUseAgreement.objects.bulk_create(duas)
    work.duas = [d.pk for d in duas[len(ending) + len(lapsing):]]
    for s in ending:
        # Its "Contract removed from services" step is due today: its reminder went out
        # with the sweep REMINDER_BUSINESS_DAYS before, as for any contract that ends.
        already_reminded(w, s["steps"]["remove-access"])
    for kind, (due_on, specs) in campaigns.items():
        campaign = Campaign.objects.create(name=f"Bench {run} {kind}", due_date=due_on,
                                           scope="all", opened_by=w.team_member, opened_at=NOW)
        work.campaigns.append(campaign.pk)
        CampaignItem.objects.bulk_create(
            CampaignItem(campaign=campaign, contract=s["contract"], grant=g)
            for s in specs for g in s["grants"])
    work.grants = [g.pk for g in unconfirmed["grants"]]
    return work


def already_reminded(w: World, step: ContractStep) -> None:
    mail.queue("step_reminder", to=[w.team_member], contract=step.contract,
               key=sweep.reminder_key(step), context={"step": step})


def retire(work: DueWork) -> None:
    """Take what the run did out of the next runs' way, as the people concerned would."""
    ContractStep.objects.filter(pk__in=work.steps).update(completed_at=NOW)
    # The warned DUAs are renewed (a new expiry date), their contracts covered again.
    DataUseAgreement.objects.filter(pk__in=work.duas).update(
        expiry_date=DAY + datetime.timedelta(days=700))
    CampaignItem.objects.filter(campaign__in=work.campaigns, decision="").update(
        decision="keep", decided_at=NOW)
    AccessGrant.objects.filter(pk__in=work.grants).update(status="active", activated_at=NOW)


# --- measuring -------------------------------------------------------------------------

PHASES = {
    "end of performance": (sweep, "end_due_contracts"),
    "closeout notices": (sweep, "send_closeout_notices"),
    "reminders": (sweep, "send_reminders"),
    "escalations": (sweep, "escalate_overdue"),
    "DUA lapses": (sweep, "_pause_lapsed_duas"),
    "DUA warnings": (dua_warnings, "send_due"),
    # The apps' daily jobs (sweep.DAILY_JOBS, by report field).
    "recertification reminders": (sweep.DAILY_JOBS, "recertification_reminders"),
    "recertification pauses": (sweep.DAILY_JOBS, "recertification_pauses"),
    "reconciliation": (sweep.DAILY_JOBS, "reconciliation_new_findings"),
    "accounts": (lifecycle, "sweep"),
    "audit checkpoint": (sweep, "_checkpoint_audit_record"),
}


def _get(where, attr):
    return where[attr] if isinstance(where, dict) else getattr(where, attr)


def _set(where, attr, value):
    if isinstance(where, dict):
        where[attr] = value
    else:
        setattr(where, attr, value)


@contextmanager
def phase_timers(into: dict):
    """Time each phase of the sweep and count its queries (under a query capture)."""
    originals = {name: _get(where, attr) for name, (where, attr) in PHASES.items()}

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            before, started = len(connection.queries), time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                into[name] = ((time.perf_counter() - started) * 1000,
                              len(connection.queries) - before)
        return wrapper

    for name, (where, attr) in PHASES.items():
        _set(where, attr, timed(name, originals[name]))
    try:
        yield
    finally:
        for name, (where, attr) in PHASES.items():
            _set(where, attr, originals[name])


def shape_of(sql: str) -> str:
    """A statement with its literals taken out, to count queries by kind."""
    sql = re.sub(r'"(s\d+_x|_django_curs_\d+_sync_)\d+"', '"?"', sql)  # savepoints, cursors
    sql = re.sub(r"'[^']*'|\b\d+\b", "?", sql)
    return re.sub(r"\(\?(, \?)*\)", "(…)", sql)


def expected_report() -> dict[str, int]:
    """The sweep's report for one run's work (every count it keeps but the delivery's)."""
    return {
        "closeout_notices": DUE["notices"], "reminders": DUE["reminders"],
        "escalations": DUE["escalations"], "contracts_ended": DUE["ends"],
        "grants_revoked": GRANTS_PER_END * DUE["ends"], "grants_carried_over": 0,
        "reawards_started": 0, "dua_pauses": DUE["dua_lapses"],
        "dua_warnings": DUE["dua_warnings"],
        "recertification_reminders": DUE["recert_reminders"],
        "recertification_pauses": GRANTS_PER_RECERT * DUE["recert_pauses"],
        "reconciliation_new_findings": DUE["findings"],
        # The ending contracts' rosters lose their last role.
        "accounts_deactivated": GRANTS_PER_END * DUE["ends"], "accounts_disabled": 0,
    }


class WrongReport(Exception):
    pass


def check(report, run: int) -> None:
    expected = expected_report()
    got = {field: getattr(report, field) for field in expected}
    wrong = {f: f"{got[f]} (expected {expected[f]})" for f in expected if got[f] != expected[f]}
    if wrong or not report.audit_checkpoint:
        raise WrongReport(f"run {run}: the sweep's report does not match the work added: "
                          f"{wrong or 'no audit checkpoint'}")


def one_run(w: World, run: int, capture: bool) -> tuple[float, int, dict, object]:
    steps = add_due_work(w, run)
    phases: dict = {}
    if capture:
        with CaptureQueriesContext(connection) as queries, phase_timers(phases):
            started = time.perf_counter()
            report = sweep.run(DAY, deliver=False)
            elapsed = time.perf_counter() - started
        count = len(queries)
        shapes: dict = {}
        for q in queries.captured_queries:
            shape = shape_of(q["sql"])
            n, t = shapes.get(shape, (0, 0.0))
            shapes[shape] = (n + 1, t + float(q["time"]))
        phases["_shapes"] = shapes
    else:
        # The sweep process's own CPU time too: on a shared machine the wall time waits
        # for the cores, the CPU time much less.
        started, cpu = time.perf_counter(), time.process_time()
        report = sweep.run(DAY, deliver=False)
        elapsed, count = time.perf_counter() - started, 0
        phases["_cpu"] = (time.process_time() - cpu) * 1000
    check(report, run)
    retire(steps)
    return elapsed * 1000, count, phases, report


EXPLAINED = {
    "closeout notices (contracts due a notice)": lambda: Contract.objects.filter(
        stage__in=[Stage.ONBOARDING, Stage.ACTIVE], pop_end__gt=DAY,
        pop_end__lte=DAY + datetime.timedelta(days=60)).values_list("pk", flat=True),
    "end of performance (contracts to end)": lambda: Contract.objects.filter(
        stage__in=ending.ENDABLE, pop_end__lte=DAY).values_list("pk", flat=True),
    "reminders (open steps due in the window)": lambda: sweep._open_steps(
        due_date__gte=DAY, due_date__lte=calendar.add_business_days(DAY, 2)),
    "escalations (open steps overdue since the last run)": lambda: sweep._open_steps(
        due_date__lt=DAY, due_date__gte=DAY - datetime.timedelta(days=1)),
    "DUA lapses (muster.access.dua.lapsed_contracts)": lambda: __import__(
        "muster.access.dua", fromlist=["lapsed_contracts"]).lapsed_contracts(DAY),
}


def explain() -> None:
    for title, query in EXPLAINED.items():
        print(f"\n### {title}\n")
        print(query().explain(analyze=True, buffers=False, timing=False, summary=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per size")
    parser.add_argument("--work-scale", type=int, default=1,
                        help="multiply the work due on the sweep day (default 1)")
    parser.add_argument("--async-commit", action="store_true",
                        help="SET synchronous_commit = off for the sweep's session: takes the "
                        "disk's flush time out of each commit, leaving the query work")
    parser.add_argument("--shapes", type=int, default=0, metavar="N",
                        help="print the N most frequent statement shapes of the counted run")
    parser.add_argument("--no-explain", action="store_true",
                        help="skip the EXPLAIN ANALYZE of the selecting queries")
    parser.add_argument("--profile", action="store_true",
                        help="profile one more run at the last size (cProfile, top 40)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    for kind in DUE:
        DUE[kind] *= args.work_scale

    print(f"Database: {connection.settings_dict['NAME']} (dropped and migrated afresh); "
          f"synchronous_commit {'off' if args.async_commit else 'on (the default)'}")
    fresh_database()
    w = World(cors=min(200, sizes[0]))
    if args.async_commit:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
    SweepRun.objects.create(day=DAY - datetime.timedelta(days=1), started_at=NOW,
                            finished_at=NOW)
    run, rows, built = 0, [], 0
    try:
        for size in sizes:
            seconds = add_background(w, size - built)
            built = size
            # One untimed warm-up run (caches, plans), then the timed ones, then one counted.
            run += 1
            one_run(w, run, capture=False)
            times, cpus, load = [], [], [os.getloadavg()[0]]
            for _ in range(args.runs):
                run += 1
                ms, _n, timed, _r = one_run(w, run, capture=False)
                times.append(ms)
                cpus.append(timed["_cpu"])
                load.append(os.getloadavg()[0])
            run += 1
            elapsed, queries, phases, report = one_run(w, run, capture=True)
            times = times or [elapsed]
            total = Contract.objects.count()
            rows.append((size, total, ContractStep.objects.count(), statistics.median(times),
                         min(times), max(times), queries, phases, (min(load), max(load))))
            print(f"{size:>7,} background contracts (built in {seconds:.0f} s; {total:,} in "
                  f"all): median {statistics.median(times):.0f} ms (best {min(times):.0f}, "
                  f"worst {max(times):.0f}), {queries} queries; load average "
                  f"{min(load):.1f}–{max(load):.1f}; the sweep's own CPU time: median "
                  f"{statistics.median(cpus or [0]):.0f} ms", flush=True)
            for name in PHASES:
                ms, n = phases.get(name, (0.0, 0))
                print(f"    {name:<28} {ms:8.1f} ms {n:5} queries")
            shapes = sorted(phases["_shapes"].items(), key=lambda kv: -kv[1][1])
            for shape, (n, spent) in shapes[:3]:
                print(f"    slowest SQL: {spent * 1000:7.0f} ms in {n:4} x {shape[:90]}")
            for shape, (n, spent) in sorted(shapes, key=lambda kv: -kv[1][0])[:args.shapes]:
                print(f"    {n:5} x {spent * 1000:7.1f} ms  {shape[:160]}")
    except WrongReport as wrong:
        print(f"FAILED: {wrong}", file=sys.stderr)
        return 1

    work = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in DUE.items())
    print(f"\nThe work due in each run: {work}")
    print("\n| contracts (background) | contracts in the database | steps "
          "| median ms (best–worst) | load average | SQL queries |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for size, total, steps, median, low, high, queries, _, load in rows:
        print(f"| {size:,} | {total:,} | {steps:,} | {median:.0f} ({low:.0f}–{high:.0f}) "
              f"| {load[0]:.1f}–{load[1]:.1f} | {queries:,} |")
    print("\nPer phase (the counted run): ms / queries")
    names = list(PHASES)
    print("| contracts | " + " | ".join(names) + " |")
    print("| ---: |" + " ---: |" * len(names))
    for size, *_, phases, _load in rows:
        cells = " | ".join("{:.0f} / {}".format(*phases.get(n, (0.0, 0))) for n in names)
        print(f"| {size:,} | {cells} |")
    if not args.no_explain:
        print(f"\nEXPLAIN ANALYZE of the sweep's selecting queries at {rows[-1][1]:,} "
              "contracts:")
        explain()
    if args.profile:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.runcall(one_run, w, run + 1, False)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    counts = {size: queries for size, *_, queries, _p, _l in rows}
    if len(set(counts.values())) > 1:
        print(f"FAILED: the queries depend on the database's size, not only on the work "
              f"due: {counts}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
