"""Benchmark: Muster's pages under 16 concurrent clients, on PostgreSQL, with 10,000
contracts, 100,000 contractor users and 1,000,000 audit records.

Not a test. It uses a database of its own (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/muster_load), dropped and migrated afresh by `build`.

    apt-get install wrk                                  # the load tool (Debian's)
    .venv/bin/python -m tests.bench.bench_load build     # ~3 minutes: the data set
    .venv/bin/python -m tests.bench.bench_load measure   # gunicorn + wrk, ~5 minutes
    .venv/bin/python -m tests.bench.bench_load all       # both

`build` makes the data set in two steps: 10 contracts first, when it counts the SQL
queries of each page (Django's test client, CaptureQueriesContext), then the other 9,990,
when it counts them again: the counts must be the same. Rows go in with PostgreSQL's COPY
(psycopg); the audit records carry a valid hash chain, computed here exactly as
AuditEvent.content_digest computes it (`--verify-audit` runs the whole check afterwards).

`measure` serves the database with gunicorn (installed for the benchmark only, into
/tmp/muster_load_gunicorn, not into the project) with DEBUG off (MUSTER_ENV=production),
and loads each page with wrk from 127.0.0.1: 16 connections, 2 threads, 20 seconds each
(after a 5-second warm-up), beside a bare view (tests/bench/load_urls.py) that goes
through the same middleware, signed in the same way. It prints median, p95 and requests
per second, and the ratio of each page's median to the bare view's.
"""

import argparse
import datetime
import hashlib
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/muster_load")
VAR_DIR = Path(tempfile.gettempdir()) / "muster_load_var"
GUNICORN_DIR = Path(tempfile.gettempdir()) / "muster_load_gunicorn"
# The server's environment, and this process's (sessions are signed with the same key).
SERVER_ENV = {
    "DATABASE_URL": BENCH_URL,
    "DJANGO_SETTINGS_MODULE": "tests.bench.load_settings",
    "MUSTER_ENV": "production",
    "SECRET_KEY": "bench-load-only-" + "k7Qm2xVb9ZpR4tLw8NcJ3hYs6FdG1aEu5oKi0",
    "AUDIT_CHECKPOINT_KEY": "bench-load-audit-only-" + "Wq4Zr8Tn2Lx6Vb0Mc3Hs7Jd1",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SECURE_SSL_REDIRECT": "false",
    "EMAIL_HOST": "127.0.0.1",  # production refuses the file backend; the bench sends nothing
    "MUSTER_VAR_DIR": str(VAR_DIR),
    "DB_CONN_MAX_AGE": "600",
    "LOG_LEVEL": "WARNING",
    # Signed in by session alone, as the demo is: the team's second factor would send every
    # request to its setup page (the check itself still runs on each request).
    "MUSTER_MFA_REQUIRED": "0",
}
os.environ.update(SERVER_ENV)

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.serializers.json import DjangoJSONEncoder  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from muster import clock  # noqa: E402
from muster.access.models import AccessGrant, GrantStatus  # noqa: E402
from muster.accounts.models import ContractRole, TeamRole, User  # noqa: E402
from muster.audit.models import AuditEvent  # noqa: E402
from muster.audit.services import GENESIS_HASH  # noqa: E402
from muster.catalog.models import Service  # noqa: E402
from muster.contracts.models import Contract, ContractService, Organization, Stage  # noqa: E402
from muster.timeline.models import ContractStep, ProcessTemplate  # noqa: E402
from muster.timeline.services import COPIED_FIELDS, anchor_date  # noqa: E402

CONTRACTS = 10_000
FIRST = 10  # contracts built before the first query count
USERS_PER_10 = (2, 5, 8, 10, 12, 15, 18, 10, 10, 10)  # contractor users: 10 a contract
AUDIT_PER_CONTRACT = 100  # 1,000,000 for 10,000 contracts
CORS = 500
ORGANIZATIONS = 2_000
PORT = 0  # a free port, chosen when the server starts
CONNECTIONS, THREADS, SECONDS, WARMUP = 16, 2, 20, 5


