"""One id follows an action from the request through its audit events to the emails it
sends: the X-Request-ID a mail server receives is the id of the request that queued it."""

import pytest
from django.urls import reverse

from muster.audit import correlation
from muster.audit.models import AuditEvent
from muster.notifications import delivery
from muster.notifications import services as mail
from muster.notifications.models import OutboxEmail
from tests.factories import signed_in

pytestmark = pytest.mark.django_db


def test_request_audit_event_and_email_share_one_id(client, people, smtp):
    mine = people["mine"]
    signed_in(client, people["cor"])

    response = client.post(reverse("onboarding:award", args=[mine.pk]),
                           {"award_date": "2026-11-23"},
                           headers={"X-Request-ID": "lb-7f3a-000001"})
    assert response.status_code == 302
    assert delivery.deliver_due().sent == 1  # the worker: another action, its own id

    assert response["X-Request-ID"] == "lb-7f3a-000001"
    event = AuditEvent.objects.get(contract=mine, action="contract.award")
    assert event.request_id == "lb-7f3a-000001"
    assert OutboxEmail.objects.get().request_id == "lb-7f3a-000001"
    (message,) = smtp.handler.messages()
    assert message["X-Request-ID"] == "lb-7f3a-000001"


def test_an_email_queued_by_a_command_or_task_carries_its_run_id(smtp):
    with correlation.scope("sweep-0123456789abcdef"):
        mail.queue_rendered("note", subject="S", body="B", to="ann@example.gov", key="k1")
    mail.queue_rendered_many("note", [{"subject": "S", "body": "B", "to": "bo@example.gov",
                                       "key": "k2"}])  # outside any action: no id

    delivery.deliver_due()

    ids = {m["To"]: m["X-Request-ID"] for m in smtp.handler.messages()}
    assert ids == {"ann@example.gov": "sweep-0123456789abcdef", "bo@example.gov": None}
