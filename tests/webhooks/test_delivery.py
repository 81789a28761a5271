"""Deliveries against a real HTTP receiver on 127.0.0.1: a change made through Muster's
own services queues one signed delivery in its transaction, the worker sends it, a failing
or unreachable receiver gets it later with backoff, and the team can send it again."""

import datetime
import json

import pytest
import time_machine
from django.db import transaction

from muster.access import grants
from muster.audit.models import AuditEvent
from muster.webhooks import sending
from muster.webhooks import services as webhooks
from muster.webhooks.models import Delivery
from muster.webhooks.signing import verify
from muster.webhooks.tasks import deliver_webhooks
from tests.workers import run_due_tasks

pytestmark = pytest.mark.django_db
START = datetime.datetime(2026, 11, 24, 15, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock_at_start():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def revoke(scene):
    return grants.revoke(scene["so"], scene["grant"])


def test_a_revoked_grant_reaches_the_receiver_signed_with_the_event(
        scene, receiver, endpoint_for):
    endpoint, secret = endpoint_for(receiver.url, "grant.revoked")

    revoke(scene)
    report = sending.deliver_due()

    assert report.delivered == 1
    [got] = receiver.requests
    delivery = Delivery.objects.get()
    assert got.path == "/hooks/"
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["Muster-Event"] == "grant.revoked"
    assert got.headers["Muster-Delivery"] == str(delivery.delivery_id)
    assert verify(secret, got.headers["Muster-Signature"], got.body)
    assert not verify("whsec_another", got.headers["Muster-Signature"], got.body)
    payload = got.json()
    contract, grant = scene["contract"], scene["grant"]
    assert payload == {
        "id": str(delivery.delivery_id),
        "type": "grant.revoked",
        "occurred_at": payload["occurred_at"],
        "contract": {"id": contract.pk, "number": "75FCMC26C0901", "name": "Alder Analytics"},
        "object": {"type": "access_grant", "id": grant.pk},
        "data": {"status": "revoked", "service": {"slug": "confluence", "name": "Confluence"},
                 "eua_job_code": grant.eua_job_code,
                 "user": {"email": "cody@alder.example.com", "harp_id": "CODY1234"}},
    }
    event = AuditEvent.objects.get(action="access.revoked")
    assert payload["occurred_at"] == event.at.isoformat().replace("+00:00", "Z")
    assert delivery.audit_event == event and delivery.payload == payload
    assert delivery.status == Delivery.Status.DELIVERED
    assert delivery.last_status_code == 200 and delivery.last_response_excerpt == "thanks"
    assert list(delivery.attempt_log.values_list("status_code", flat=True)) == [200]


def test_the_worker_sends_after_the_commit(scene, receiver, endpoint_for, enqueued,
                                           django_capture_on_commit_callbacks, monkeypatch):
    endpoint_for(receiver.url, "grant.revoked")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        revoke(scene)
        assert Delivery.objects.count() == 1  # queued in the change's transaction
        assert not enqueued  # but no run before the commit

    assert [r.task.name for r in enqueued].count("deliver_webhooks") == 1
    assert callbacks
    run_due_tasks(monkeypatch)  # the worker, in this process (either task backend)
    assert len(receiver.requests) == 1
    assert Delivery.objects.get().status == Delivery.Status.DELIVERED


def test_a_change_that_rolls_back_sends_nothing(scene, receiver, endpoint_for, enqueued,
                                                django_capture_on_commit_callbacks):
    endpoint_for(receiver.url, "grant.revoked")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), \
            transaction.atomic():
        revoke(scene)
        raise RuntimeError("something after the revocation failed")

    assert not Delivery.objects.exists()
    assert sending.deliver_due().delivered == 0
    assert receiver.requests == [] and enqueued == []


def test_an_endpoint_gets_only_the_event_types_it_chose_and_only_while_enabled(
        scene, receiver, endpoint_for):
    endpoint_for(receiver.url, "grant.active", "grant.paused")
    disabled, _ = endpoint_for(receiver.url, "grant.revoked")
    webhooks.set_active(scene["team"], disabled, False)

    revoke(scene)
    sending.deliver_due()

    assert not Delivery.objects.exists()
    assert receiver.requests == []


def test_each_subscribed_endpoint_gets_its_own_delivery_and_secret(
        scene, receiver, endpoint_for):
    first, first_secret = endpoint_for(receiver.url + "one", "grant.revoked")
    second, second_secret = endpoint_for(receiver.url + "two", "grant.revoked")

    revoke(scene)
    sending.deliver_due()

    by_path = {r.path: r for r in receiver.requests}
    assert set(by_path) == {"/hooks/one", "/hooks/two"}
    one, two = by_path["/hooks/one"], by_path["/hooks/two"]
    assert verify(first_secret, one.headers["Muster-Signature"], one.body)
    assert verify(second_secret, two.headers["Muster-Signature"], two.body)
    assert one.headers["Muster-Delivery"] != two.headers["Muster-Delivery"]