# --- the data set ----------------------------------------------------------------------


def fresh_database() -> None:
    s = connection.settings_dict
    admin = psycopg.connect(host=s["HOST"] or None, port=s["PORT"] or None,
                            user=s["USER"] or None, dbname="postgres", autocommit=True)
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
    """COPY unsaved model instances (their pk already set) as Django would save them."""
    fields = model._meta.concrete_fields
    return copy_rows(model._meta.db_table, [f.column for f in fields], (
        tuple(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields)
        for obj in objects))


def reset_sequences(models) -> None:
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                           f"(SELECT coalesce(max(id), 1) FROM \"{table}\"))")


class Builder:
    """Makes contracts, people and history in chunks, with ids assigned here."""

    MODELS = (User, TeamRole, Organization, Contract, ContractService, ContractRole,
              ContractStep, AccessGrant, AuditEvent)

    def __init__(self):
        self.rng = random.Random(6)
        self.today = clock.today()
        self.now = clock.now().replace(microsecond=0).astimezone(datetime.UTC)
        self.template = ProcessTemplate.objects.get(is_default=True)
        self.template_steps = list(self.template.steps.all())
        self.services = list(Service.objects.order_by("order", "name"))
        self.next = {m: (m.objects.order_by("-id").values_list("id", flat=True).first() or 0)
                     + 1 for m in self.MODELS}
        self.chain = (AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
                      or GENESIS_HASH)
        self.contracts = self.people = self.audit_rows = 0
        # The team, CORs and organizations, shared by every contract.
        self.team = self.new_users(5, "team")
        self.lead = self.new_users(1, "lead")[0]
        roles = [TeamRole(id=self.take(TeamRole), user=u, role=TeamRole.Role.ONBOARDING_TEAM)
                 for u in self.team]
        roles.append(TeamRole(id=self.take(TeamRole), user=self.lead,
                              role=TeamRole.Role.TEAM_LEAD))
        self.cors = self.new_users(CORS, "cor")
        copy_objects(User, self.team + [self.lead] + self.cors)
        copy_objects(TeamRole, roles)
        self.orgs = [Organization(id=self.take(Organization), name=f"Contractor {n} LLC",
                                  harp_name=f"CONTRACTOR {n} LLC") for n in range(ORGANIZATIONS)]
        copy_objects(Organization, self.orgs)
        # Audit records are spread over the last ~2 years, a minute apart, in id order.
        self.audit_start = self.now - datetime.timedelta(minutes=CONTRACTS * AUDIT_PER_CONTRACT)

    def take(self, model, n: int = 1) -> int:
        first = self.next[model]
        self.next[model] += n
        return first

    def new_users(self, n: int, kind: str) -> list[User]:
        start = self.take(User, n)
        self.people += n
        return [User(id=start + i, email=f"{kind}{start + i}@load.example",
                     full_name=f"{kind.title()} {start + i}", harp_id=f"H{start + i:07d}",
                     password="!", date_joined=self.now) for i in range(n)]

    def contract(self, n: int) -> Contract:
        rng, days = self.rng, datetime.timedelta
        # The stage moves only through transitions once a contract exists (a protected
        # field): each contract is built in its stage, with its dates.
        r = rng.random()
        if r < 0.10:
            estimated = self.today + days(rng.randint(10, 200))
            dates = {"stage": Stage.SOLICITATION, "estimated_award_date": estimated,
                     "pop_start": estimated + days(30)}
        elif r < 0.20:
            award = self.today - days(rng.randint(1, 30))
            dates = {"stage": Stage.AWARDED, "award_date": award, "estimated_award_date": award,
                     "pop_start": self.today + days(rng.randint(5, 60))}
        elif r < 0.35:
            award = self.today - days(rng.randint(20, 60))
            dates = {"stage": Stage.ONBOARDING, "award_date": award,
                     "estimated_award_date": award,
                     "pop_start": self.today - days(rng.randint(0, 20))}
        else:
            stage, back = ((Stage.ACTIVE, (60, 1200)) if r < 0.85 else
                           (Stage.CLOSING, (400, 1500)) if r < 0.90 else
                           (Stage.CLOSED, (800, 2000)))
            pop_start = self.today - days(rng.randint(*back))
            dates = {"stage": stage, "pop_start": pop_start,
                     "award_date": pop_start - days(30),
                     "estimated_award_date": pop_start - days(30)}
        if dates["stage"] == Stage.CLOSING:
            dates["pop_end"] = self.today + days(rng.randint(1, 59))
        elif dates["stage"] == Stage.CLOSED:
            dates["pop_end"] = self.today - days(rng.randint(1, 400))
        else:
            dates["pop_end"] = max(dates["pop_start"] + days(365 * rng.randint(1, 5)),
                                   self.today + days(61))
        return Contract(id=self.take(Contract), name=f"Contract {n:05d} {rng.choice(WORDS)}",
                        contract_number=f"75FCMC{n:06d}", task_order_number=f"TO{n:06d}",
                        organization=self.orgs[n % ORGANIZATIONS],
                        process_template=self.template, created_at=self.now,
                        type_of_work="Data analysis and reporting.",
                        requirements_summary="Access to analytics and collaboration tools.",
                        **dates)

    def steps(self, c: Contract) -> list[ContractStep]:
        rows = []
        for t in self.template_steps:
            step = ContractStep(id=self.take(ContractStep), contract=c,
                                **{f: getattr(t, f) for f in COPIED_FIELDS})
            step.due_date = t.due_from(anchor_date(c, t.anchor))
            # Past steps are done, but for a few forgotten ones (overdue).
            if step.due_date and step.due_date < self.today and self.rng.random() < 0.95:
                step.completed_at = self.now
                step.completed_by = self.rng.choice(self.team)
                step.completion_note = t.evidence
            rows.append(step)
        return rows

    def build(self, n: int) -> None:
        rng = self.rng
        contracts, services, roles, users, steps, grants = [], [], [], [], [], []
        for _ in range(n):
            c = self.contract(self.contracts)
            contracts.append(c)
            approved = c.stage in (Stage.ACTIVE, Stage.CLOSING, Stage.CLOSED)
            chosen = rng.sample(self.services, rng.randint(1, 3))
            services += [ContractService(
                id=self.take(ContractService), contract=c, service=s, estimated_users=10,
                justification="Needed for the work.",
                status=ContractService.Status.APPROVED if approved
                else ContractService.Status.REQUESTED) for s in chosen]
            poc, so, spoc = parties = self.new_users(3, "party")
            roster = self.new_users(USERS_PER_10[self.contracts % 10], "user")
            users += parties + roster
            holders = [("cor", rng.choice(self.cors)), ("poc", poc), ("so", so),
                       ("spoc", spoc)] + [("contractor_user", u) for u in roster]
            roles += [ContractRole(id=self.take(ContractRole), contract=c, user=u, role=r,
                                   eua_check="complete", assigned_at=self.now)
                      for r, u in holders]
            steps += self.steps(c)
            if approved:  # half the roster holds access to the first service
                grants += [AccessGrant(
                    id=self.take(AccessGrant), contract=c, user=u, service=chosen[0],
                    requested_by=so, requested_at=self.now,
                    status=GrantStatus.REVOKED if c.stage == Stage.CLOSED
                    else GrantStatus.ACTIVE) for u in roster[::2]]
            self.contracts += 1
        copy_objects(User, users)
        copy_objects(Contract, contracts)
        copy_objects(ContractService, services)
        copy_objects(ContractRole, roles)
        copy_objects(ContractStep, steps)
        copy_objects(AccessGrant, grants)
        self.audit(contracts)

    def audit(self, contracts: list[Contract]) -> None:
        """AUDIT_PER_CONTRACT chained records per contract, hashed exactly as
        AuditEvent.content_digest hashes them."""
        columns = ["id", "at", "actor_id", "actor_label", "action", "summary", "object_type",
                   "object_id", "object_repr", "contract_id", "before", "after",
                   "prev_hash", "hash"]
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
                    payload = {"at": at.isoformat(), "actor": actor,
                               "actor_label": labels[actor], "action": action,
                               "summary": summary, "object_type": "contracts.contract",
                               "object_id": str(c.pk), "object_repr": repr_,
                               "contract": c.pk, "before": {}, "after": after}
                    canonical = json.dumps(payload, sort_keys=True, cls=DjangoJSONEncoder,
                                           default=str)
                    digest = hashlib.sha256((prev + canonical).encode()).hexdigest()
                    yield (pk, at, actor, labels[actor], action, summary,
                           "contracts.contract", str(c.pk), repr_, c.pk, "{}",
                           json.dumps(after), prev, digest)
                    prev = digest
            self.chain = prev

        self.audit_rows += copy_rows(AuditEvent._meta.db_table, columns, rows())

    def finish(self) -> None:
        reset_sequences(self.MODELS)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


