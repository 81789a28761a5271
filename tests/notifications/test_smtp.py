"""Delivery against a real SMTP server (aiosmtpd, in this process): what arrives, what
waits while the server is down, and what the team sees when Muster gives up."""

import asyncio
import datetime
import email
import re
import threading

import pytest
from django.core.mail.backends.smtp import EmailBackend
from django.db import connection
from django.db import connections as db_connections

from muster.audit.models import AuditEvent
from muster.closeout import sweep
from muster.notifications import delivery, schedule
from muster.notifications import services as mail
from muster.notifications.models import OutboxEmail
from muster.notifications.tasks import deliver_outbox
from tests.factories import TODAY, UserFactory, give_role, make_contract, signed_in
from tests.smtp import Collect, SMTPServer

T0 = datetime.datetime(2026, 11, 24, 14, 0, tzinfo=datetime.UTC)


class CrashAfterSend(EmailBackend):
    """The worker dies right after the server took the message (before Muster records
    it as sent): SystemExit is not an Exception, so nothing in Muster catches it."""

    def send_messages(self, email_messages):
        super().send_messages(email_messages)
        raise SystemExit("worker killed")


@pytest.fixture
def at(time_machine):
    """Freeze time at T0; call at(moment) to move it."""
    time_machine.move_to(T0, tick=False)

    def move(to: datetime.datetime) -> datetime.datetime:
        time_machine.move_to(to, tick=False)
        return to

    return move


def queue_award(people, key="award:smtp"):
    return mail.queue(
        "award_notice", to=[people["onboarding_team"], "Team.Box@Example.gov"],
        cc=[people["cor"]], key=key, contract=people["mine"], context={"actor": people["cor"]},
    )


def test_the_server_receives_each_email_once(people, smtp, at):
    row = queue_award(people)

    assert delivery.deliver_due().sent == 1
    assert delivery.deliver_due().sent == 0

    (envelope,) = smtp.envelopes
    team, cor = people["onboarding_team"].email, people["cor"].email
    assert sorted(envelope.rcpt_tos) == sorted([team, "team.box@example.gov", cor])
    (message,) = smtp.handler.messages()
    assert message["Subject"] == "Contract awarded: Mine (75FCMC26C" + \
        people["mine"].contract_number[-4:] + ")"
    assert message["To"] == f"{team}, team.box@example.gov"
    assert message["Cc"] == cor
    assert message["From"] == "muster@onboarding.example.gov"
    body = message.get_payload(decode=True).decode()
    assert "Cora COR recorded the award of Mine" in body
    assert f"/onboarding/contracts/{people['mine'].pk}/intake/" in body
    row.refresh_from_db()
    assert (row.status, row.attempts, row.sent_at) == (OutboxEmail.Status.SENT, 1, T0)


def test_server_down_nothing_lost_then_sent_once(people, smtp, at):
    row = queue_award(people)
    smtp.stop()

    report = delivery.deliver_due()

    assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.PENDING
    assert row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error
    assert row.next_attempt_at == T0 + datetime.timedelta(minutes=1)
    assert delivery.next_retry_at() == T0 + datetime.timedelta(minutes=1)

    smtp.start()
    at(T0 + datetime.timedelta(seconds=59))
    assert delivery.deliver_due().sent == 0  # not due yet
    assert smtp.envelopes == []

    at(T0 + datetime.timedelta(minutes=1))
    assert delivery.deliver_due().sent == 1
    assert delivery.deliver_due().sent == 0
    assert len(smtp.envelopes) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (OutboxEmail.Status.SENT, 2, "")


