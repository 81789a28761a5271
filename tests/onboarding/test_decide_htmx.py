"""A service lead's decision on the decisions page, posted by htmx (`HX-Request: true`):
the answer is that service's part of the page only, as decided, with the message in it
(role="status"); an invalid or refused one is the form again with its error (the typed
text kept) and nothing changed; without htmx, the redirect or the 400 page as before."""

import pytest

from muster.contracts.models import ContractService
from muster.notifications.models import OutboxEmail
from muster.onboarding.models import Status

from .test_review import (  # noqa: F401 (draft, submitted, today, two_services: fixtures)
    DECISIONS,
    advance,
    as_,
    audit_actions,
    decide_url,
    draft,
    reload,
    snapshot,
    submitted,
    text_of,
    today,
    two_services,
)

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_each_decision_form_posts_with_htmx(client, people, submitted):  # noqa: F811
    advance(people, submitted, Status.SERVICE_REVIEW)
    item = people["mine"].services.get()
    page = text_of(as_(client, people, "sas_lead").get(DECISIONS))
    url = decide_url(item)
    assert f'<article id="decision-{item.pk}"' in page
    assert f'action="{url}" hx-post="{url}" hx-target="closest article" hx-swap="outerHTML"' in page


def test_approving_with_htmx_answers_with_the_service_as_decided(
    client, people, two_services, submitted  # noqa: F811
):
    mine = people["mine"]
    onboarding = advance(people, submitted, Status.SERVICE_REVIEW)
    item = mine.services.get(service__slug="sas-viya")
    emails = OutboxEmail.objects.count()
    response = as_(client, people, "sas_lead").post(
        decide_url(item), {"decision": "approve", "reason": ""}, **HTMX)

    assert response.status_code == 200
    part = text_of(response)
    assert part.strip().startswith(f'<article id="decision-{item.pk}"') and "<html" not in part
    assert f'aria-labelledby="item-{item.pk}-heading"' in part
    assert 'role="status"' in part and "SAS Viya approved for Mine" in part
    assert "Decision: <strong>Approved</strong>" in part and "<form" not in part
    item.refresh_from_db()
    assert item.status == ContractService.Status.APPROVED
    assert reload(onboarding).status == Status.SERVICE_REVIEW  # Confluence still waits
    assert audit_actions(mine)[-1] == "onboarding.service_decided"
    assert OutboxEmail.objects.count() == emails + 1
    assert "SAS Viya approved for Mine" not in text_of(client.get(DECISIONS))  # not queued


def test_a_denial_with_htmx_shows_its_reason(client, people, submitted):  # noqa: F811
    advance(people, submitted, Status.SERVICE_REVIEW)
    item = people["mine"].services.get()
    part = text_of(as_(client, people, "sas_lead").post(
        decide_url(item), {"decision": "deny", "reason": "Not for this work."}, **HTMX))
    assert "Decision: <strong>Denied</strong>: Not for this work." in part
    item.refresh_from_db()
    assert (item.status, item.decision_reason) == (ContractService.Status.DENIED,
                                                   "Not for this work.")


def test_a_denial_without_a_reason_with_htmx_is_the_form_with_its_error(
    client, people, submitted  # noqa: F811
):
    onboarding = advance(people, submitted, Status.SERVICE_REVIEW)
    item = people["mine"].services.get()
    before = snapshot(onboarding)
    response = as_(client, people, "sas_lead").post(
        decide_url(item), {"decision": "deny", "reason": "  "}, **HTMX)

    assert response.status_code == 200  # htmx swaps 2xx answers only
    part = text_of(response)
    assert part.strip().startswith(f'<article id="decision-{item.pk}"') and "<html" not in part
    assert 'role="status"' in part and "The decision was not recorded" in part
    assert "Give the reason for the denial." in part
    assert f'id="decide{item.pk}_reason"' in part
    assert f'id="decide{item.pk}_decision_1" checked' in part  # "Deny" stays chosen
    item.refresh_from_db()
    assert item.status == ContractService.Status.REQUESTED
    assert snapshot(onboarding) == before


def test_the_typed_text_stays_in_the_form_with_its_error(client, people, submitted):  # noqa: F811
    onboarding = advance(people, submitted, Status.SERVICE_REVIEW)
    item = people["mine"].services.get()
    before = snapshot(onboarding)
    part = text_of(as_(client, people, "sas_lead").post(
        decide_url(item), {"reason": "Half a thought"}, **HTMX))  # no decision chosen
    assert "Half a thought" in part and "The decision was not recorded" in part
    assert snapshot(onboarding) == before


def test_a_refused_decision_with_htmx_says_why_in_place(client, people, submitted):  # noqa: F811
    onboarding = advance(people, submitted, Status.LEAD_APPROVED)
    item = people["mine"].services.get()
    before = snapshot(onboarding)
    response = as_(client, people, "sas_lead").post(decide_url(item), {"decision": "approve"},
                                                    **HTMX)
    assert response.status_code == 200
    part = text_of(response)
    assert 'role="status"' in part and "not waiting for service decisions" in part
    assert "Decision:" not in part
    assert snapshot(onboarding) == before
    assert "not waiting for service decisions" not in text_of(client.get(DECISIONS))


def test_without_htmx_the_old_answers_stay(client, people, submitted):  # noqa: F811
    advance(people, submitted, Status.SERVICE_REVIEW)
    item = people["mine"].services.get()
    client = as_(client, people, "sas_lead")
    assert client.post(decide_url(item), {"decision": "deny", "reason": ""}).status_code == 400
    response = client.post(decide_url(item), {"decision": "approve"})
    assert response.status_code == 302 and response.url == DECISIONS


def test_another_lead_still_gets_403_with_htmx(client, people, two_services,  # noqa: F811
                                                submitted):  # noqa: F811
    onboarding = advance(people, submitted, Status.SERVICE_REVIEW)
    item = people["mine"].services.get(service__slug="sas-viya")
    before = snapshot(onboarding)
    response = as_(client, people, "confluence_lead").post(decide_url(item),
                                                           {"decision": "approve"}, **HTMX)
    assert response.status_code == 403
    assert snapshot(onboarding) == before