WORDS = ["Analytics", "Quality Reporting", "Data Platform", "Claims Review", "Outreach",
         "Modernization", "Program Integrity", "Survey Support", "Research", "Help Desk"]
ACTIONS = ["contract.updated", "step.completed", "grant.requested", "grant.activated",
           "roster.added", "onboarding.submitted", "dua.uploaded", "service.approved"]


# --- the pages and their queries -------------------------------------------------------


def targets() -> list[tuple[str, User, str, str]]:
    """(label, who, path, text the page must show): the pages measured."""
    team = User.objects.filter(team_roles__role=TeamRole.Role.ONBOARDING_TEAM).order_by("id")[0]
    contract = (Contract.objects.filter(stage=Stage.ACTIVE).order_by("id")
                .prefetch_related("roles__user")[0])
    cor = contract.roles.get(role="cor").user
    return [
        ("bare view (same middleware)", team, "/bench/bare/", "ok"),
        ("home, onboarding team (My work)", team, "/", "My work"),
        ("home, COR (their contracts)", cor, "/", "Open contracts"),
        ("contract list (team, first page of 25)", team, "/contracts/", "Contract 0"),
        ("contract page (team)", team, contract.get_absolute_url(), contract.contract_number),
    ]


def count_queries(explain: bool = False) -> dict[str, int]:
    counts = {}
    for label, who, path, text in targets():
        client = Client()
        client.force_login(who)
        client.get(path)  # warm: first-use caches (content types, templates)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200, (label, response.status_code)
        assert text in response.content.decode(), (label, text)
        counts[label] = len(captured)
        slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))
        print(f"  {label:<42} {len(captured):3} queries; slowest "
              + ", ".join(f"{float(q['time']) * 1000:.1f} ms" for q in slowest[:3]))
        if explain and float(slowest[0]["time"]) > 0.02:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest[0]["sql"])
                plan = "\n".join(r[0] for r in cursor.fetchall())
            print(f"    slowest SQL:\n    {slowest[0]['sql'][:2000]}\n    plan:\n"
                  + "\n".join("      " + line for line in plan.splitlines()))
    return counts


