"""The load benchmark's data set (tests/bench/bench_load.py): contracts in every stage with
their people, timeline, services, grants, onboarding requests, closeouts, work assignments
and a hash-chained audit record, written with PostgreSQL's COPY (psycopg), ids assigned
here. Imported by bench_load.py once Django is set up; never by the product or the tests.

Everything scales with the number of contracts (`Sizes`), but for one contract whose roster
holds ROSTER_LARGE contractor users at every size (the roster page's benchmark).
"""

import datetime
import hashlib
import json
import random
from dataclasses import dataclass

import psycopg
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from muster import clock
from muster.access.models import AccessGrant, GrantStatus
from muster.accounts.models import ContractRole, TeamRole, User
from muster.audit.models import AuditEvent
from muster.audit.services import GENESIS_HASH
from muster.catalog.models import Service
from muster.closeout.models import Closeout, Scenario
from muster.contracts.models import Contract, ContractService, Organization, Stage
from muster.onboarding.models import OnboardingRequest, Question, Status
from muster.timeline.models import ContractStep, ProcessTemplate
from muster.timeline.services import COPIED_FIELDS, anchor_date
from muster.work.models import Assignment

FIRST = 10  # contracts built before the first query count
USERS_PER_10 = (2, 5, 8, 10, 12, 15, 18, 10, 10, 10)  # contractor users: 10 a contract
AUDIT_PER_CONTRACT = 100  # 1,000,000 for 10,000 contracts
ROSTER_LARGE = 2_000  # the roster page's contract
LARGE_ROSTER_NAME = "Large Roster"  # in that contract's name
TEAM_SIZE = 5
# The first contracts' stages (a draw for Builder.stage_dates), so that every page shows
# every kind of row at 10 contracts as at 10,000 (the query counts compare the two): active
# (the large roster), awarded (its request waits for review: the review queue is never
# empty), onboarding (grants to confirm), closing (a closeout), closed, in solicitation.
FIRST_STAGES = {0: 0.5, 1: 0.15, 2: 0.25, 3: 0.87, 4: 0.95, 5: 0.05}
DAY = datetime.timedelta(days=1)

WORDS = [
    "Analytics",
    "Quality Reporting",
    "Data Platform",
    "Claims Review",
    "Outreach",
    "Modernization",
    "Program Integrity",
    "Survey Support",
    "Research",
    "Help Desk",
]
ACTIONS = [
    "contract.updated",
    "step.completed",
    "grant.requested",
    "grant.activated",
    "roster.added",
    "onboarding.submitted",
    "dua.uploaded",
    "service.approved",
]
# Where a contract awarded in the last 30 days stands in onboarding (cumulative odds).
AWARDED_REQUESTS = [
    (0.30, Status.DRAFT),
    (0.65, Status.SUBMITTED),
    (0.75, Status.QUESTION),
    (0.85, Status.REVIEWED),
    (0.95, Status.LEAD_APPROVED),
    (1.00, Status.SERVICE_REVIEW),
]


# Work items (muster/work/items.py) that may be assigned, and their states that are not open.
ITEM_FIELDS = {OnboardingRequest: "onboarding_request", Closeout: "closeout", AccessGrant: "grant"}
CLOSED_ITEMS = {
    Status.DRAFT,
    Status.COMPLETE,
    Closeout.Status.ACCESS_REMOVED,
    GrantStatus.ACTIVE,
    GrantStatus.REVOKED,
}


