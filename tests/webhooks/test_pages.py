"""The team's webhook pages through HTTP: who may open them, registering an endpoint (its
secret shown once), changing, disabling, rotating, deleting, an endpoint's deliveries and
one delivery with each attempt's answer, and "Send again". Every POST is audited; a GET
changes nothing."""

import pytest
from django.urls import reverse

from muster.access import grants
from muster.audit.models import AuditEvent
from muster.webhooks import sending
from muster.webhooks.models import Attempt, Delivery, Endpoint
from muster.webhooks.signing import verify
from tests.pages import text_of

from ..factories import signed_in

pytestmark = pytest.mark.django_db
FORM = {"url": "https://hooks.example.org/muster", "description": "Identity system",
        "event_types": ["grant.active", "grant.revoked"]}


def secret_shown(response) -> str | None:
    import re

    found = re.search(r"whsec_[A-Za-z0-9_-]+", response.content.decode())
    return found.group(0) if found else None


@pytest.mark.parametrize("role", ["onboarding_team", "team_lead", "administrator"])
def test_the_team_its_lead_and_administrators_open_the_pages(client, people, role):
    signed_in(client, people[role])
    assert client.get(reverse("webhooks:endpoints")).status_code == 200
    assert client.get(reverse("webhooks:endpoint_new")).status_code == 200


@pytest.mark.parametrize("role", ["cor", "so", "sas_lead", "contractor_user", "outsider"])
def test_nobody_else_does(client, people, role):
    signed_in(client, people[role])
    assert client.get(reverse("webhooks:endpoints")).status_code == 403
    assert client.post(reverse("webhooks:endpoint_new"), FORM).status_code == 403
    assert not Endpoint.objects.exists()


def test_registering_shows_the_secret_once_and_audits_without_it(client, people):
    signed_in(client, people["onboarding_team"])

    response = client.post(reverse("webhooks:endpoint_new"), FORM, follow=True)

    endpoint = Endpoint.objects.get()
    assert response.redirect_chain == [(endpoint.get_absolute_url(), 302)]
    assert secret_shown(response) == endpoint.secret
    assert "will not show it again" in text_of(response)
    assert endpoint.event_types == ["grant.active", "grant.revoked"]
    assert endpoint.created_by == people["onboarding_team"] and endpoint.is_active
    again = client.get(endpoint.get_absolute_url())
    assert secret_shown(again) is None
    event = AuditEvent.objects.get(action="webhooks.endpoint_registered")
    assert event.actor == people["onboarding_team"]
    assert endpoint.secret not in str(event.after) + event.summary


@pytest.mark.parametrize(("changes", "message"), [
    ({"url": "ftp://hooks.example.org/"}, "Use an http:// or https:// address."),
    ({"url": "not a url"}, "Use an http:// or https:// address."),
    ({"url": ""}, "This field is required."),
    ({"event_types": []}, "Choose at least one event type."),
    ({"event_types": ["grant.exploded"]}, "Select a valid choice."),
    ({"description": "x" * 201}, "at most 200 characters"),
])
def test_bad_input_is_shown_not_saved(client, people, changes, message):
    signed_in(client, people["onboarding_team"])

    response = client.post(reverse("webhooks:endpoint_new"), {**FORM, **changes})

    assert response.status_code == 400
    assert message in text_of(response)
    assert "There is a problem" in text_of(response)
    assert not Endpoint.objects.exists()


def test_production_refuses_a_plain_http_address(client, people, settings):
    settings.PRODUCTION = True
    signed_in(client, people["onboarding_team"])

    response = client.post(reverse("webhooks:endpoint_new"),
                           {**FORM, "url": "http://hooks.example.org/"})

    assert response.status_code == 400
    assert "Use an https:// address" in text_of(response)


@pytest.fixture
def endpoint(client, people):
    signed_in(client, people["onboarding_team"])
    client.post(reverse("webhooks:endpoint_new"), FORM, follow=True)  # its secret read
    return Endpoint.objects.get()


def test_the_team_changes_an_endpoint(client, people, endpoint):
    url = reverse("webhooks:endpoint_edit", args=[endpoint.pk])
    assert 'value="https://hooks.example.org/muster"' in client.get(url).content.decode()

    response = client.post(url, {**FORM, "event_types": ["contract.closed"]})

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.event_types == ["contract.closed"]
    event = AuditEvent.objects.get(action="webhooks.endpoint_changed")
    assert event.after == {"event_types": ["contract.closed"]}


def test_disabling_and_enabling(client, people, endpoint):
    url = reverse("webhooks:endpoint_active", args=[endpoint.pk])

    client.post(url, {"active": "0"})
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert "Disabled" in text_of(client.get(reverse("webhooks:endpoints")))

    client.post(url, {"active": "1"})
    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="webhooks.endpoint_")
            .order_by("id")] == ["webhooks.endpoint_registered", "webhooks.endpoint_disabled",
                                 "webhooks.endpoint_enabled"]


