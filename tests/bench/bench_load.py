"""Benchmark: Muster's pages under 16 concurrent clients, on PostgreSQL, with 10,000
contracts, 100,000 contractor users and 1,000,000 audit records.

Not a test. It uses a database of its own (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/muster_load), dropped and migrated afresh by `build`.

    make bench                                           # build and measure, 10,000
    .venv/bin/python -m tests.bench.bench_load build     # ~3 minutes: the data set
    .venv/bin/python -m tests.bench.bench_load explain   # the pages' queries, no rebuild
    .venv/bin/python -m tests.bench.bench_load measure   # gunicorn + wrk
    .venv/bin/python -m tests.bench.bench_load all --contracts 100 --seconds 1 --warmup 1
    .venv/bin/python -m tests.bench.bench_load profile --profile list-cor

`build` makes the data set (tests/bench/load_data.py) in two steps: 10 contracts first,
when it checks each page answers with its content and counts its SQL queries (Django's
test client, CaptureQueriesContext) with the plan of the slowest (EXPLAIN ANALYZE), then the
rest, when it does it again: the counts must be the same. Each query whose plan reads about
as many rows as there are contracts is printed as a WARNING for a page that shows a page of
rows (a note for one that shows every row of something).

`measure` prints each page's cost one request at a time in process, then serves the
database with the project's gunicorn (deploy/gunicorn.conf.py, DEBUG off, MUSTER_ENV=
production) and loads each page with wrk from 127.0.0.1 (16 connections, 2 threads) right
after the bare view (tests/bench/load_urls.py), which goes through the same middleware,
signed in the same way. It ends with one Markdown table: median ÷ bare, p95, req/s, the
cost one at a time and the 1-minute load average at each page's run.

Exits non-zero if a page does not answer 200 with its own content, or if the query counts
differ between 10 contracts and the full size: .ci/run runs it at 100 contracts.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

BENCH_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/muster_load")
VAR_DIR = Path(tempfile.gettempdir()) / "muster_load_var"
ROOT = Path(__file__).resolve().parents[2]
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
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
    # The API's per-token limit (600/min) would answer 429 under load. Counted per day, not
    # per second: a window of a second expires between two requests, and reading an expired
    # counter deletes it (one more query), so the page's query count would follow the clock.
    "API_RATE_LIMIT": "1000000000/day",
}
os.environ.update(SERVER_ENV)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from muster.access.models import AccessGrant  # noqa: E402
from muster.accounts.models import ContractRole, User  # noqa: E402
from muster.audit.models import AuditEvent  # noqa: E402
from muster.closeout.models import Closeout  # noqa: E402
from muster.contracts.models import Contract, ContractService, Organization, Stage  # noqa: E402
from muster.onboarding.models import OnboardingRequest, Status  # noqa: E402
from muster.timeline.models import ContractStep  # noqa: E402
from muster.work.models import Assignment  # noqa: E402

from .load_data import FIRST, Builder, Sizes, fresh_database  # noqa: E402
from .load_pages import (  # noqa: E402
    Cost,
    Page,
    PageBroken,
    check_answer,
    count_queries,
    one_at_a_time,
    pages,
    profile,
)

CONNECTIONS, THREADS = 16, 2


# --- build -----------------------------------------------------------------------------


def collect_static() -> None:
    """Production settings serve static files from a manifest: collect them on every run
    (only changed files are copied), or a file added since the last run is missing from it."""
    call_command("collectstatic", interactive=False, verbosity=0)


def build_in_batches(builder: Builder, total: int, batch: int = 1000) -> None:
    started = time.perf_counter()
    while builder.contracts < total:
        builder.build(min(batch - builder.contracts % batch, total - builder.contracts))
        print(
            f"  built {builder.contracts:,} contracts ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    builder.finish()


def print_sizes() -> None:
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
        "onboarding requests": OnboardingRequest.objects.count(),
        "  waiting for review": OnboardingRequest.objects.filter(status=Status.SUBMITTED).count(),
        "closeouts": Closeout.objects.count(),
        "work assignments": Assignment.objects.count(),
        "audit records": AuditEvent.objects.count(),
    }
    for name, n in sizes.items():
        print(f"  {name:<26} {n:>10,}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        print(f"  database size {cursor.fetchone()[0]}")


def print_counts(small: dict[str, int], large: dict[str, int], contracts: int) -> None:
    print(f"\n| page | queries at {FIRST} contracts | at {contracts:,} |\n| --- | ---: | ---: |")
    for key in small:
        print(f"| {key} | {small[key]} | {large[key]} |")


def build(args) -> None:
    print(f"Database: {connection.settings_dict['NAME']} (dropped and migrated afresh)")
    collect_static()
    started = time.perf_counter()
    fresh_database()
    migrated = time.perf_counter()
    builder = Builder(Sizes(args.contracts))
    builder.build(FIRST)
    builder.finish()
    print(f"\nSQL queries per page at {FIRST} contracts:")
    small = count_queries(pages())
    build_in_batches(builder, args.contracts)
    built = time.perf_counter()
    print(f"\nMigrate {migrated - started:.0f} s; build {built - migrated:.0f} s "
          "(stored next steps included). Data set:")
    print_sizes()
    print(f"\nSQL queries per page at {args.contracts:,} contracts:")
    large = count_queries(pages())
    print_counts(small, large, args.contracts)
    if args.verify_audit:
        t = time.perf_counter()
        call_command("verify_audit")
        print(f"verify_audit: {time.perf_counter() - t:.0f} s")
    if small != large:
        differ = [key for key in small if small[key] != large[key]]
        sys.exit(
            f"QUERY COUNTS DIFFER between {FIRST} and {args.contracts:,} contracts: "
            + ", ".join(differ)
        )


# --- serve and load --------------------------------------------------------------------


def gunicorn_version() -> str:
    out = subprocess.run([str(GUNICORN), "--version"], capture_output=True, text=True, check=True)
    return out.stdout.strip() or out.stderr.strip()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """The project's gunicorn (deploy/gunicorn.conf.py) on a free port of 127.0.0.1."""

    def __init__(self, workers: int):
        self.port = free_port()
        self.log = VAR_DIR / "gunicorn.log"
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                [str(GUNICORN), "--config", str(ROOT / "deploy" / "gunicorn.conf.py")],
                env={
                    **os.environ,
                    **SERVER_ENV,
                    "GUNICORN_WORKERS": str(workers),
                    "GUNICORN_BIND": f"127.0.0.1:{self.port}",
                },
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def url(self, page: Page) -> str:
        return f"http://127.0.0.1:{self.port}{page.path}"

    def get(self, page: Page, headers: dict, timeout: float = 60) -> tuple[int, str]:
        request = urllib.request.Request(self.url(page), headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            return error.code, ""

    def wait_until_up(self, page: Page, headers: dict) -> None:
        for _ in range(150):
            if self.process.poll() is not None:
                break
            try:
                self.get(page, headers)
                return
            except OSError:
                time.sleep(0.2)
        sys.exit(f"gunicorn did not start; see {self.log}")

    def drain(self, page: Page, headers: dict, workers: int) -> None:
        """Wait for the requests a finished wrk run left queued (its clients are gone, the
        workers still answer them): a request sent now answers after them."""
        with ThreadPoolExecutor(2 * workers) as pool:
            list(pool.map(lambda _: self.get(page, headers, timeout=900), range(2 * workers)))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)  # workers finish their requests first
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


