"""The load benchmark's pages (tests/bench/bench_load.py), and what it learns of each in
process with Django's test client: its SQL queries, their plans, its cost one request at a
time, a profile of one request. Imported by bench_load.py once Django is set up.
"""

import cProfile
import datetime
import io
import json
import pstats
import re
import statistics
import sys
import time
from dataclasses import dataclass, field

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from muster import clock
from muster.accounts.models import ContractRole, TeamRole, User
from muster.api import tokens
from muster.api.models import ApiToken
from muster.contracts.models import Contract, Stage
from muster.onboarding.models import OnboardingRequest, Status

from .load_data import LARGE_ROSTER_NAME, ROSTER_LARGE

TOKEN_NAME = "load benchmark"
# Plans are judged from this size on: below it a sequential scan is the planner's right choice.
JUDGED_FROM = 1_000
# Plan nodes that scan the table a page is about (SQL time that grows with the database).
SCAN_NODES = ("Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan", "Bitmap Index Scan")


@dataclass
class Page:
    key: str  # for --profile
    label: str
    who: User
    path: str
    texts: tuple[str, ...]  # what the answer must hold: its own content, not a sign-in page
    bounded: bool = True  # shows a page of rows (≤ 50), not every row of something
    headers: dict = field(default_factory=dict)  # the API's token; else the session cookie

    def client(self) -> Client:
        client = Client(headers=self.headers)
        if not self.headers:
            client.force_login(self.who)
        return client


class PageBroken(Exception):
    """A page did not answer 200 with its own content."""


def api_token(user: User) -> str:
    """A fresh read-only token for `user` (the previous benchmark's are deleted: their
    secrets are gone)."""
    ApiToken.objects.filter(name=TOKEN_NAME, user=user).delete()
    _, raw = tokens.issue(
        created_by=user,
        name=TOKEN_NAME,
        scope=ApiToken.Scope.READ,
        expires_at=clock.now() + datetime.timedelta(days=300),
        user=user,
    )
    return raw


def pages() -> list[Page]:
    """The pages measured, the bare view first."""
    team = User.objects.filter(team_roles__role=TeamRole.Role.ONBOARDING_TEAM).order_by("id")[0]
    large = Contract.objects.get(name__endswith=LARGE_ROSTER_NAME)
    contract = Contract.objects.filter(stage=Stage.ACTIVE).exclude(pk=large.pk).order_by("id")[0]
    cor = contract.roles.get(role=ContractRole.Role.COR).user
    so = large.roles.get(role=ContractRole.Role.SO).user
    waiting = (
        OnboardingRequest.objects.filter(status=Status.SUBMITTED)
        .order_by("submitted_at", "pk")
        .select_related("contract")[0]
        .contract
    )
    bearer = {"Authorization": f"Bearer {api_token(team)}"}
    number = contract.contract_number
    return [
        Page("bare", "bare view (same middleware)", team, "/bench/bare/", ("ok",)),
        Page(
            "team-home",
            "home, onboarding team (My work)",
            team,
            "/",
            ("My work", "75FCMC"),
        ),
        Page("dashboard", "team's dashboard", team, "/work/dashboard/", ("Dashboard",)),
        Page("cor-home", "home, COR (their contracts)", cor, "/", (number,)),
        Page(
            "list",
            "contract list (team, first page of 25)",
            team,
            "/contracts/",
            ("Contracts", "75FCMC"),
        ),
        Page(
            "list-cor",
            "contract list, filtered by COR",
            team,
            f"/contracts/?cor={cor.pk}",
            (cor.full_name, "75FCMC"),
        ),
        Page(
            "list-overdue",
            "contract list, overdue only",
            team,
            "/contracts/?overdue=on",
            ("75FCMC",),
        ),
        Page(
            "list-search", "contract list, search", team, "/contracts/?q=Claims", ("Claims Review",)
        ),
        Page("contract", "contract page (team)", team, contract.get_absolute_url(), (number,)),
        Page(
            "contract-large",
            f"contract page, roster of {ROSTER_LARGE:,} (team)",
            team,
            large.get_absolute_url(),
            (large.contract_number,),
        ),
        Page(
            "review-queue",
            "review queue (every request in progress)",
            team,
            "/onboarding/queue/",
            ("Waiting for review", waiting.contract_number),
            bounded=False,
        ),
        Page(
            "roster",
            f"roster of {ROSTER_LARGE:,} users (SO, first page)",
            so,
            f"/access/contracts/{large.pk}/roster/",
            ("users on the roster", "User "),
        ),
        Page(
            "metrics",
            "metrics (last 12 months)",
            team,
            "/reports/metrics/",
            ("Metrics", "Cycle time of each step"),
            bounded=False,
        ),
        Page(
            "api",
            "API: contracts list (token, 50)",
            team,
            "/api/v1/contracts",
            ('"contract_number"',),
            headers=bearer,
        ),
    ]


def check_answer(page: Page, status: int, body: str) -> None:
    if status != 200:
        raise PageBroken(f"{page.label}: {page.path} answered {status}")
    missing = [text for text in page.texts if text not in body]
    if missing:
        raise PageBroken(f"{page.label}: {page.path} answered 200 without {missing!r}")


def get(client: Client, page: Page):
    response = client.get(page.path)
    check_answer(page, response.status_code, response.content.decode(errors="replace"))
    return response


# --- queries and their plans -----------------------------------------------------------


