import datetime

import pytest
from django.core.cache import cache
from django.db.models import F
from django.test import override_settings
from django.utils import timezone

from muster.accounts.models import ContractRole, TeamRole
from muster.catalog.context_processors import forget_footer_contacts

from .factories import (
    TODAY,
    UserFactory,
    give_role,
    make_contract,
    request_service,
    team_member,
)
from .smtp import smtp  # noqa: F401 (a fixture: a real SMTP server delivery sends to)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Mark the PostgreSQL test database disposable: its audit tables refuse TRUNCATE
    otherwise (audit migration 0005), and transactional tests reset every table with one
    (Django's flush). Set on the database, so every later connection has it (the live
    server's too), and on the connection already open. Session-scoped, so each xdist worker
    marks its own database (test_<name>_gw0, _gw1, ...)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            name = connection.ops.quote_name(connection.settings_dict["NAME"])
            cursor.execute(f"ALTER DATABASE {name} SET muster.disposable_database = 'on'")
            cursor.execute("SET muster.disposable_database = 'on'")


@pytest.fixture(scope="session", autouse=True)
def _own_redis_database():
    """TASK_BACKEND=rq: this xdist worker's own Redis database (tests/workers.py)."""
    from django.conf import settings

    from .workers import on_rq, own_redis_url

    if not on_rq():
        yield
        return
    queue = {**settings.RQ_QUEUES["default"], "URL": own_redis_url()}
    with override_settings(RQ_QUEUES={"default": queue}):
        yield


@pytest.fixture(autouse=True)
def _no_tasks_left_from_another_test():
    """The database's task rows roll back with each test; Redis keeps what it is given."""
    from .workers import on_rq, redis

    if on_rq():
        redis().flushdb()
    yield


@pytest.fixture
def enqueued():
    """Every task run enqueued during the test (its TaskResult), whatever the backend."""
    from django.tasks.signals import task_enqueued

    results = []

    def record(sender, task_result, **kwargs):
        results.append(task_result)

    task_enqueued.connect(record, dispatch_uid="tests.enqueued")
    yield results
    task_enqueued.disconnect(dispatch_uid="tests.enqueued")


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """django-allauth counts requests per IP in the cache: each test starts from none. In
    this process the cache is the process's own (tests without the database use it too);
    Muster's servers share theirs (tests/operations/test_shared_cache.py)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    # The footer's contacts, kept a minute in this process, may be another test's rolled
    # back rows.
    forget_footer_contacts()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _second_factor_only_where_a_test_asks(settings):
    """The second factor is required by default outside the demo; tests that are not about
    it sign people in without one."""
    settings.MFA_REQUIRED = False


@pytest.fixture(autouse=True)
def _accounts_never_unused_where_a_test_does_not_ask(settings):
    """Tests move the clock by months and their people never sign in: the sweep would
    disable every account as unused (ACCOUNT_UNUSED_DAYS). Tests about it set it back."""
    settings.ACCOUNT_UNUSED_DAYS = 100 * 365


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing is slow on purpose; tests check behaviour, not the hash's cost.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _media_outside_the_project(tmp_path_factory):
    """Files written outside a test's own settings (a class- or module-scoped fixture, such
    as tests/test_demo.py's load_demo) go to this run's temporary folder (each xdist
    worker's own), never to the project's var/media."""
    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        yield


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Uploads and generated PDFs go to a per-test folder, never into the project.
    settings.MEDIA_ROOT = tmp_path / "media"


DATABASE_FIXTURES = {"db", "transactional_db", "live_server"}


@pytest.fixture
def freeze_today(request, time_machine):
    """Freeze time at noon UTC: call freeze_today(date) (default 2026-11-24), again to move.

    time-machine stops the clock itself (docs/adr/0003-time-machine.md), so clock.now(), model
    defaults, Django's own timestamps and the live server's thread all read the same moment.
    It stands still (tick=False), as the former patch of clock.now did; time-machine leaves
    time.monotonic alone, so timeouts and the SMTP server's event loop still run."""
    uses_database = bool(request.node.get_closest_marker("django_db")
                         or DATABASE_FIXTURES & set(request.fixturenames))

    def freeze(day: datetime.date = TODAY):
        moment = datetime.datetime.combine(day, datetime.time(12, 0), tzinfo=datetime.UTC)
        jump = moment - timezone.now()
        time_machine.move_to(moment, tick=False)
        if uses_database:
            _carry_sessions(jump)
        return day

    return freeze


def _carry_sessions(jump: datetime.timedelta):
    # Whoever is signed in travels too, with the same time left: Django checks a session's
    # expiry against the now time-machine moved (the former patch never reached it), and
    # Muster its idle and absolute limits against the times kept in the session's data.
    from muster.identity.models import Session
    from muster.identity.sessions import carry

    Session.objects.update(expire_date=F("expire_date") + jump)
    carry(jump)


@pytest.fixture
def people(db):
    """One person per role around two contracts: `mine` and `other`.

    mine: COR, POC, SO, SPOC and a contractor user; requests SAS Viya.
    other: another COR's contract; requests Confluence.
    Team: onboarding team, team lead, administrator, a SAS Viya lead, a Confluence lead,
    and an outsider with no role at all.
    """
    mine = make_contract(name="Mine", pop_start=datetime.date(2026, 12, 1),
                         pop_end=datetime.date(2027, 11, 30))
    other = make_contract(name="Other")
    request_service(mine, "sas-viya")
    request_service(other, "confluence")
    p = {
        "cor": UserFactory(full_name="Cora COR"),
        "poc": UserFactory(full_name="Pat POC"),
        "so": UserFactory(full_name="Sol SO"),
        "spoc": UserFactory(full_name="Spike SPOC"),
        "contractor_user": UserFactory(full_name="Cody User"),
        "other_cor": UserFactory(full_name="Olga Other"),
        "onboarding_team": team_member(TeamRole.Role.ONBOARDING_TEAM),
        "team_lead": team_member(TeamRole.Role.TEAM_LEAD),
        "administrator": team_member(TeamRole.Role.ADMINISTRATOR),
        "sas_lead": team_member(
            TeamRole.Role.SERVICE_LEAD, service=mine.services.get().service
        ),
        "confluence_lead": team_member(
            TeamRole.Role.SERVICE_LEAD, service=other.services.get().service
        ),
        "outsider": UserFactory(full_name="Otto Outsider"),
    }
    for role in ContractRole.Role.values:
        give_role(p[role], mine, role)
    give_role(p["other_cor"], other, ContractRole.Role.COR)
    p["mine"], p["other"] = mine, other
    return p
