"""Muster scaled out: the browser walk of a contract's life (tests/e2e/test_contract_life.py,
reused as it is) through HAProxy, round robin over two gunicorn instances in production
settings, with two background workers racing for the emails and the daily sweep, all on one
PostgreSQL database (the test database this process created and committed to).

What it proves:
- sessions hold across instances: every person's pages were answered by both instances,
  and nobody was asked to sign in twice (sessions live in the database, no sticky sessions);
- every email the walk caused reached the SMTP server exactly once (by Message-ID), and
  every outbox row is sent, with two workers and this process delivering at once;
- the daily sweep ran once for the day the workers started, though both scheduled it;
- the balancer's headers reach Muster: X-Forwarded-For names the person's address (the
  sign-in limits count it, not the balancer's), X-Forwarded-Proto says http;
- the audit record's hash chain holds with every process writing to it.

The walk freezes "today" and moves it by months: the processes follow the test's clock
through a file (tests/scaleout/frozen_clock.py); the clock moves only while no task runs
and no email is being sent.
"""

import datetime
import email
import os
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.management import call_command
from django.db import connection
from django.db.models import Q
from playwright.sync_api import expect

from . import conftest
from .topology import HAPROXY, HOW_TO_GET_HAPROXY, INSTANCES, SERVED_BY, Ports, Topology

if not conftest.asked():
    pytest.skip(conftest.HOW_TO_RUN, allow_module_level=True)

# Imported only when asked: the browser tests' conftest sets DJANGO_ALLOW_ASYNC_UNSAFE.
from django_tasks_db.models import DBTaskResult, get_date_max  # noqa: E402

from muster.accounts.models import LoginFailure  # noqa: E402
from muster.closeout.models import SweepRun  # noqa: E402
from muster.closeout.tasks import daily_sweep  # noqa: E402
from muster.notifications.models import OutboxEmail  # noqa: E402
from tests.e2e import test_contract_life as contract_life  # noqa: E402

# Fixtures of the browser tests, used here as they are.
from tests.e2e.conftest import Axe, Browsing, browser  # noqa: E402, F401
from tests.e2e.test_contract_life import cast  # noqa: E402, F401
from tests.factories import TODAY  # noqa: E402

pytestmark = [
    pytest.mark.scaleout,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PORTS = Ports.from_base(int(os.environ.get("MUSTER_SCALEOUT_PORT", "8750")))
SMTP_PORT = PORTS.stats + 1
IDLE_SECONDS = 60
PERSON_ADDRESS, BALANCER_ADDRESS = "127.0.0.1", "127.0.0.2"
PAGES = {"document", "fetch", "xhr"}  # what a person asks for (static files aside)


def noon(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12, 0), tzinfo=datetime.UTC)


class FewIterations(PBKDF2PasswordHasher):
    """The cast's passwords, hashed quickly here yet in the form production reads
    (pbkdf2_sha256): an instance upgrades each hash to its full cost at sign-in."""

    iterations = 1000


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Replaces the suite's MD5 hasher, which the instances (production settings) refuse.
    settings.PASSWORD_HASHERS = [f"{__name__}.FewIterations"]


class MessageIds:
    """An SMTP handler that counts the Message-ID of every message it accepts."""

    def __init__(self):
        self.received: Counter = Counter()

    async def handle_DATA(self, server, session, envelope):
        self.received[email.message_from_bytes(envelope.content)["Message-ID"]] += 1
        return "250 Message accepted for delivery"


@dataclass
class Site:
    topology: Topology
    mail: MessageIds
    clock_file: Path

    def worker_pids(self) -> set[int]:
        return {p.popen.pid for p in self.topology.processes if p.name.startswith("worker")}

    def now(self) -> datetime.datetime:
        """The site's moment (the clock file)."""
        return datetime.datetime.fromisoformat(self.clock_file.read_text())

    def wait_until_idle(self) -> None:
        """No task running or due, no email being sent or due, at the site's moment."""
        deadline = time.monotonic() + IDLE_SECONDS
        while time.monotonic() < deadline:
            now = self.now()
            busy = (
                DBTaskResult.objects.filter(status="RUNNING").exists()
                or DBTaskResult.objects.filter(status="READY").filter(
                    Q(run_after=get_date_max()) | Q(run_after__lte=now)).exists()
                or OutboxEmail.objects.filter(
                    Q(status=OutboxEmail.Status.SENDING)
                    | Q(status=OutboxEmail.Status.PENDING, next_attempt_at__lte=now)
                ).exists()
            )
            if not busy:
                return
            time.sleep(0.05)
        pytest.fail(f"the workers were still busy after {IDLE_SECONDS}s")

    def move_clock(self, moment: datetime.datetime) -> None:
        """Every process to `moment`: the instances read it per request; wait for the
        workers to say they have moved."""
        from .frozen_clock import acknowledged, write

        write(self.clock_file, moment)
        deadline = time.monotonic() + 10
        while not self.worker_pids() <= acknowledged(self.clock_file, moment):
            assert time.monotonic() < deadline, "the workers did not follow the clock"
            time.sleep(0.01)


