"""Sending the welcome package never waits for its PDF: the team's request records the
version ("preparing") and queues the worker after the commit; the worker makes the PDF,
queues the email and completes onboarding. A failed PDF shows on the page and is tried
again with the outbox's backoff; after the outbox's MAX_ATTEMPTS the team tries again."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse

from muster import clock
from muster.audit.models import AuditEvent
from muster.contracts.models import ContractService, Stage
from muster.notifications import schedule
from muster.notifications.delivery import MAX_ATTEMPTS, deliver_due
from muster.notifications.models import OutboxEmail
from muster.onboarding import package as service
from muster.onboarding.models import OnboardingRequest, Status, WelcomePackage
from tests.pages import html_of

from ..factories import request_service, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(approved):
    mine = approved["mine"]
    request_service(mine, "confluence", ContractService.Status.APPROVED)
    return approved


def url(name, people, *args):
    return reverse(f"onboarding:{name}", args=[people["mine"].pk, *args])


def actions(contract) -> list[str]:
    """Oldest first."""
    return list(
        AuditEvent.objects.filter(contract=contract).order_by("pk").values_list("action", flat=True)
    )


@pytest.fixture
def no_render_in_request(monkeypatch):
    """WeasyPrint must not run while the team's request is answered."""
    calls = []

    def refuse(html):
        calls.append(html)
        raise AssertionError("render_pdf called inside the request")

    monkeypatch.setattr(service, "render_pdf", refuse)
    return calls


@pytest.fixture
def failing_render(monkeypatch):
    def fail(html):
        raise OSError("cannot load font")

    monkeypatch.setattr(service, "render_pdf", fail)
    return monkeypatch


def post_send(client, people, django_capture_on_commit_callbacks):
    signed_in(client, people["onboarding_team"])
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url("send_package", people))
    return response, callbacks