def test_after_max_attempts_the_team_sees_it_and_retries(people, smtp, at, client):
    row = queue_award(people)
    smtp.stop()
    now = T0
    for attempt in range(1, delivery.MAX_ATTEMPTS + 1):
        report = delivery.deliver_due()
        row.refresh_from_db()
        assert row.attempts == attempt
        if attempt < delivery.MAX_ATTEMPTS:
            assert report.retrying == 1
            assert row.status == OutboxEmail.Status.PENDING
            assert row.next_attempt_at == now + delivery.backoff(attempt)
            now = at(row.next_attempt_at)
    assert report.failed == 1
    assert row.status == OutboxEmail.Status.FAILED
    at(now + datetime.timedelta(days=2))
    assert delivery.deliver_due().sent == 0  # a failed email waits for a person

    signed_in(client, people["onboarding_team"])
    page = client.get("/notifications/outbox/").content.decode()
    assert row.subject in page
    assert "ConnectionRefusedError" in page
    assert f'action="/notifications/outbox/{row.pk}/retry/"' in page

    response = client.post(f"/notifications/outbox/{row.pk}/retry/", follow=True)
    assert response.redirect_chain == [("/notifications/outbox/", 302)]
    assert "will be sent again in a moment" in response.content.decode()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxEmail.Status.PENDING, 0)
    event = AuditEvent.objects.get(action="notifications.retry")
    assert event.actor == people["onboarding_team"]
    assert event.contract == people["mine"]

    smtp.start()
    assert delivery.deliver_due().sent == 1
    assert delivery.deliver_due().sent == 0
    assert len(smtp.envelopes) == 1
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.SENT
    assert row.subject not in client.get("/notifications/outbox/").content.decode()


def test_a_row_left_sending_by_a_crash_is_retried_after_the_claim_timeout(
    people, smtp, at, settings
):
    row = queue_award(people)
    settings.MAILERS = {"default": {
        "BACKEND": "tests.notifications.test_smtp.CrashAfterSend",
        "OPTIONS": {"host": "127.0.0.1", "port": smtp.port, "timeout": 5},
    }}
    with pytest.raises(SystemExit):
        delivery.deliver_due()
    assert len(smtp.envelopes) == 1
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.SENDING
    settings.MAILERS = {"default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": smtp.port, "timeout": 5},
    }}

    at(T0 + delivery.claim_timeout())
    assert delivery.deliver_due().sent == 0  # another worker may still be sending it
    assert len(smtp.envelopes) == 1

    at(T0 + delivery.claim_timeout() + datetime.timedelta(seconds=1))
    assert delivery.deliver_due().sent == 1
    assert delivery.deliver_due().sent == 0
    assert len(smtp.envelopes) == 2
    first, second = smtp.handler.messages()
    # The same Message-ID both times, so mail systems can drop the repeat.
    assert first["Message-ID"] == second["Message-ID"]
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxEmail.Status.SENT, 2)


def test_a_row_that_kills_every_worker_ends_failed(people, smtp, at, settings):
    row = queue_award(people)
    settings.MAILERS = {"default": {
        "BACKEND": "tests.notifications.test_smtp.CrashAfterSend",
        "OPTIONS": {"host": "127.0.0.1", "port": smtp.port, "timeout": 5},
    }}
    now = T0
    for _ in range(delivery.MAX_ATTEMPTS):
        with pytest.raises(SystemExit):
            delivery.deliver_due()
        now = at(now + delivery.claim_timeout() + datetime.timedelta(seconds=1))

    report = delivery.deliver_due()

    assert report.failed == 1
    assert len(smtp.envelopes) == delivery.MAX_ATTEMPTS
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.FAILED
    assert "worker stopped" in row.last_error


class SlowCollect(Collect):
    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.02)
        return await super().handle_DATA(server, session, envelope)


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="two workers at once need PostgreSQL (SQLite runs one writer)")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_at_once_send_each_email_once(settings):
    server = SMTPServer()
    server.handler = SlowCollect()
    server.start()
    settings.MAILERS = {"default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": server.port, "timeout": 5},
    }}
    contract = make_contract(name="Both workers")
    for n in range(30):
        mail.queue("survey_answered", to=[f"team{n}@example.gov"], key=f"two:{n}",
                   contract=contract, context={"survey": None})
    start = threading.Barrier(2)
    reports = []

    def worker():
        try:
            start.wait()
            reports.append(delivery.deliver_due(limit=30))
        finally:
            db_connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        server.stop()

    keys = [m["X-Muster-Key"] for m in server.handler.messages()]
    assert sorted(keys) == sorted(f"two:{n}" for n in range(30))
    assert sum(r.sent for r in reports) == 30
    assert OutboxEmail.objects.filter(status=OutboxEmail.Status.SENT).count() == 30