def test_a_receiver_answering_500_gets_it_again_with_backoff_then_it_is_delivered(
        scene, receiver, endpoint_for, clock_at_start):
    endpoint_for(receiver.url, "grant.revoked")
    receiver.status, receiver.reply = 500, "database is down"
    revoke(scene)

    assert sending.deliver_due().retrying == 1
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.last_status_code == 500
    assert delivery.last_response_excerpt == "database is down"
    assert delivery.next_attempt_at == START + datetime.timedelta(minutes=1)

    clock_at_start.shift(datetime.timedelta(seconds=59))
    sending.deliver_due()
    assert len(receiver.requests) == 1  # not due yet

    clock_at_start.shift(datetime.timedelta(seconds=1))
    sending.deliver_due()
    assert len(receiver.requests) == 2
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == START + datetime.timedelta(minutes=6)  # 1 + 5

    receiver.status = 200
    clock_at_start.shift(datetime.timedelta(minutes=5))
    assert sending.deliver_due().delivered == 1

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED and delivery.attempts == 3
    codes = list(delivery.attempt_log.order_by("at").values_list("status_code", flat=True))
    assert codes == [500, 500, 200]
    ids = {r.headers["Muster-Delivery"] for r in receiver.requests}
    assert ids == {str(delivery.delivery_id)}  # the same delivery, three times
    bodies = {r.body for r in receiver.requests}
    assert len(bodies) == 1
    stamps = [r.headers["Muster-Signature"].split(",")[0] for r in receiver.requests]
    assert len(set(stamps)) == 3  # each attempt signed at its own time


def test_a_receiver_that_is_down_gets_it_once_it_is_back(scene, receiver, endpoint_for,
                                                          clock_at_start):
    endpoint_for(receiver.url, "grant.revoked")
    receiver.stop()
    revoke(scene)

    assert sending.deliver_due().retrying == 1
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.last_status_code is None
    assert "refused" in delivery.last_error.lower()

    receiver.start()  # the same port
    clock_at_start.shift(datetime.timedelta(minutes=1))
    assert sending.deliver_due().delivered == 1

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED and delivery.attempts == 2
    attempts = list(delivery.attempt_log.order_by("at").values_list("status_code", "error"))
    assert attempts[0][0] is None and "refused" in attempts[0][1].lower()
    assert attempts[1] == (200, "")
    assert len(receiver.requests) == 1


def test_it_gives_up_after_the_last_attempt(scene, receiver, endpoint_for, clock_at_start):
    endpoint_for(receiver.url, "grant.revoked")
    receiver.status = 503
    revoke(scene)

    for _ in range(sending.MAX_ATTEMPTS + 2):
        sending.deliver_due()
        clock_at_start.shift(datetime.timedelta(hours=24))

    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.GAVE_UP
    assert delivery.attempts == sending.MAX_ATTEMPTS == 8
    assert len(receiver.requests) == sending.MAX_ATTEMPTS
    assert sending.next_retry_at() is None


def test_the_backoff_grows_to_a_day():
    waits = [sending.backoff(n) for n in range(1, sending.MAX_ATTEMPTS)]
    assert [w.total_seconds() / 60 for w in waits] == [1, 5, 30, 120, 360, 720, 1440]


def test_a_replay_sends_the_same_delivery_id_again_as_a_new_attempt(
        scene, receiver, endpoint_for, clock_at_start):
    endpoint_for(receiver.url, "grant.revoked")
    revoke(scene)
    sending.deliver_due()
    delivery = Delivery.objects.get()

    clock_at_start.shift(datetime.timedelta(hours=3))
    webhooks.replay(scene["team"], delivery)
    sending.deliver_due()

    first, again = receiver.requests
    assert first.headers["Muster-Delivery"] == again.headers["Muster-Delivery"] == str(
        delivery.delivery_id)
    assert first.body == again.body
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED
    assert delivery.attempt_log.count() == 2
    assert delivery.replayed_at == START + datetime.timedelta(hours=3)
    assert AuditEvent.objects.filter(action="webhooks.delivery_replayed",
                                     actor=scene["team"]).count() == 1


def test_a_given_up_delivery_can_be_replayed_with_a_fresh_count(
        scene, receiver, endpoint_for, clock_at_start):
    endpoint_for(receiver.url, "grant.revoked")
    receiver.status = 500
    revoke(scene)
    for _ in range(sending.MAX_ATTEMPTS):
        sending.deliver_due()
        clock_at_start.shift(datetime.timedelta(hours=24))
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.GAVE_UP

    receiver.status = 204
    webhooks.replay(scene["team"], delivery)
    sending.deliver_due()

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED and delivery.attempts == 1
    assert delivery.attempt_log.count() == sending.MAX_ATTEMPTS + 1