@dataclass(frozen=True)
class Sizes:
    """The data set for `contracts` contracts: CORs, organizations (and, per contract,
    users and audit records) scale with it."""

    contracts: int

    @property
    def cors(self) -> int:
        return max(5, self.contracts // 20)  # 500 for 10,000: about 20 contracts each

    @property
    def organizations(self) -> int:
        return max(10, self.contracts // 5)


# --- COPY ------------------------------------------------------------------------------


def fresh_database() -> None:
    """Drop and re-create the benchmark's database, then migrate it."""
    s = connection.settings_dict
    admin = psycopg.connect(
        host=s["HOST"] or None,
        port=s["PORT"] or None,
        user=s["USER"] or None,
        dbname="postgres",
        autocommit=True,
    )
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{s["NAME"]}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{s["NAME"]}"')
    connection.close()
    call_command("migrate", verbosity=0)


def copy_rows(table: str, columns: list[str], rows) -> int:
    """COPY rows (tuples of Python values, JSON already as text) into a table."""
    n = 0
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    sql = f"COPY {connection.ops.quote_name(table)} ({cols}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def copy_objects(model, objects) -> int:
    """COPY unsaved model instances (their pk already set) as Django would save them (the
    database writes generated columns itself)."""
    fields = [f for f in model._meta.concrete_fields if not f.generated]
    return copy_rows(
        model._meta.db_table,
        [f.column for f in fields],
        (
            tuple(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields)
            for obj in objects
        ),
    )


def reset_sequences(models) -> None:
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f'(SELECT coalesce(max(id), 1) FROM "{table}"))'
            )


def fill_next_steps() -> None:
    """The builder writes steps, requests and closeouts with COPY, so it bypasses the
    services that keep each contract's stored next open step and each open request's and
    closeout's stored due date up to date: recompute them, set-based, with the commands
    that check them. Before ANALYZE: with statistics taken while the column was empty, the
    overdue list's plan was 1,000 times slower."""
    call_command("check_next_steps", "--fix", verbosity=0)
    call_command("check_work_dues", "--fix", verbosity=0)


# --- the builder -----------------------------------------------------------------------


class Rows:
    """The rows of one batch, by model, COPYed in dependency order."""

    ORDER = (
        User,
        Contract,
        ContractService,
        ContractRole,
        ContractStep,
        AccessGrant,
        OnboardingRequest,
        Question,
        Closeout,
        Assignment,
    )

    def __init__(self):
        self.by_model: dict = {model: [] for model in self.ORDER}

    def add(self, model, objects) -> None:
        self.by_model[model] += objects

    def copy(self) -> None:
        for model in self.ORDER:
            copy_objects(model, self.by_model[model])


class Builder:
    """Makes contracts, people and history in batches, with ids assigned here."""

    MODELS = (User, TeamRole, Organization, *Rows.ORDER, AuditEvent)

    def __init__(self, sizes: Sizes):
        self.sizes = sizes
        self.rng = random.Random(6)
        self.today = clock.today()
        self.now = clock.now().replace(microsecond=0).astimezone(datetime.UTC)
        self.template = ProcessTemplate.objects.get(is_default=True)
        self.template_steps = list(self.template.steps.all())
        self.services = list(Service.objects.order_by("order", "name"))
        self.next: dict = {}
        self.sync()
        self.contracts = self.people = self.audit_rows = 0
        self.make_team()
        # Audit records are spread over the time before now, a minute apart, in id order.
        self.audit_start = self.now - datetime.timedelta(
            minutes=sizes.contracts * AUDIT_PER_CONTRACT
        )

    def sync(self) -> None:
        """The next ids and the audit chain's last hash as the database has them: a request
        between two batches may have written (issuing the API token records an event)."""
        for m in self.MODELS:
            last = m.objects.order_by("-id").values_list("id", flat=True).first() or 0
            self.next[m] = max(self.next.get(m, 0), last + 1)
        self.chain = (
            AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
            or GENESIS_HASH
        )

    def make_team(self) -> None:
        """The team, its lead, the CORs and organizations, shared by every contract."""
        self.team = self.new_users(TEAM_SIZE, "team")
        self.lead = self.new_users(1, "lead")[0]
        roles = [
            TeamRole(id=self.take(TeamRole), user=u, role=TeamRole.Role.ONBOARDING_TEAM)
            for u in self.team
        ]
        roles.append(TeamRole(id=self.take(TeamRole), user=self.lead, role=TeamRole.Role.TEAM_LEAD))
        self.cors = self.new_users(self.sizes.cors, "cor")
        copy_objects(User, self.team + [self.lead] + self.cors)
        copy_objects(TeamRole, roles)
        self.orgs = [
            Organization(
                id=self.take(Organization),
                name=f"Contractor {n} LLC",
                harp_name=f"CONTRACTOR {n} LLC",
            )
            for n in range(self.sizes.organizations)
        ]
        copy_objects(Organization, self.orgs)

    def take(self, model, n: int = 1) -> int:
        first = self.next[model]
        self.next[model] += n
        return first

    def new_users(self, n: int, kind: str) -> list[User]:
        start = self.take(User, n)
        self.people += n
        return [
            User(
                id=start + i,
                email=f"{kind}{start + i}@load.example",
                full_name=f"{kind.title()} {start + i}",
                harp_id=f"H{start + i:07d}",
                password="!",
                date_joined=self.now,
            )
            for i in range(n)
        ]

    def at(self, day: datetime.date, hour: int = 15) -> datetime.datetime:
        """A moment on `day` (never after now)."""
        moment = datetime.datetime.combine(day, datetime.time(hour), tzinfo=datetime.UTC)
        return min(moment, self.now)

    # --- one contract --------------------------------------------------------------------

    def stage_dates(self, r: float) -> dict:
        """A stage drawn from r (0–1) and the dates a contract in it has (the stage moves
        only through transitions once a contract exists: each is built in its stage)."""
        rng, today, days = self.rng, self.today, datetime.timedelta
        if r < 0.10:
            estimated = today + days(rng.randint(10, 200))
            return {
                "stage": Stage.SOLICITATION,
                "estimated_award_date": estimated,
                "pop_start": estimated + days(30),
            }
        if r < 0.20:
            award = today - days(rng.randint(1, 30))
            return {
                "stage": Stage.AWARDED,
                "award_date": award,
                "estimated_award_date": award,
                "pop_start": today + days(rng.randint(5, 60)),
            }
        if r < 0.35:
            award = today - days(rng.randint(20, 60))
            return {
                "stage": Stage.ONBOARDING,
                "award_date": award,
                "estimated_award_date": award,
                "pop_start": today - days(rng.randint(0, 20)),
            }
        stage, back = (
            (Stage.ACTIVE, (60, 1200))
            if r < 0.85
            else (Stage.CLOSING, (400, 1500))
            if r < 0.90
            else (Stage.CLOSED, (800, 2000))
        )
        pop_start = today - days(rng.randint(*back))
        return {
            "stage": stage,
            "pop_start": pop_start,
            "award_date": pop_start - days(30),
            "estimated_award_date": pop_start - days(30),
        }

    def pop_end(self, dates: dict) -> datetime.date:
        rng, days = self.rng, datetime.timedelta
        if dates["stage"] == Stage.CLOSING:
            return self.today + days(rng.randint(1, 59))
        if dates["stage"] == Stage.CLOSED:
            return self.today - days(rng.randint(1, 400))
        return max(dates["pop_start"] + days(365 * rng.randint(1, 5)), self.today + days(61))

    def contract(self, n: int, large_roster: bool = False) -> Contract:
        r = FIRST_STAGES.get(n, self.rng.random())
        dates = self.stage_dates(r)
        dates["pop_end"] = self.pop_end(dates)
        word = LARGE_ROSTER_NAME if large_roster else self.rng.choice(WORDS)
        return Contract(
            id=self.take(Contract),
            name=f"Contract {n:05d} {word}",
            contract_number=f"75FCMC{n:06d}",
            task_order_number=f"TO{n:06d}",
            organization=self.orgs[n % len(self.orgs)],
            process_template=self.template,
            created_at=self.now,
            type_of_work="Data analysis and reporting.",
            requirements_summary="Access to analytics and collaboration tools.",
            **dates,
        )

    def steps(self, c: Contract) -> list[ContractStep]:
        rows = []
        for t in self.template_steps:
            step = ContractStep(
                id=self.take(ContractStep), contract=c, **{f: getattr(t, f) for f in COPIED_FIELDS}
            )
            step.due_date = t.due_from(anchor_date(c, t.anchor))
            # Past steps are done, around their due date, but for a few forgotten ones
            # (overdue).
            if step.due_date and step.due_date < self.today and self.rng.random() < 0.95:
                step.completed_at = self.at(step.due_date + self.rng.randint(-3, 2) * DAY)
                step.completed_by = self.rng.choice(self.team)
                step.completion_note = t.evidence
            rows.append(step)
        return rows

    def onboarding(self, c: Contract, cor: User) -> list:
        """The contract's onboarding request (none before the award), and its open question
        when it waits on one."""
        if c.stage == Stage.SOLICITATION:
            return []
        if c.stage == Stage.AWARDED:
            r = 0.5 if self.contracts == 1 else self.rng.random()  # the second: submitted
            status = next(s for odds, s in AWARDED_REQUESTS if r < odds)
        elif c.stage == Stage.ONBOARDING:
            first = self.contracts < FIRST  # an open request among the first contracts
            status = Status.APPROVED if first or self.rng.random() < 0.3 else Status.COMPLETE
        else:
            status = Status.COMPLETE
        opened = self.at(c.award_date)
        request = OnboardingRequest(
            id=self.take(OnboardingRequest),
            contract=c,
            status=status,
            created_by=cor,
            created_at=opened,
        )
        if status != Status.DRAFT:
            request.submitted_by = cor
            request.submitted_at = self.at(c.award_date + self.rng.randint(0, 6) * DAY)
        if status not in (Status.DRAFT, Status.SUBMITTED, Status.QUESTION):
            request.reviewed_by, request.reviewed_at = self.team[0], request.submitted_at
        if status in (
            Status.LEAD_APPROVED,
            Status.SERVICE_REVIEW,
            Status.APPROVED,
            Status.COMPLETE,
        ):
            request.lead_approved_by, request.lead_approved_at = self.lead, request.reviewed_at
        if status == Status.COMPLETE:
            request.completed_at = self.at(c.pop_start + self.rng.randint(0, 10) * DAY)
        rows: list = [request]
        if status == Status.QUESTION:
            rows.append(
                Question(
                    id=self.take(Question),
                    request=request,
                    text="Which team will use the data?",
                    asked_by=self.team[1],
                    asked_at=request.submitted_at,
                )
            )
        return rows

    def closeout(self, c: Contract, cor: User) -> list[Closeout]:
        """A closing contract's closeout in progress, a closed one's finished."""
        if c.stage not in (Stage.CLOSING, Stage.CLOSED):
            return []
        chosen = c.stage == Stage.CLOSED or self.rng.random() < 0.4
        status = (
            Closeout.Status.ACCESS_REMOVED
            if c.stage == Stage.CLOSED
            else Closeout.Status.SCENARIO_CHOSEN
            if chosen
            else Closeout.Status.NOTICE_SENT
        )  # protected: set once, when made
        closeout = Closeout(
            id=self.take(Closeout),
            contract=c,
            pop_end=c.pop_end,
            notice_sent_at=self.at(c.pop_end - 60 * DAY),
            status=status,
        )
        if chosen:
            closeout.scenario = Scenario.NO_AWARD
            closeout.chosen_by, closeout.chosen_at = cor, self.at(c.pop_end - 50 * DAY)
        if c.stage == Stage.CLOSED:
            closeout.access_removed_on = c.pop_end
            closeout.removal_confirmed_by = self.team[2]
            closeout.removal_confirmed_at = self.at(c.pop_end)
        return [closeout]

    def assignments(self, items: list) -> list[Assignment]:
        """About a third of the open onboarding requests, closeouts and grants to confirm
        are someone's; among the first contracts, all are the first team member's (whose
        My work is measured)."""
        rows = []
        first = self.contracts < FIRST
        for item in items:
            field = ITEM_FIELDS[type(item)]
            if item.status in CLOSED_ITEMS or (not first and self.rng.random() > 0.35):
                continue
            rows.append(
                Assignment(
                    id=self.take(Assignment),
                    assignee=self.team[0] if first else self.rng.choice(self.team),
                    assigned_by=self.lead,
                    assigned_at=self.now,
                    **{field: item},
                )
            )
        return rows

    def services_of(self, c: Contract, chosen: list[Service]) -> list[ContractService]:
        decided = c.stage not in (Stage.SOLICITATION, Stage.AWARDED)
        return [
            ContractService(
                id=self.take(ContractService),
                contract=c,
                service=s,
                estimated_users=10,
                justification="Needed for the work.",
                status=ContractService.Status.APPROVED
                if decided
                else ContractService.Status.REQUESTED,
                decided_at=self.at(c.award_date + 15 * DAY) if decided else None,
                decided_by=self.lead if decided else None,
            )
            for s in chosen
        ]

    def grants(self, c: Contract, users: list[User], service: Service, so: User):
        """Half the roster holds (or, in onboarding, waits for) the first service."""
        status = {
            Stage.ONBOARDING: GrantStatus.REQUESTED,
            Stage.ACTIVE: GrantStatus.ACTIVE,
            Stage.CLOSING: GrantStatus.ACTIVE,
            Stage.CLOSED: GrantStatus.REVOKED,
        }.get(c.stage)
        if status is None:
            return []
        requested = self.at(min(c.pop_start, self.today) - self.rng.randint(0, 8) * DAY)
        return [
            AccessGrant(
                id=self.take(AccessGrant),
                contract=c,
                user=u,
                service=service,
                requested_by=so,
                requested_at=requested,
                status=status,
            )
            for u in users[::2]
        ]

    def add_contract(self, rows: Rows, large_roster: bool = False) -> Contract:
        c = self.contract(self.contracts, large_roster)
        rows.add(Contract, [c])
        chosen = self.rng.sample(self.services, self.rng.randint(1, 3))
        rows.add(ContractService, self.services_of(c, chosen))
        poc, so, spoc = parties = self.new_users(3, "party")
        size = ROSTER_LARGE if large_roster else USERS_PER_10[self.contracts % 10]
        roster = self.new_users(size, "user")
        rows.add(User, parties + roster)
        cor = self.rng.choice(self.cors)
        holders = [("cor", cor), ("poc", poc), ("so", so), ("spoc", spoc)] + [
            ("contractor_user", u) for u in roster
        ]
        rows.add(
            ContractRole,
            [
                ContractRole(
                    id=self.take(ContractRole),
                    contract=c,
                    user=u,
                    role=r,
                    eua_check="complete",
                    assigned_at=self.now,
                )
                for r, u in holders
            ],
        )
        rows.add(ContractStep, self.steps(c))
        grants = self.grants(c, roster, chosen[0], so)
        rows.add(AccessGrant, grants)
        onboarding, closeout = self.onboarding(c, cor), self.closeout(c, cor)
        rows.add(OnboardingRequest, onboarding[:1])
        rows.add(Question, onboarding[1:])
        rows.add(Closeout, closeout)
        rows.add(Assignment, self.assignments(onboarding[:1] + closeout + grants[:1]))
        self.contracts += 1
        return c

    def build(self, n: int) -> None:
        """COPY `n` more contracts (the very first one holds the large roster)."""
        self.sync()
        rows = Rows()
        contracts = [self.add_contract(rows, large_roster=self.contracts == 0) for _ in range(n)]
        rows.copy()
        self.audit(contracts)

    def audit(self, contracts: list[Contract]) -> None:
        """AUDIT_PER_CONTRACT chained records per contract, hashed exactly as
        AuditEvent.content_digest hashes them."""
        columns = [
            "id",
            "at",
            "actor_id",
            "actor_label",
            "action",
            "summary",
            "object_type",
            "object_id",
            "object_repr",
            "contract_id",
            "before",
            "after",
            "prev_hash",
            "hash",
        ]
        labels = {u.pk: f"{u.full_name} <{u.email}>" for u in self.team}

        def rows():
            prev = self.chain
            for c in contracts:
                repr_ = f"{c.name} ({c.contract_number})"
                for k in range(AUDIT_PER_CONTRACT):
                    pk = self.take(AuditEvent)
                    at = self.audit_start + datetime.timedelta(minutes=pk)
                    actor = self.team[(pk + k) % len(self.team)].pk
                    action = ACTIONS[k % len(ACTIONS)]
                    after = {"n": k, "note": f"{action} #{k}"}
                    summary = f"{action.replace('.', ' ')} on {c.contract_number} ({k})"
                    payload = {
                        "at": at.isoformat(),
                        "actor": actor,
                        "actor_label": labels[actor],
                        "action": action,
                        "summary": summary,
                        "object_type": "contracts.contract",
                        "object_id": str(c.pk),
                        "object_repr": repr_,
                        "contract": c.pk,
                        "before": {},
                        "after": after,
                    }
                    canonical = json.dumps(
                        payload, sort_keys=True, cls=DjangoJSONEncoder, default=str
                    )
                    digest = hashlib.sha256((prev + canonical).encode()).hexdigest()
                    yield (
                        pk,
                        at,
                        actor,
                        labels[actor],
                        action,
                        summary,
                        "contracts.contract",
                        str(c.pk),
                        repr_,
                        c.pk,
                        "{}",
                        json.dumps(after),
                        prev,
                        digest,
                    )
                    prev = digest
            self.chain = prev

        self.audit_rows += copy_rows(AuditEvent._meta.db_table, columns, rows())

    def finish(self) -> None:
        """Sequences past the ids used, stored next steps filled, the tables vacuumed and
        their statistics fresh: as autovacuum leaves a database in service (a server
        running without it, as this machine's does, left every page of the bulk-loaded
        tables not all-visible, so an index-only scan read the table row by row, and the
        dead rows of the next steps' update in every index: the dashboard's counts took
        twice as long)."""
        reset_sequences(self.MODELS)
        fill_next_steps()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