LUA = """
%(headers)s
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body) if status ~= 200 then bad = bad + 1 end end
function done(summary, latency, requests)
  local nbad = 0
  for _, t in ipairs(threads) do nbad = nbad + t:get("bad") end
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(95),
    nbad, e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass
class Load:
    requests: int
    rps: float
    p50: float  # ms
    p95: float
    bad: int  # answers other than 200, and socket errors
    load_average: float  # 1 minute, when the run began


def wrk(url: str, headers: dict, seconds: int) -> Load:
    lines = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items())
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % {"headers": lines})
    load = os.getloadavg()[0]
    try:
        out = subprocess.run(
            [
                "wrk",
                f"-t{THREADS}",
                f"-c{CONNECTIONS}",
                f"-d{seconds}s",
                "--timeout",
                "30s",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        ).stdout
    finally:
        os.unlink(script.name)
    line = next(x for x in out.splitlines() if x.startswith("RESULT"))
    requests, duration, p50, p95, bad, errors = map(int, line.split()[1:])
    rps = requests / max(duration / 1e6, 1e-6)
    return Load(requests, rps, p50 / 1000, p95 / 1000, bad + errors, load)


def request_headers(all_pages: list[Page]) -> dict[str, dict]:
    """Each page's headers for the server: its token, or a session cookie of its person."""
    sessions: dict[int, str] = {}
    headers = {}
    for page in all_pages:
        if page.headers:
            headers[page.key] = page.headers
            continue
        if page.who.pk not in sessions:
            sessions[page.who.pk] = page.client().cookies["sessionid"].value
        headers[page.key] = {"Cookie": f"sessionid={sessions[page.who.pk]}"}
    return headers


def print_run(label: str, r: Load) -> None:
    print(
        f"  {label:<46} median {r.p50:7.1f} ms  p95 {r.p95:7.1f} ms  {r.rps:6.1f} req/s  "
        f"({r.requests} requests, {r.bad} not 200)",
        flush=True,
    )