def test_one_dead_endpoint_does_not_hold_up_another(scene, receiver, endpoint_for):
    from .receiver import Receiver

    dead = Receiver().start()
    dead_url = dead.url
    dead.stop()
    endpoint_for(dead_url, "grant.revoked", description="Dead")
    endpoint_for(receiver.url, "grant.revoked", description="Alive")

    revoke(scene)
    report = sending.deliver_due()

    assert (report.delivered, report.retrying) == (1, 1)
    assert len(receiver.requests) == 1


def test_later_deliveries_to_a_failing_endpoint_wait_for_its_next_attempt(
        scene, receiver, endpoint_for, clock_at_start):
    endpoint_for(receiver.url, "grant.revoked", "grant.active")
    receiver.status = 500
    revoke(scene)
    grant = grants.grant(scene["so"], scene["contract"], scene["cody"], scene["service"])
    grants.confirm(scene["team"], grant)

    report = sending.deliver_due()

    assert len(receiver.requests) == 1  # one try at the failing endpoint per run
    assert report.retrying == 1
    waiting = Delivery.objects.exclude(attempts=1).get()
    assert waiting.attempts == 0
    assert waiting.next_attempt_at == START + datetime.timedelta(minutes=1)


def test_a_redirect_is_not_followed(scene, receiver, endpoint_for):
    endpoint_for(receiver.url, "grant.revoked")
    receiver.status = 302

    revoke(scene)
    sending.deliver_due()

    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED and delivery.last_status_code == 302
    assert [r.path for r in receiver.requests] == ["/hooks/"]


def test_the_response_excerpt_is_bounded(scene, receiver, endpoint_for):
    endpoint_for(receiver.url, "grant.revoked")
    receiver.status, receiver.reply = 400, "x" * 100_000

    revoke(scene)
    sending.deliver_due()

    delivery = Delivery.objects.get()
    assert delivery.last_status_code == 400
    assert len(delivery.last_response_excerpt) == 500


def test_the_delivery_task_reports_what_it_did(scene, receiver, endpoint_for):
    endpoint_for(receiver.url, "grant.revoked")
    revoke(scene)

    assert deliver_webhooks.call() == {"delivered": 1, "retrying": 0, "gave_up": 0}


def test_the_body_sent_is_the_payload_stored(scene, receiver, endpoint_for):
    endpoint_for(receiver.url, "grant.revoked")
    revoke(scene)
    sending.deliver_due()

    [got] = receiver.requests
    assert json.loads(got.body) == Delivery.objects.get().payload
    assert got.body == sending.body_bytes(Delivery.objects.get())


def test_production_does_not_send_to_a_plain_http_endpoint_saved_before(
        scene, receiver, endpoint_for, settings):
    endpoint_for(receiver.url, "grant.revoked")  # http://127.0.0.1: fine outside production
    settings.PRODUCTION = True

    revoke(scene)
    sending.deliver_due()

    delivery = Delivery.objects.get()
    assert receiver.requests == []
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.last_error.startswith("Not sent: Use an https:// address")


def test_a_failed_delivery_keeps_a_run_scheduled_for_its_retry(
        scene, receiver, endpoint_for, clock_at_start):
    from muster.notifications import schedule
    from muster.notifications.models import ScheduledRun

    endpoint_for(receiver.url, "grant.revoked")
    receiver.status = 500
    revoke(scene)

    deliver_webhooks.call()

    assert schedule.waiting(deliver_webhooks) is not None
    run = ScheduledRun.objects.get(task_path=deliver_webhooks.module_path)
    assert run.run_after == Delivery.objects.get().next_attempt_at == (
        START + datetime.timedelta(minutes=1))


def test_a_disabled_endpoints_delivery_is_not_replayed_and_waits_to_be_enabled(
        scene, receiver, endpoint_for):
    endpoint, _ = endpoint_for(receiver.url, "grant.revoked")
    revoke(scene)
    webhooks.set_active(scene["team"], endpoint, False)

    sending.deliver_due()
    assert receiver.requests == []  # waiting, not sent
    with pytest.raises(webhooks.WebhookError, match="enable it first"):
        webhooks.replay(scene["team"], Delivery.objects.get())

    webhooks.set_active(scene["team"], endpoint, True)
    sending.deliver_due()
    assert len(receiver.requests) == 1


def test_an_endpoint_deleted_while_its_delivery_was_sent_leaves_no_broken_row(
        scene, receiver, endpoint_for, monkeypatch):
    endpoint, _ = endpoint_for(receiver.url, "grant.revoked")
    revoke(scene)
    receiver.reply = "deleting"

    original = sending.post

    def post_then_delete(*args):
        answer = original(*args)
        webhooks.delete(scene["team"], endpoint)  # the team, while the answer came back
        return answer

    monkeypatch.setattr(sending, "post", post_then_delete)
    report = sending.deliver_due()

    assert report.delivered == 1 and len(receiver.requests) == 1
    assert not Delivery.objects.exists()