def test_while_the_server_is_down_the_worker_comes_back_once_when_due(
    people, smtp, at, enqueued
):
    for n in range(3):
        queue_award(people, key=f"award:down:{n}")
    smtp.stop()

    # Each queued email kicked the worker once: three runs, one comeback.
    assert deliver_outbox.call() == {"sent": 0, "retrying": 3, "failed": 0}
    assert deliver_outbox.call() == {"sent": 0, "retrying": 0, "failed": 0}
    assert deliver_outbox.call() == {"sent": 0, "retrying": 0, "failed": 0}
    assert schedule.waiting(deliver_outbox).task.run_after == T0 + datetime.timedelta(minutes=1)
    # Besides, the first run made sure a run would take its claims over had it died (a
    # claim window and a second later); the backend's API cannot withdraw it, so it will
    # start and find nothing to do.
    assert sorted(r.task.run_after - T0 for r in enqueued) == [
        datetime.timedelta(seconds=60), datetime.timedelta(seconds=61)]

    smtp.start()
    at(T0 + datetime.timedelta(minutes=1))
    assert deliver_outbox.call() == {"sent": 3, "retrying": 0, "failed": 0}
    assert len(smtp.envelopes) == 3
    assert len(enqueued) == 2  # nothing more to do


def empty_headers(envelope) -> list[bytes]:
    """Header lines with a name and nothing after it (a value folded onto the next line
    shows as an empty header in mail programs)."""
    head = envelope.content.split(b"\r\n\r\n", 1)[0]
    return [line for line in head.split(b"\r\n") if re.fullmatch(rb"[\w-]+:\s*", line)]


def test_an_overdue_step_email_has_no_empty_cc_header(people, smtp, freeze_today):
    contract = make_contract(name="Bluebird", pop_start=datetime.date(2026, 12, 1),
                             pop_end=datetime.date(2027, 11, 30))
    # Copied to the contractor's three parties: "Cc: " and these make 80 characters, the
    # length Python's folding moved whole onto a second line.
    for role in ("poc", "so", "spoc"):
        give_role(UserFactory(email=f"{role}@bluebird.example.com"), contract, role)
    contract.steps.update(completed_at=T0)
    step = contract.steps.get(key="name-so-spoc")
    contract.steps.filter(pk=step.pk).update(completed_at=None,
                                             due_date=datetime.date(2026, 11, 20))

    sweep.run(freeze_today(TODAY))

    (envelope,) = [e for e in smtp.envelopes
                   if email.message_from_bytes(e.content)["Subject"].startswith("Overdue")]
    message = email.message_from_bytes(envelope.content)
    assert message["Cc"] == (
        "poc@bluebird.example.com, so@bluebird.example.com, spoc@bluebird.example.com"
    )
    assert empty_headers(envelope) == []


def test_no_email_carries_an_empty_header_whatever_the_length_of_its_lists(people, smtp, at):
    for n in range(40):
        domain = "d" * (n + 1) + ".example.gov"
        mail.queue("award_notice", to=[f"a@{domain}", f"b@{domain}"],
                   cc=[f"c@{domain}", f"dd@{domain}", f"eee@{domain}"], key=f"lengths:{n}",
                   contract=people["mine"], context={"actor": people["cor"]})

    assert delivery.deliver_due().sent == 40

    assert [empty_headers(e) for e in smtp.envelopes] == [[]] * 40
