"""LOCAL_PASSWORDS (env MUSTER_LOCAL_PASSWORDS): on, everyone may sign in with a password
(the demo does); off, only administrators may (the administrator team role, superusers,
staff), and the sign-in page puts the agency's button first."""

import re

import pytest
from django.urls import reverse

from muster.accounts.models import TeamRole
from tests.factories import PASSWORD, UserFactory, team_member

SIGN_IN = reverse("account_login")
HOME = reverse("home")
ADMINISTRATORS_ONLY = "Password sign-in is for administrators only"
LABEL = "Sign in with the Agency Login"


@pytest.fixture
def agency_configured(settings):
    """A provider on the sign-in page (only listed: nothing here talks to it)."""
    base = settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {**base, "APPS": [{
        "provider_id": "agency", "name": LABEL, "client_id": "muster", "secret": "s",
        "settings": {"server_url": "http://127.0.0.1:9/never-contacted"},
    }]}}


@pytest.fixture
def passwords_off(settings):
    settings.LOCAL_PASSWORDS = False


def sign_in(client, user):
    return client.post(SIGN_IN, {"login": user.email, "password": PASSWORD})


def signed_in(client) -> bool:
    return client.get(HOME).status_code == 200


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_with_local_passwords_on_anyone_named_signs_in_with_a_password(client, db):
    person = UserFactory()
    assert sign_in(client, person).status_code == 302
    assert signed_in(client)


def test_with_local_passwords_off_a_person_who_is_not_an_administrator_is_refused(
    client, db, passwords_off, agency_configured
):
    person = team_member(TeamRole.Role.ONBOARDING_TEAM)
    response = sign_in(client, person)
    assert response.status_code == 200
    assert ADMINISTRATORS_ONLY in text(response)
    assert not signed_in(client)


def test_a_wrong_password_still_says_only_that_it_is_wrong(client, db, passwords_off):
    """The refusal comes after the password is right: it never tells who is an
    administrator."""
    person = UserFactory()
    response = client.post(SIGN_IN, {"login": person.email, "password": "not-it-at-all-1"})
    page = text(response)
    assert "The email address or password is not right" in page
    assert ADMINISTRATORS_ONLY not in page


@pytest.mark.parametrize("kind", ["administrator role", "superuser", "staff"])
def test_with_local_passwords_off_administrators_still_sign_in_with_a_password(
    client, db, passwords_off, kind
):
    if kind == "administrator role":
        person = team_member(TeamRole.Role.ADMINISTRATOR)
    elif kind == "superuser":
        person = UserFactory(is_superuser=True)
    else:
        person = UserFactory(is_staff=True)
    assert sign_in(client, person).status_code == 302
    assert signed_in(client)


def test_the_sign_in_page_with_passwords_on_offers_the_password_form_then_the_agency(
    client, db, agency_configured
):
    page = text(client.get(SIGN_IN))
    assert page.index("Password") < page.index("Or sign in through your agency") < page.index(
        LABEL)
    assert "Administrators" not in page


def test_the_sign_in_page_with_passwords_off_puts_the_agency_first(
    client, db, passwords_off, agency_configured
):
    page = text(client.get(SIGN_IN))
    assert page.index(LABEL) < page.index("Administrators") < page.index("Password")


def test_without_a_provider_the_sign_in_page_is_the_password_form(client, db):
    page = text(client.get(SIGN_IN))
    assert "Password" in page
    assert "through your agency" not in page