def _database_url() -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return (f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:"
            f"{s['PORT'] or 5432}/{s['NAME']}")


@pytest.fixture
def site(transactional_db, settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the scale-out proof needs PostgreSQL (DATABASE_URL=postgres://...): "
                    "every process shares the test database")
    if not os.path.exists(HAPROXY):
        pytest.fail(HOW_TO_GET_HAPROXY)
    from .frozen_clock import write

    mail = MessageIds()
    smtp = Controller(mail, hostname="127.0.0.1", port=SMTP_PORT)
    smtp.start()
    clock_file = tmp_path / "clock"
    write(clock_file, noon(TODAY))
    topology = Topology(
        database_url=_database_url(), email_host="127.0.0.1", email_port=SMTP_PORT,
        workdir=tmp_path / "site", ports=PORTS, clock_file=clock_file,
        env={
            # As the browser tests run: passwords only (the second factor has tests of
            # its own), and people who never sign in for months stay enabled.
            "MUSTER_MFA_REQUIRED": "0",
            "ACCOUNT_UNUSED_DAYS": str(settings.ACCOUNT_UNUSED_DAYS),
        },
    )
    # This process is one more of the site's processes (the walk calls the sweep, which
    # delivers email): the same keys, mail server, files and links.
    settings.SECRET_KEY = topology.secret_key
    settings.AUDIT_CHECKPOINT_KEY = topology.audit_checkpoint_key
    settings.MEDIA_ROOT = topology.media_root
    settings.MUSTER_BASE_URL = topology.url
    settings.MAILERS = {"default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": SMTP_PORT, "timeout": 30},
    }}
    try:
        topology.start()
        conftest.FIGURES["topology started in"] = f"{topology.started_in:.1f}s"
        running = Site(topology, mail, clock_file)
        # Both workers past schedule_sweep and working (they follow the clock), and the
        # sweep they queued done.
        running.move_clock(noon(TODAY))
        running.wait_until_idle()
        yield running
    finally:
        topology.stop()
        smtp.stop()


@pytest.fixture
def freeze_today(freeze_today, site):
    """The suite's freeze_today, followed by every process of the site."""

    def freeze(day: datetime.date = TODAY) -> datetime.date:
        site.wait_until_idle()
        freeze_today(day)
        site.move_clock(noon(day))
        return day

    return freeze


@dataclass
class Seen:
    person: int  # the browser context: one per person
    method: str
    path: str
    status: int
    location: str
    served_by: str
    kind: str  # Playwright's resource type: document, fetch, xhr, stylesheet, ...


class ThroughTheBalancer(Browsing):
    """The browser tests' Browsing, at the balancer's URL, noting who answered what."""

    def __init__(self, chromium, url, axe):
        super().__init__(chromium, SimpleNamespace(url=url), axe)
        self.seen: list[Seen] = []

    def new_page(self, *, javascript: bool = True):
        page = super().new_page(javascript=javascript)
        person = len(self.contexts) - 1

        def note(response):
            request = response.request
            self.seen.append(Seen(
                person, request.method, urlsplit(response.url).path, response.status,
                response.headers.get("location", ""),
                response.headers.get(SERVED_BY.lower(), ""), request.resource_type,
            ))

        page.on("response", note)
        return page


def test_a_contract_life_through_two_instances(site, browser, cast, freeze_today,  # noqa: F811
                                               monkeypatch, settings):
    axe = Axe()
    browsing = ThroughTheBalancer(browser, site.topology.url, axe)
    monkeypatch.setattr(contract_life, "shoot", lambda *args, **kwargs: None)  # docs' own
    started = time.perf_counter()
    try:
        contract_life.test_a_contract_from_solicitation_to_closed(
            browsing, axe, cast, freeze_today)
        walked = time.perf_counter() - started
        site.wait_until_idle()
        served = site.topology.requests_served()
        conftest.FIGURES.update({
            "walk through the balancer": f"{walked:.1f}s",
            "load average (1 min) after the walk": f"{os.getloadavg()[0]:.1f}",
            "requests per instance (health checks aside)": ", ".join(
                f"{name} {served[name]}" for name in INSTANCES),
        })

        both_instances_served(site, browsing)
        sessions_held_across_instances(browsing)
        every_email_sent_once(site, settings)
        call_command("verify_audit")  # the audit record's chain holds
        the_person_address_reaches_muster(site, browsing)
        the_daily_sweep_ran_once()
    finally:
        browsing.close()