def test_the_send_records_the_version_and_only_queues_the_worker(
    client, approved, no_render_in_request, django_capture_on_commit_callbacks, mailoutbox
):
    mine = approved["mine"]
    response, callbacks = post_send(client, approved, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert no_render_in_request == []
    # after the commit: the worker's run (the audit chain keeps its head among the callbacks)
    assert [c for c in callbacks if c == service.kick_preparation] == [service.kick_preparation]

    package = WelcomePackage.objects.get(contract=mine)
    assert (package.version, package.state) == (1, WelcomePackage.State.PREPARING)
    assert package.sent_at is None and not package.pdf
    assert "SAS Viya" in package.html  # the content is fixed at the send
    # Nothing claims it was sent: no email, no "sent" event, onboarding not complete yet.
    assert not OutboxEmail.objects.filter(template="welcome_package").exists()
    assert "onboarding.welcome_package_requested" in actions(mine)
    assert "onboarding.welcome_package_sent" not in actions(mine)
    assert OnboardingRequest.objects.get(contract=mine).status == Status.APPROVED

    page = html_of(client.get(response.url))
    assert "Welcome package version 1 is being prepared" in page
    assert "Not sent yet: preparing the PDF" in page
    assert url("package_pdf", approved, 1) not in page
    assert "not sent yet (preparing the pdf)" in html_of(client.get(url("package", approved, 1)))
    deliver_due()
    assert mailoutbox == []


def test_the_worker_makes_the_pdf_sends_it_and_completes_onboarding(
    client, approved, mailoutbox, django_capture_on_commit_callbacks
):
    mine = approved["mine"]
    post_send(client, approved, django_capture_on_commit_callbacks)
    assert service.prepare_due() == {"sent": 1, "retrying": 0, "failed": 0, "skipped": 0}
    assert service.prepare_due()["sent"] == 0  # once

    package = WelcomePackage.objects.get(contract=mine)
    assert package.state == WelcomePackage.State.SENT
    assert package.sent_at >= package.requested_at and package.attempts == 1
    page = html_of(client.get(url("packages", approved)))
    assert "Not sent yet" not in page
    assert url("package_pdf", approved, 1) in page
    done = actions(mine)
    assert done.index("onboarding.welcome_package_requested") < done.index(
        "onboarding.welcome_package_sent"
    )
    sent = AuditEvent.objects.get(contract=mine, action="onboarding.welcome_package_sent")
    assert sent.actor == approved["onboarding_team"]  # the person who sent it
    assert OnboardingRequest.objects.get(contract=mine).status == Status.COMPLETE
    mine.refresh_from_db()
    assert mine.stage == Stage.ACTIVE

    deliver_due()
    (welcome,) = [m for m in mailoutbox if m.subject.startswith("Welcome package")]
    ((name, content, _),) = welcome.attachments
    assert name == "welcome-package-v1.pdf" and content.startswith(b"%PDF")


def test_a_failed_pdf_shows_to_the_team_and_is_tried_again(
    client, approved, failing_render, mailoutbox, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(datetime.datetime(2026, 11, 30, 15, 0, tzinfo=datetime.UTC), tick=False)
    mine = approved["mine"]
    post_send(client, approved, django_capture_on_commit_callbacks)
    assert service.prepare_due()["retrying"] == 1

    package = WelcomePackage.objects.get(contract=mine)
    assert package.state == WelcomePackage.State.PREPARING
    assert package.last_error == "OSError: cannot load font"
    retry_at = clock.now() + datetime.timedelta(minutes=1)
    assert package.next_attempt_at == retry_at
    page = html_of(client.get(url("packages", approved)))
    assert "Not sent yet: preparing the PDF" in page
    assert "Attempt 1 failed (OSError: cannot load font). Muster tries again at" in page
    assert "onboarding.welcome_package_sent" not in actions(mine)
    # The worker comes back when the retry is due.
    service.keep_preparation_scheduled()
    waiting = schedule.waiting(service.prepare_welcome_packages)
    assert waiting is not None and waiting.task.run_after == retry_at

    assert service.prepare_due()["retrying"] == 0  # not due yet
    failing_render.undo()
    time_machine.move_to(retry_at, tick=False)
    assert service.prepare_due()["sent"] == 1
    package.refresh_from_db()
    assert (package.state, package.attempts, package.last_error) == (
        WelcomePackage.State.SENT,
        2,
        "",
    )
    deliver_due()
    assert [m.subject for m in mailoutbox if m.subject.startswith("Welcome")] == [
        "Welcome package: Mine"
    ]


def test_after_the_last_attempt_the_team_tries_again(
    client, approved, failing_render, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(datetime.datetime(2026, 11, 30, 15, 0, tzinfo=datetime.UTC), tick=False)
    post_send(client, approved, django_capture_on_commit_callbacks)
    for _ in range(MAX_ATTEMPTS):
        service.prepare_due()
        time_machine.move_to(clock.now() + datetime.timedelta(hours=7), tick=False)
    package = WelcomePackage.objects.get(contract=approved["mine"])
    assert (package.state, package.attempts) == (WelcomePackage.State.FAILED, MAX_ATTEMPTS)
    assert service.prepare_due()["sent"] == 0  # no longer tried on its own

    signed_in(client, approved["onboarding_team"])  # days later: a new session
    page = html_of(client.get(url("packages", approved)))
    assert "Not sent: the PDF could not be made" in page
    assert f"Muster stopped after {MAX_ATTEMPTS} attempts: OSError: cannot load font" in page
    assert url("retry_package", approved, 1) in page

    signed_in(client, approved["cor"])
    assert client.post(url("retry_package", approved, 1)).status_code == 403
    failing_render.undo()
    signed_in(client, approved["onboarding_team"])
    # The test's transaction never commits: the send's kick is still pending in it (one
    # kick per transaction), so forget it to see the retry's own.
    connection.run_on_commit.clear()
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url("retry_package", approved, 1))
    assert response.status_code == 302
    assert [c for c in callbacks if c == service.kick_preparation] == [service.kick_preparation]
    assert "Version 1 is being prepared again." in html_of(client.get(response.url))
    assert service.prepare_due()["sent"] == 1
    assert "onboarding.welcome_package_retry" in actions(approved["mine"])


def test_the_worker_task_sends_what_is_due(
    client, approved, mailoutbox, django_capture_on_commit_callbacks
):
    post_send(client, approved, django_capture_on_commit_callbacks)
    report = service.prepare_welcome_packages.call()
    assert report["sent"] == 1
    assert WelcomePackage.objects.get().state == WelcomePackage.State.SENT
