"""The Confirm button of each row of the access waiting for confirmation, posted by htmx
(`HX-Request: true`): the answer is that row only, in its new state, with the message in
it (role="status"); a refusal is the row unchanged with why; without htmx, the redirect."""

import pytest
from django.urls import reverse

from muster.access.models import AccessGrant, GrantStatus
from muster.audit.models import AuditEvent
from tests.factories import signed_in

from . import emails_about, give_dua, make_grant, text_of

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def confirm(client, people, grant, **headers):
    return client.post(reverse("access:confirm_grant", args=[people["mine"].pk, grant.pk]),
                       {"next": reverse("access:pending")}, **headers)


def test_the_pending_page_posts_each_row_with_htmx(client, setup):
    grant = make_grant(setup, setup["confluence"])
    page = text_of(signed_in(client, setup["onboarding_team"]).get(reverse("access:pending")))
    url = reverse("access:confirm_grant", args=[setup["mine"].pk, grant.pk])
    assert f'<tr id="grant-{grant.pk}">' in page
    assert f'hx-post="{url}" hx-target="closest tr" hx-swap="outerHTML"' in page
    assert f'action="{url}"' in page  # and still a plain form without JavaScript


def test_confirming_with_htmx_answers_with_the_row_in_its_new_state(client, setup):
    people = setup
    grant = make_grant(people, people["confluence"])
    response = confirm(signed_in(client, people["onboarding_team"]), people, grant, **HTMX)

    assert response.status_code == 200
    row = text_of(response)
    assert row.strip().startswith(f'<tr id="grant-{grant.pk}">') and "<html" not in row
    assert '<th scope="row" data-label="User">Cody User' in row  # the row keeps its headers
    assert 'role="status"' in row and "Cody User's access to Confluence is active." in row
    assert ">Active<" in row and "<form" not in row
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE and grant.activated_at is not None
    assert AuditEvent.objects.filter(action="access.confirmed").count() == 1
    assert emails_about(grant).exists()
    # The message is in the row, not queued for the next page too.
    assert "is active." not in text_of(client.get(reverse("access:pending")))


def test_a_refused_confirmation_with_htmx_is_the_row_with_why(client, setup):
    people = setup
    grant = make_grant(people, people["sas"])
    give_dua(people["mine"], invalidated=True)
    response = confirm(signed_in(client, people["onboarding_team"]), people, grant, **HTMX)

    assert response.status_code == 200
    row = text_of(response)
    assert row.strip().startswith(f'<tr id="grant-{grant.pk}">')
    assert 'role="status"' in row and "You cannot confirm SAS Viya while the contract" in row
    assert "Confirm Cody User's SAS Viya access" in row  # the button is still there
    assert f'name="next" value="{reverse("access:pending")}"' in row
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REQUESTED
    assert not AuditEvent.objects.filter(action="access.confirmed").exists()
    assert not emails_about(grant).exists()


def test_an_already_active_grant_with_htmx_says_so_in_its_row(client, setup):
    people = setup
    grant = make_grant(people, people["confluence"], GrantStatus.ACTIVE)
    row = text_of(confirm(signed_in(client, people["onboarding_team"]), people, grant, **HTMX))
    assert "only a requested access can be confirmed" in row and ">Active<" in row
    assert not emails_about(grant).exists()


def test_without_htmx_the_confirmation_still_redirects(client, setup):
    people = setup
    grant = make_grant(people, people["confluence"])
    response = confirm(signed_in(client, people["onboarding_team"]), people, grant)
    assert response.status_code == 302 and response.url == reverse("access:pending")
    assert AccessGrant.objects.get(pk=grant.pk).status == GrantStatus.ACTIVE


@pytest.mark.parametrize("role", ["so", "cor"])
def test_others_still_get_403_with_htmx(client, setup, role):
    grant = make_grant(setup, setup["confluence"])
    assert confirm(signed_in(client, setup[role]), setup, grant, **HTMX).status_code == 403
    assert AccessGrant.objects.get(pk=grant.pk).status == GrantStatus.REQUESTED