def test_rotating_the_secret_shows_the_new_one_once(client, people, endpoint):
    old = endpoint.secret

    response = client.post(reverse("webhooks:endpoint_rotate", args=[endpoint.pk]),
                           follow=True)

    endpoint.refresh_from_db()
    assert endpoint.secret != old
    assert secret_shown(response) == endpoint.secret
    assert secret_shown(client.get(endpoint.get_absolute_url())) is None
    event = AuditEvent.objects.get(action="webhooks.secret_rotated")
    assert endpoint.secret not in str(event.after) and old not in str(event.before)


def test_deleting_asks_first_then_removes_it_with_its_deliveries(client, people, endpoint,
                                                                 scene):
    grants.revoke(scene["so"], scene["grant"])
    assert Delivery.objects.count() == 1
    url = reverse("webhooks:endpoint_delete", args=[endpoint.pk])

    assert "Delete this endpoint?" in text_of(client.get(url))
    assert Endpoint.objects.exists()
    response = client.post(url)

    assert response.status_code == 302 and response.url == reverse("webhooks:endpoints")
    assert not Endpoint.objects.exists() and not Delivery.objects.exists()
    assert AuditEvent.objects.filter(action="webhooks.endpoint_deleted").exists()


def test_deliveries_newest_first_and_one_delivery_with_each_attempts_answer(
        client, people, scene, receiver, endpoint_for):
    team = people["onboarding_team"]
    signed_in(client, team)
    endpoint, secret = endpoint_for(receiver.url, "grant.revoked", "grant.active")
    receiver.status = 500
    grants.revoke(scene["so"], scene["grant"])
    sending.deliver_due()
    first = Delivery.objects.get()
    Delivery.objects.filter(pk=first.pk).update(next_attempt_at=first.created_at)
    receiver.status = 200
    sending.deliver_due()

    listing = text_of(client.get(endpoint.get_absolute_url()))
    assert "Deliveries (1)" in listing
    assert "Access grant revoked" in listing and "HTTP 200" in listing

    page = client.get(first.get_absolute_url())
    text = text_of(page)
    assert str(first.delivery_id) in text
    assert "HTTP 500" in text and "HTTP 200 (delivered)" in text
    assert "cody@alder.example.com" in text  # the payload as sent
    assert "Send again" in text


def test_send_again_posts_the_same_delivery_and_is_audited(client, people, scene, receiver,
                                                           endpoint_for):
    signed_in(client, people["team_lead"])
    endpoint, secret = endpoint_for(receiver.url, "grant.revoked")
    grants.revoke(scene["so"], scene["grant"])
    sending.deliver_due()
    delivery = Delivery.objects.get()

    response = client.post(reverse("webhooks:delivery_replay", args=[delivery.pk]))
    sending.deliver_due()

    assert response.status_code == 302 and response.url == delivery.get_absolute_url()
    assert len(receiver.requests) == 2
    assert {r.headers["Muster-Delivery"] for r in receiver.requests} == {
        str(delivery.delivery_id)}
    assert all(verify(secret, r.headers["Muster-Signature"], r.body)
               for r in receiver.requests)
    assert AuditEvent.objects.get(action="webhooks.delivery_replayed").actor == people[
        "team_lead"]


def test_a_get_changes_nothing(client, people, scene, receiver, endpoint_for):
    signed_in(client, people["administrator"])
    endpoint, _ = endpoint_for(receiver.url, "grant.revoked")
    grants.revoke(scene["so"], scene["grant"])
    sending.deliver_due()
    delivery = Delivery.objects.get()

    def state():
        return (list(Endpoint.objects.values()), list(Delivery.objects.values()),
                Attempt.objects.count(), AuditEvent.objects.count())

    before = state()
    for name, args in [("webhooks:endpoints", []), ("webhooks:endpoint_new", []),
                       ("webhooks:endpoint", [endpoint.pk]),
                       ("webhooks:endpoint_edit", [endpoint.pk]),
                       ("webhooks:endpoint_delete", [endpoint.pk]),
                       ("webhooks:delivery", [delivery.pk])]:
        assert client.get(reverse(name, args=args)).status_code == 200, name
    for name, args in [("webhooks:endpoint_active", [endpoint.pk]),
                       ("webhooks:endpoint_rotate", [endpoint.pk]),
                       ("webhooks:delivery_replay", [delivery.pk])]:
        assert client.get(reverse(name, args=args)).status_code == 405, name
    assert state() == before


def test_the_header_links_the_team_to_the_webhooks(client, people):
    signed_in(client, people["onboarding_team"])
    assert reverse("webhooks:endpoints") in client.get(reverse("menu")).content.decode()
    signed_in(client, people["cor"])
    assert reverse("webhooks:endpoints") not in client.get(reverse("menu")).content.decode()


def test_send_again_for_a_disabled_endpoint_says_why_not(client, people, scene, endpoint_for):
    signed_in(client, people["onboarding_team"])
    endpoint, _ = endpoint_for("https://hooks.example.org/x", "grant.revoked")
    grants.revoke(scene["so"], scene["grant"])
    client.post(reverse("webhooks:endpoint_active", args=[endpoint.pk]), {"active": "0"})
    delivery = Delivery.objects.get()

    response = client.post(reverse("webhooks:delivery_replay", args=[delivery.pk]),
                           follow=True)

    assert "This endpoint is disabled: enable it first" in text_of(response)
    assert not AuditEvent.objects.filter(action="webhooks.delivery_replayed").exists()