def both_instances_served(site, browsing):
    served = site.topology.requests_served()
    answered = Counter(seen.served_by for seen in browsing.seen if seen.served_by
                       and seen.kind in PAGES and not seen.path.startswith("/static/"))
    conftest.FIGURES["pages and htmx answers per instance"] = ", ".join(
        f"{name} {answered[name]}" for name in INSTANCES)
    assert set(answered) == set(INSTANCES), answered
    assert all(served[name] > 0 for name in INSTANCES), served


def sessions_held_across_instances(browsing):
    """Each person signed in once, on one instance, and then both instances answered
    their pages; no page sent them back to the sign-in page."""
    people = sorted({seen.person for seen in browsing.seen})
    assert len(people) == 7  # the COR, POC, team, team lead, two service leads, the SO
    for person in people:
        mine = [seen for seen in browsing.seen if seen.person == person]
        sign_in_pages = [s for s in mine if s.kind == "document" and s.method == "GET"
                         and s.path == "/accounts/login/"]
        assert len(sign_in_pages) == 1, f"person {person} was asked to sign in again"
        signed_in = next(i for i, s in enumerate(mine) if s.method == "POST"
                         and s.path == "/accounts/login/" and s.status == 302)
        pages = [s for s in mine[signed_in + 1:] if s.kind in PAGES
                 and not s.path.startswith("/static/")]
        # Forms with errors answer 400; refused (401, 403) or broken (5xx): never.
        assert pages and [s for s in pages if s.status in {401, 403} or s.status >= 500] == []
        assert not any("/accounts/login/" in s.location for s in pages), pages
        if {s.served_by for s in pages} == set(INSTANCES):
            continue
        # Round robin counts every request, static files included, so one person's few pages
        # may all have come from one instance (a service lead's did, once the walk grew in
        # issue 14). Then two requests in a row with their cookies, on the idle site, go one
        # to each instance: both must know the session.
        answers = [browsing.contexts[person].request.get(browsing.url("/"), max_redirects=0)
                   for _ in INSTANCES]
        assert [answer.status for answer in answers] == [200] * len(INSTANCES), (
            person, [answer.headers.get("location") for answer in answers])
        assert {answer.headers.get(SERVED_BY.lower()) for answer in answers} == set(INSTANCES), (
            f"person {person}: {Counter(s.served_by for s in pages)} in the walk")


def every_email_sent_once(site, settings):
    """Every outbox row sent, and the SMTP server got each Message-ID exactly once, with
    two workers (and this process's sweeps) delivering at once."""
    emails = list(OutboxEmail.objects.order_by("pk"))
    deliveries = DBTaskResult.objects.filter(
        task_path="muster.notifications.tasks.deliver_outbox", status="SUCCESSFUL")
    by_worker = Counter(w for ids in deliveries.values_list("worker_ids", flat=True)
                        for w in ids)
    conftest.FIGURES["emails sent"] = str(len(emails))
    conftest.FIGURES["delivery runs per worker"] = ", ".join(map(str, by_worker.values()))
    assert len(emails) >= 10
    assert Counter(e.status for e in emails) == {OutboxEmail.Status.SENT: len(emails)}
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2]
    assert set(site.mail.received) == {f"<muster-{e.pk}@{domain}>" for e in emails}
    assert [m for m, n in site.mail.received.items() if n > 1] == []


def the_person_address_reaches_muster(site, browsing):
    """The balancer's headers: each instance heard from the balancer (127.0.0.2), for the
    person (X-Forwarded-For 127.0.0.1), over http (X-Forwarded-Proto); and a wrong password
    counts against the person's address, not the balancer's (which would lock everyone
    behind it out at once)."""
    for name in INSTANCES:
        for line in site.topology.access_log(name):
            assert line.startswith(f'{BALANCER_ADDRESS} "{PERSON_ADDRESS}" "http" '), line
    stranger = browsing.new_page()
    stranger.goto(browsing.url("/accounts/login/"))
    stranger.get_by_label("Email address").fill("nobody@agency.example")
    stranger.get_by_label("Password").fill("not-the-password")
    stranger.get_by_role("button", name="Sign in").click()
    expect(stranger.locator("#error-summary")).to_be_visible()
    assert list(LoginFailure.objects.values_list("ip_address", flat=True)) == [PERSON_ADDRESS]


def the_daily_sweep_ran_once():
    """Both workers ran schedule_sweep as they started: the first day was swept, and one
    next sweep waits (one schedule going on, not two)."""
    runs = SweepRun.objects.filter(day=TODAY).count()
    waiting = DBTaskResult.objects.filter(task_path=daily_sweep.module_path,
                                          status="READY").count()
    conftest.FIGURES["sweeps of the first day / next sweeps waiting"] = f"{runs} / {waiting}"
    assert waiting == 1
    # Whatever the two workers' timing (tests/closeout/test_sweep_workers.py forces the
    # race): one sweep of the first day.
    assert runs == 1
