"""/metrics as Prometheus scrapes it: behind a bearer token, request latency by view (never
a raw path), and Muster's gauges read from the database in a fixed number of queries."""

import datetime

import pytest
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from muster import clock
from muster.closeout.models import SweepRun
from muster.contracts.models import DataUseAgreement, Stage
from muster.contracts.queries import OPEN_STAGES
from muster.notifications import heartbeat
from muster.notifications import services as mail
from muster.notifications.models import OutboxEmail
from muster.timeline.models import ContractStep, StepState
from tests.factories import make_contract, signed_in

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 11, 24, 14, 0, tzinfo=datetime.UTC)
TOKEN = "metrics-token-" + "x" * 30
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(autouse=True)
def token(settings):
    settings.METRICS_TOKEN = TOKEN


def scrape(client) -> dict:
    """{(name, labels as a sorted tuple): value} of one scrape."""
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


def test_without_a_token_configured_there_is_no_metrics_page(client, settings):
    settings.METRICS_TOKEN = ""

    response = client.get("/metrics", headers=AUTH)

    assert response.status_code == 404
    assert "<h1" in response.content.decode()  # the site's own page


@pytest.mark.parametrize("authorization", [
    None, "", "Bearer", "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x",
    f"Bearer {TOKEN[:-1]}",
])
def test_a_scraper_without_the_right_token_is_refused(client, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}

    response = client.get("/metrics", headers=headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"muster_" not in response.content


def test_request_latency_is_counted_by_view_never_by_path(client, people):
    before = scrape(client)
    client.get("/healthz")
    client.get("/healthz")
    client.head("/healthz")
    signed_in(client, people["cor"])
    client.get(reverse("contracts:detail", args=[999_999]))  # not found
    client.get("/no/such/page/12345/")
    client.logout()
    after = scrape(client)

    def more(view, method, status):
        key = "muster_http_request_duration_seconds_count"
        labels = {"view": view, "method": method, "status": status}
        return (value(after, key, **labels) or 0) - (value(before, key, **labels) or 0)

    assert more("healthz", "GET", "2xx") == 2
    assert more("healthz", "HEAD", "2xx") == 1
    assert more("contracts:detail", "GET", "4xx") == 1
    assert more("unmatched", "GET", "4xx") == 1
    assert more("metrics", "GET", "2xx") == 1  # the first scrape
    assert value(after, "muster_http_request_duration_seconds_bucket", view="healthz",
                 method="GET", status="2xx", le="+Inf") is not None
    for name, labels in after:
        for _, label in labels:
            assert "/" not in label and "999999" not in label, (name, labels)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


def dua(contract, days, **fields):
    return DataUseAgreement.objects.create(
        contract=contract, number=f"DUA-{contract.pk}-{days}", document="dua.pdf",
        expiry_date=clock.today() + datetime.timedelta(days=days), **fields)


def test_musters_gauges_say_what_needs_attention(client, now, people):
    today = clock.today()
    mail.queue_rendered("note", subject="Old", body="x", to="a@example.gov", key="old")
    now.shift(datetime.timedelta(seconds=600))
    mail.queue_rendered("note", subject="New", body="x", to="b@example.gov", key="new")
    gave_up = mail.queue_rendered("note", subject="Lost", body="x", to="c@example.gov",
                                  key="lost")
    OutboxEmail.objects.filter(pk=gave_up.pk).update(status=OutboxEmail.Status.FAILED)
    expiring, renewed, later, lapsed, struck = (
        make_contract(name=f"D{i}", stage=Stage.ACTIVE) for i in range(5))
    dua(expiring, 10)  # counted
    dua(renewed, 10), dua(renewed, 200)  # a valid one lasts longer
    dua(later, 45)
    dua(lapsed, -3)
    dua(struck, 5, invalidated_at=clock.now())
    started = clock.now() - datetime.timedelta(hours=2)
    SweepRun.objects.create(day=today, started_at=started,
                            finished_at=started + datetime.timedelta(seconds=93.5))
    heartbeat.beat("worker-1", "database")
    now.shift(datetime.timedelta(seconds=42))
    # Open steps due before today on open contracts, as each step's state says.
    overdue = sum(1 for step in ContractStep.objects.select_related("contract")
                  if step.contract.stage in OPEN_STAGES
                  and step.state(clock.today()) == StepState.OVERDUE)
    assert overdue > 0

    samples = scrape(client)

    assert value(samples, "muster_database_up") == 1
    assert value(samples, "muster_emails_pending") == 2
    assert value(samples, "muster_emails_failed") == 1
    assert value(samples, "muster_emails_oldest_pending_seconds") == 642
    assert value(samples, "muster_steps_overdue") == overdue
    assert value(samples, "muster_sweep_last_duration_seconds") == 93.5
    assert value(samples, "muster_sweep_last_finished_timestamp_seconds") == (
        started + datetime.timedelta(seconds=93.5)).timestamp()
    assert value(samples, "muster_duas_expiring_soon") == 1
    assert value(samples, "muster_worker_last_seen_seconds") == 42


def test_on_a_new_site_the_gauges_say_nothing_happened_yet(client):
    samples = scrape(client)

    assert value(samples, "muster_emails_pending") == 0
    assert value(samples, "muster_sweep_last_finished_timestamp_seconds") == 0
    assert value(samples, "muster_sweep_last_duration_seconds") is None
    assert value(samples, "muster_worker_last_seen_seconds") is None


def test_a_scrape_costs_five_queries_however_large_the_site(client, people,
                                                           django_assert_num_queries):
    for i in range(30):
        mail.queue_rendered("note", subject="S", body="x", to=f"p{i}@example.gov", key=f"k{i}")
        dua(make_contract(name=f"Big {i}", stage=Stage.ACTIVE), i)

    with django_assert_num_queries(5):
        client.get("/metrics", headers=AUTH)


def test_a_scrape_changes_nothing(client, now):
    heartbeat.beat("worker-1", "database")
    seen = heartbeat.last_seen()
    scrape(client)
    assert heartbeat.last_seen() == seen
    assert not OutboxEmail.objects.exists() and not SweepRun.objects.exists()