def load_pages(
    server: Server, all_pages: list[Page], headers: dict, args
) -> list[tuple[Page, Load, Load]]:
    """Each page checked over HTTP, warmed up, then loaded right after the bare view."""
    bare, rest = all_pages[0], all_pages[1:]

    def run(page: Page, seconds: int) -> Load:
        result = wrk(server.url(page), headers[page.key], seconds)
        server.drain(bare, headers[bare.key], args.workers)
        return result

    for page in all_pages:
        status, body = server.get(page, headers[page.key])
        check_answer(page, status, body)
        run(page, args.warmup)
    results = []
    for page in rest:
        before = run(bare, args.seconds)
        print_run(bare.label, before)
        measured = run(page, args.seconds)
        print_run(page.label, measured)
        results.append((page, measured, before))
    return results


def print_table(results, costs: dict[str, Cost]) -> None:
    print(
        "\n| page | median ÷ bare | median | p95 | req/s | bare just before: median, req/s "
        "| one at a time: total (SQL), queries | load average (1 min) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    bare_cost = costs["bare"]
    print(
        f"| bare view | 1 | | | | | {bare_cost.total_ms:.1f} ms ({bare_cost.sql_ms:.1f} ms),"
        f" {bare_cost.queries} | |"
    )
    for page, r, b in results:
        c = costs[page.key]
        ratio = f"{r.p50 / b.p50:.1f}" if r.requests and b.requests else "—"
        print(
            f"| {page.label} | {ratio} | {r.p50:,.0f} ms | {r.p95:,.0f} ms | "
            f"{r.rps:,.1f} | {b.p50:.0f} ms, {b.rps:,.0f} | {c.total_ms:,.1f} ms "
            f"({c.sql_ms:,.1f} ms), {c.queries} | {r.load_average:.1f} |"
        )


def chosen_pages(keys: str | None) -> list[Page]:
    """Every page, or those of `keys` (comma-separated), the bare view first either way."""
    every = pages()
    if not keys:
        return every
    wanted = {key.strip() for key in keys.split(",")} - {"bare"}
    unknown = wanted - {page.key for page in every}
    if unknown:
        sys.exit(f"--pages: no page {', '.join(sorted(unknown))}; the pages: "
                 + ", ".join(page.key for page in every))
    return [page for page in every if page.key == "bare" or page.key in wanted]


def measure(args) -> None:
    if not GUNICORN.exists():
        sys.exit(f"{GUNICORN} is missing: `make install` installs the project's gunicorn")
    collect_static()
    all_pages = chosen_pages(args.pages)
    costs = one_at_a_time(all_pages, args.samples)
    headers = request_headers(all_pages)
    connection.close()
    server = Server(args.workers)
    try:
        server.wait_until_up(all_pages[0], headers["bare"])
        print(
            f"\n{gunicorn_version()}, {args.workers} sync workers, DEBUG off, persistent DB "
            f"connections, PostgreSQL JIT off (settings.py); wrk -t{THREADS} "
            f"-c{CONNECTIONS} -d{args.seconds}s after {args.warmup} s of warm-up, each page "
            "right after the bare view"
        )
        results = load_pages(server, all_pages, headers, args)
    finally:
        server.stop()
    print_table(results, costs)
    if any(r.bad or b.bad for _, r, b in results):
        sys.exit("Some answers were not 200: the figures above do not count.")


def profile_page(key: str) -> None:
    chosen = [page for page in pages() if page.key == key]
    if not chosen:
        sys.exit(
            f"--profile: no page {key!r}; the pages: " + ", ".join(page.key for page in pages())
        )
    profile(chosen[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["build", "explain", "measure", "all", "profile"])
    parser.add_argument(
        "--contracts",
        type=int,
        default=10_000,
        help="contracts in the data set (users, audit records, CORs and "
        f"organizations scale with it; more than {FIRST})",
    )
    parser.add_argument("--seconds", type=int, default=20, help="wrk's run per page")
    parser.add_argument("--warmup", type=int, default=5, help="wrk's warm-up per page")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn workers")
    parser.add_argument(
        "--samples", type=int, default=15, help="requests per page one at a time (the median)"
    )
    parser.add_argument(
        "--profile",
        metavar="PAGE",
        help="print a cProfile of one request of this page (top 25 by "
        "cumulative time): bare, team-home, list-cor, api, ...",
    )
    parser.add_argument(
        "--pages",
        metavar="KEYS",
        help="measure only these pages (comma-separated keys), each after the bare view",
    )
    parser.add_argument(
        "--verify-audit",
        action="store_true",
        help="run manage.py verify_audit over the built audit record",
    )
    args = parser.parse_args()
    if args.what == "profile" and not args.profile:
        parser.error("profile needs --profile PAGE")
    if args.contracts <= FIRST:
        parser.error(f"--contracts must be more than {FIRST}")
    try:
        if args.what in ("build", "all"):
            build(args)
        if args.what == "explain":  # the pages of the database as it is: no rebuild
            print(f"SQL queries per page at {Contract.objects.count():,} contracts:")
            count_queries(pages())
        if args.profile:
            profile_page(args.profile)
        if args.what in ("measure", "all"):
            measure(args)
    except PageBroken as broken:
        sys.exit(f"PAGE BROKEN: {broken}")


if __name__ == "__main__":
    main()