@dataclass
class Queries:
    count: int
    slowest: list[dict]  # the captured queries, slowest first


def page_queries(page: Page) -> Queries:
    client = page.client()
    get(client, page)  # warm: first-use caches (content types, templates)
    with CaptureQueriesContext(connection) as captured:
        get(client, page)
    slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))
    return Queries(len(captured), slowest)


def count_queries(all_pages: list[Page], explain: bool = True) -> dict[str, int]:
    """Each page's SQL queries (it must answer 200 with its content), and with `explain`
    the plan of its slowest query and a warning for each query that reads about as many
    rows as there are contracts."""
    contracts = Contract.objects.count()
    counts = {}
    for page in all_pages:
        found = page_queries(page)
        counts[page.key] = found.count
        print(
            f"  {page.label:<46} {found.count:3} queries; slowest "
            + ", ".join(f"{float(q['time']) * 1000:.1f} ms" for q in found.slowest[:3])
        )
        if explain and found.slowest:
            explain_page(page, found.slowest, contracts)
    return counts


# A queryset read with .iterator() (a ModelChoiceField's options) is a server-side cursor.
CURSOR = re.compile(
    r'^\s*DECLARE\s+"[^"]+"\s+.*?CURSOR\s+(?:WITH(?:OUT)?\s+HOLD\s+)?FOR\s+',
    re.DOTALL | re.IGNORECASE,
)


def readable(sql: str) -> str | None:
    """The statement to explain, or None: EXPLAIN ANALYZE runs it, so only reads are (a
    server-side cursor's query without its DECLARE; a UNION of parenthesized reads)."""
    sql = CURSOR.sub("", sql, count=1)
    return sql if sql.lstrip(" (").upper().startswith(("SELECT", "WITH")) else None


def explain_page(page: Page, queries: list[dict], contracts: int) -> None:
    slowest = queries[0]
    sql = readable(slowest["sql"])
    if sql:
        took = float(slowest["time"]) * 1000
        print(f"    slowest SQL ({took:.1f} ms):\n    {sql[:1500]}\n    plan:")
        for line in explain_text(sql):
            print("      " + line)
    if contracts < JUDGED_FROM:
        return
    found = []
    for n, query in enumerate(queries):
        sql = readable(query["sql"])
        if sql:
            found += [(n, query, node) for node in large_nodes(explain_plan(sql), contracts)]
    if found:
        kind = "WARNING" if page.bounded else "NOTE (the page shows every row)"
        print(
            f"    {kind}: {page.label}: {len(found)} plan node(s) read about as many rows as "
            f"the {contracts:,} contracts, or loop once per contract:"
        )
    for n, query, node in found:
        print(
            f"      - {node}; in query #{n + 1} by time ({float(query['time']) * 1000:.1f} "
            f"ms): …{where_part(query['sql'])}"
        )


def where_part(sql: str, size: int = 140) -> str:
    """The query from its first FROM: what it reads, not its long list of columns."""
    start = sql.find(" FROM ")
    return sql[start + 1 : start + 1 + size] if start >= 0 else sql[:size]


def explain_text(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return [r[0] for r in cursor.fetchall()]


def explain_plan(sql: str) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]


def large_nodes(node: dict, contracts: int) -> list[str]:
    """Plan nodes that read about as many rows as there are contracts, or more, or that
    loop about once per contract: SQL time that grows with the database, not the page."""
    found = []
    loops = node.get("Actual Loops", 1)
    removed = sum(
        node.get(k, 0)
        for k in (
            "Rows Removed by Filter",
            "Rows Removed by Join Filter",
            "Rows Removed by Index Recheck",
        )
    )
    read = (node.get("Actual Rows", 0) + removed) * loops
    scans = node["Node Type"] in SCAN_NODES
    if contracts >= 2 * 25 and ((scans and read >= contracts / 2) or loops >= contracts / 2):
        where = (f" on {node['Relation Name']}" if node.get("Relation Name") else "") + (
            f" using {node['Index Name']}" if node.get("Index Name") else ""
        )
        found.append(
            f"{node['Node Type']}{where}: {read:,} rows read in {loops:,} "
            f"loop{'s' if loops != 1 else ''}"
        )
    for child in node.get("Plans", []):
        found += large_nodes(child, contracts)
    return found


# --- cost one at a time, and a profile --------------------------------------------------


@dataclass
class Cost:
    total_ms: float
    sql_ms: float
    queries: int


def one_at_a_time(all_pages: list[Page], n: int = 15) -> dict[str, Cost]:
    """Each page's own cost, in this process, one request at a time: median wall time and
    the part of it spent waiting for SQL (CaptureQueriesContext)."""
    costs = {}
    for page in all_pages:
        client = page.client()
        get(client, page)
        walls, sqls = [], []
        for _ in range(n):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                client.get(page.path)
                walls.append((time.perf_counter() - started) * 1000)
            sqls.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
        costs[page.key] = Cost(statistics.median(walls), statistics.median(sqls), len(captured))
    return costs


def profile(page: Page, top: int = 25) -> None:
    """cProfile of one request of `page` (after a warm-up), by cumulative time."""
    client = page.client()
    get(client, page)
    profiler = cProfile.Profile()
    profiler.enable()
    get(client, page)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    print(f"\nProfile of one request: {page.label} ({page.path}), top {top} by cumulative time")
    sys.stdout.write(out.getvalue())