def collect_static() -> None:
    """Production settings serve static files from a manifest: collect them once."""
    if not (VAR_DIR / "static" / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)


def build(args) -> None:
    print(f"Database: {connection.settings_dict['NAME']} (dropped and migrated afresh)")
    collect_static()
    started = time.perf_counter()
    fresh_database()
    migrated = time.perf_counter()
    b = Builder()
    b.build(FIRST)
    b.finish()
    print(f"\nSQL queries per page at {Contract.objects.count():,} contracts:")
    small = count_queries()
    t0 = time.perf_counter()
    step = 1000
    while b.contracts < CONTRACTS:
        b.build(min(step - b.contracts % step, CONTRACTS - b.contracts))
        print(f"  built {b.contracts:,} contracts ({time.perf_counter() - t0:.0f} s)",
              flush=True)
    b.finish()
    built = time.perf_counter()
    sizes = {
        "contracts": Contract.objects.count(),
        "open contracts": Contract.objects.exclude(stage=Stage.CLOSED).count(),
        "organizations": Organization.objects.count(),
        "users": User.objects.count(),
        "contractor users (roles)": ContractRole.objects.filter(role="contractor_user").count(),
        "contract roles": ContractRole.objects.count(),
        "timeline steps": ContractStep.objects.count(),
        "contract services": ContractService.objects.count(),
        "access grants": AccessGrant.objects.count(),
        "audit records": AuditEvent.objects.count(),
    }
    print(f"\nMigrate {migrated - started:.0f} s; build {built - migrated:.0f} s. Data set:")
    for name, n in sizes.items():
        print(f"  {name:<26} {n:>10,}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        print(f"  database size {cursor.fetchone()[0]}")
    print(f"\nSQL queries per page at {sizes['contracts']:,} contracts:")
    large = count_queries(explain=args.explain)
    print("\n| page | queries at 10 contracts | at 10,000 |\n| --- | ---: | ---: |")
    for label in small:
        print(f"| {label} | {small[label]} | {large[label]} |")
    if small != large:
        print("QUERY COUNTS DIFFER", file=sys.stderr)
    if args.verify_audit:
        t = time.perf_counter()
        call_command("verify_audit")
        print(f"verify_audit over {sizes['audit records']:,} records: "
              f"{time.perf_counter() - t:.0f} s")
    if small != large:
        sys.exit(1)


# --- serving and loading ---------------------------------------------------------------


def ensure_gunicorn() -> str:
    if not (GUNICORN_DIR / "gunicorn").exists():
        subprocess.run(["uv", "pip", "install", "--quiet", "--python", sys.executable,
                        "--target", str(GUNICORN_DIR), "gunicorn"], check=True)
    out = subprocess.run([sys.executable, "-c", "import gunicorn; print(gunicorn.__version__)"],
                         env={**os.environ, "PYTHONPATH": str(GUNICORN_DIR)},
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def get(path: str, session: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": f"sessionid={session}"})
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        conn.close()


LUA = """
wrk.headers["Cookie"] = "sessionid=%(session)s"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body) if status ~= 200 then bad = bad + 1 end end
function done(summary, latency, requests)
  local nbad = 0
  for _, t in ipairs(threads) do nbad = nbad + t:get("bad") end
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d %%d\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), nbad, e.connect + e.read + e.write + e.timeout))
end
"""


def wrk(path: str, session: str, seconds: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % {"session": session})
    try:
        out = subprocess.run(
            ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "30s",
             "-s", script.name, f"http://127.0.0.1:{PORT}{path}"],
            capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    finally:
        os.unlink(script.name)
    line = next(x for x in out.splitlines() if x.startswith("RESULT"))
    requests, duration, p50, p95, p99, bad, errors = map(int, line.split()[1:])
    return {"requests": requests, "rps": requests / (duration / 1e6), "p50": p50 / 1000,
            "p95": p95 / 1000, "p99": p99 / 1000, "bad": bad, "errors": errors}


def one_at_a_time(pages, n: int = 15) -> None:
    """Each page's own cost, in this process, one request at a time: median wall time and
    the part of it spent waiting for SQL (CaptureQueriesContext)."""
    print("One request at a time, in process (Django test client), median of "
          f"{n}: total ms / SQL ms / queries")
    for label, who, path, _ in pages:
        client = Client()
        client.force_login(who)
        client.get(path)
        walls, sqls = [], []
        for _ in range(n):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                client.get(path)
                walls.append((time.perf_counter() - started) * 1000)
            sqls.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
        print(f"  {label:<42} {statistics.median(walls):7.1f} ms {statistics.median(sqls):7.1f}"
              f" ms {len(captured):3}")


def measure(args) -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    version = ensure_gunicorn()
    collect_static()
    pages = targets()
    one_at_a_time(pages)
    sessions = {}
    for _, who, _, _ in pages:
        if who.pk not in sessions:
            client = Client()
            client.force_login(who)
            sessions[who.pk] = client.cookies["sessionid"].value
    connection.close()
    global PORT
    with socket.socket() as probe:  # a port nobody else is serving on
        probe.bind(("127.0.0.1", 0))
        PORT = probe.getsockname()[1]
    log = VAR_DIR / "gunicorn.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "muster.wsgi:application",
         "--bind", f"127.0.0.1:{PORT}", "--workers", str(args.workers),
         "--worker-class", "sync", "--error-logfile", str(log), "--log-level", "warning"],
        env={**os.environ, **SERVER_ENV,
             "PYTHONPATH": os.pathsep.join([str(GUNICORN_DIR), os.getcwd()])},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    bare, pages = pages[0], pages[1:]
    results = []
    try:
        for _ in range(100):
            try:
                get(bare[2], sessions[bare[1].pk])
                break
            except OSError:
                time.sleep(0.2)
        if server.poll() is not None:
            sys.exit(f"gunicorn did not start; see {log}")
        print(f"\ngunicorn {version}, {args.workers} sync workers, DEBUG off, "
              "persistent DB connections, PostgreSQL JIT off (settings.py); "
              f"wrk -t{THREADS} -c{CONNECTIONS} -d{args.seconds}s, each page right after "
              "the bare view")
        for label, who, path, text in [bare, *pages]:  # each page answers itself, signed in
            status, body = get(path, sessions[who.pk])
            if status != 200 or text not in body:
                sys.exit(f"{label}: {path} answered {status} without {text!r}; see {log}")
            wrk(path, sessions[who.pk], WARMUP)
        for label, who, path, _ in pages:
            load = os.getloadavg()[0]
            pair = []
            for run_label, run_who, run_path in ((bare[0], bare[1], bare[2]),
                                                 (label, who, path)):
                r = wrk(run_path, sessions[run_who.pk], args.seconds)
                pair.append(r)
                print(f"  {run_label:<42} median {r['p50']:7.1f} ms  p95 {r['p95']:7.1f} ms  "
                      f"{r['rps']:6.1f} req/s  ({r['requests']} requests, {r['bad']} not 200,"
                      f" {r['errors']} socket errors)", flush=True)
            results.append((label, pair[1], pair[0], load))
    finally:
        server.terminate()
        server.wait(timeout=30)
    print("\n| page | median | p95 | req/s | bare view just before: median, req/s "
          "| median ÷ bare | req/s ÷ bare | load average (1 min) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, r, b, load in results:
        print(f"| {label} | {r['p50']:.0f} ms | {r['p95']:.0f} ms | {r['rps']:.1f} | "
              f"{b['p50']:.0f} ms, {b['rps']:.0f} | {r['p50'] / b['p50']:.1f} | "
              f"{r['rps'] / b['rps']:.2f} | {load:.1f} |")
    if any(r["bad"] or r["errors"] or b["bad"] or b["errors"] for _, r, b, _ in results):
        sys.exit("Some responses were not 200: the figures above do not count.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["build", "measure", "all"])
    parser.add_argument("--explain", action="store_true",
                        help="EXPLAIN ANALYZE each page's slowest query at 10,000 contracts")
    parser.add_argument("--verify-audit", action="store_true",
                        help="run manage.py verify_audit over the built audit record")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn workers")
    parser.add_argument("--seconds", type=int, default=SECONDS, help="per page")
    args = parser.parse_args()
    if args.what in ("build", "all"):
        build(args)
    if args.what in ("measure", "all"):
        measure(args)


if __name__ == "__main__":
    main()
