"""/healthz and /readyz as a load balancer, an orchestrator or an operator meets them:
JSON, no sign-in, nothing personal, 503 saying which check failed."""

import datetime
import json

import pytest
from django.urls import reverse

from muster import clock
from muster.notifications import heartbeat
from muster.notifications import services as mail
from tests.factories import UserFactory, signed_in

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 11, 24, 14, 0, tzinfo=datetime.UTC)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


def test_healthz_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")
    assert response["X-Request-ID"]


def test_ready_when_migrated_and_a_worker_beat_recently(client, now):
    heartbeat.beat("worker-1", "database")
    now.shift(datetime.timedelta(seconds=120))

    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready" and body["failed"] == []
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["migrations"] == {"ok": True, "unapplied": 0}
    assert body["checks"]["worker"] == {"ok": True, "seconds_since_seen": 120, "limit": 300}


def test_not_ready_when_no_worker_was_ever_seen(client):
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failed"] == ["worker"]
    assert response.json()["checks"]["worker"]["seconds_since_seen"] is None


def test_not_ready_when_the_worker_was_last_seen_too_long_ago(client, now, settings):
    settings.READY_WORKER_SECONDS = 60
    heartbeat.beat("worker-1", "rq")
    now.shift(datetime.timedelta(seconds=61))

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failed"] == ["worker"]
    assert response.json()["checks"]["worker"]["seconds_since_seen"] == 61


def test_the_worker_can_be_left_out_of_readiness(client, settings):
    settings.READY_WORKER_SECONDS = 0

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["worker"] == {
        "ok": True, "seconds_since_seen": None, "checked": False}


def test_not_ready_while_a_migration_is_not_applied(client, settings, now):
    heartbeat.beat("worker-1", "database")
    settings.MIGRATION_MODULES = {"operations": "tests.operations.pending_migrations"}

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failed"] == ["migrations"]
    assert response.json()["checks"]["migrations"] == {"ok": False, "unapplied": 1}


def test_readiness_reports_how_long_the_oldest_email_has_waited(client, now):
    """Reported, not a failure: a backlog is an alert, not a reason to stop serving."""
    heartbeat.beat("worker-1", "database")
    mail.queue_rendered("note", subject="First", body="x", to="ann.lee@example.gov", key="a")
    now.shift(datetime.timedelta(seconds=30))
    mail.queue_rendered("note", subject="Second", body="x", to="bo.diaz@example.gov", key="b")
    now.shift(datetime.timedelta(seconds=15))

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["outbox"] == {"ok": True, "oldest_pending_seconds": 45}
    text = response.content.decode()
    assert "@" not in text and "First" not in text


def test_readiness_names_no_one_and_reads_only(client, now, django_assert_max_num_queries):
    heartbeat.beat("worker-7.example.internal", "database")
    with django_assert_max_num_queries(6):
        response = client.get("/readyz")

    assert "worker-7" not in response.content.decode()
    assert clock.now() == T0


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_need_no_sign_in_and_take_get_and_head_only(client, path):
    assert client.get(path).status_code in (200, 503)
    head = client.head(path)
    assert head.status_code in (200, 503) and head.content == b""

    refused = client.post(path)

    assert refused.status_code == 405
    assert refused["Allow"] == "GET, HEAD"
    assert "<h1" in refused.content.decode()  # the site's own 405 page


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_a_signed_in_person_who_owes_a_second_factor_is_not_redirected(client, path,
                                                                       settings):
    """The second-factor middleware sends such a person to enrol from every page; a probe
    sent with their cookie (a browser tab, a monitoring session) still gets its answer."""
    settings.MFA_REQUIRED = True
    signed_in(client, UserFactory(is_staff=True))

    assert client.get("/contracts/").status_code == 302
    response = client.get(path)

    assert response.status_code in (200, 503)
    json.loads(response.content)


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_no_redirect_to_https_for_probes_over_http(client, settings, path):
    settings.SECURE_SSL_REDIRECT = True
    settings.METRICS_TOKEN = "t" * 40

    assert client.get("/accounts/login/").status_code == 301  # the rest of the site does
    response = client.get(path, headers={"Authorization": "Bearer " + "t" * 40})

    assert response.status_code in (200, 503)


def test_the_urls_are_the_ones_probes_are_configured_with():
    assert (reverse("healthz"), reverse("readyz"), reverse("metrics")) == (
        "/healthz", "/readyz", "/metrics")


def test_a_probe_with_a_session_cookie_does_not_keep_the_session_alive(client, time_machine):
    """A monitoring tab polling /readyz must not hold an unattended session open."""
    person = UserFactory()
    time_machine.move_to(T0, tick=False)
    signed_in(client, person)
    assert client.get("/").status_code == 200
    for minutes in (10, 20, 29):
        time_machine.move_to(T0 + datetime.timedelta(minutes=minutes), tick=False)
        client.get("/readyz")
        client.get("/healthz")

    time_machine.move_to(T0 + datetime.timedelta(minutes=31), tick=False)

    assert client.get("/").status_code == 302  # idle for 31 minutes: signed out
