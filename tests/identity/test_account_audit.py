"""Account events on the audit record, through the pages people use: signing in and out, a
failed sign-in (known address or not), passwords set, changed and reset, a second factor
added, removed and reset. One event each, the User its object, never a secret."""

import json
import time

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.contrib.auth import authenticate
from django.urls import reverse

from muster.audit.models import AuditEvent
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-long-passphrase-42"


@pytest.fixture
def person(db):
    return UserFactory(full_name="Ada Audit", email="ada@example.com")


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def the_event(action: str) -> AuditEvent:
    [event] = events(action)
    return event


def no_secret_in_the_record(*secrets: str) -> None:
    for event in AuditEvent.objects.all():
        text = json.dumps([event.summary, event.before, event.after, event.object_repr])
        for secret in secrets:
            assert secret not in text, event.action


def sign_in(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_signing_in_is_recorded(client, person):
    assert sign_in(client, person.email).status_code == 302
    event = the_event("account.signed_in")
    assert (event.object_type, event.object_id) == ("accounts.user", str(person.pk))
    assert event.actor == person
    assert event.summary == "Ada Audit signed in (password)"
    no_secret_in_the_record(PASSWORD)


def test_signing_out_is_recorded(client, person):
    sign_in(client, person.email)
    assert client.post(reverse("account_logout")).status_code == 302
    event = the_event("account.signed_out")
    assert event.actor == person and event.object_id == str(person.pk)


def test_a_failed_sign_in_records_the_account_never_the_password(client, person):
    response = sign_in(client, "ADA@example.com", "wrong-password-typed")
    assert response.status_code == 200
    event = the_event("account.sign_in_failed")
    assert event.object_id == str(person.pk)
    assert event.actor is None
    assert event.after == {"email": "ada@example.com", "account": "known"}
    no_secret_in_the_record("wrong-password-typed")


def test_a_failed_sign_in_for_an_unknown_address_is_recorded_as_unknown(client, person):
    sign_in(client, "nobody@example.com", "guess-password-1")
    event = the_event("account.sign_in_failed")
    assert event.after == {"email": "nobody@example.com", "account": "unknown"}
    assert event.summary == "Failed sign-in for an address with no account"
    assert event.object_repr == "nobody@example.com"
    no_secret_in_the_record("guess-password-1")


def test_the_address_typed_is_cut_to_an_email_address_longest(person):
    typed = "x" * 300 + "@example.com"
    assert authenticate(None, email=typed, password="whatever-it-is") is None
    event = the_event("account.sign_in_failed")
    assert len(event.after["email"]) == 254
    no_secret_in_the_record("whatever-it-is")


def test_changing_ones_password_is_recorded(client, person):
    sign_in(client, person.email)
    response = client.post(reverse("account_change_password"), {
        "oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    event = the_event("account.password_changed")
    assert event.actor == person and event.object_id == str(person.pk)
    no_secret_in_the_record(PASSWORD, NEW_PASSWORD)


def test_setting_a_first_password_is_recorded(client):
    person = UserFactory(password=None)
    person.set_unusable_password()
    person.save()
    client.force_login(person)
    response = client.post(reverse("account_set_password"), {
        "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert the_event("account.password_set").object_id == str(person.pk)
    no_secret_in_the_record(NEW_PASSWORD)


def test_resetting_a_password_from_the_link_is_recorded(client, person):
    # The link as allauth makes it for the email (the email itself: the reset's own tests).
    link = reverse("account_reset_password_from_key", kwargs={
        "uidb36": user_pk_to_url_str(person), "key": default_token_generator.make_token(person)})
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    response = client.post(form_page.request["PATH_INFO"], {
        "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    event = the_event("account.password_reset")
    assert event.object_id == str(person.pk)
    no_secret_in_the_record(NEW_PASSWORD, link)


def totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_adding_resetting_and_removing_a_second_factor_is_recorded(
        client, person, django_capture_on_commit_callbacks):
    sign_in(client, person.email)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    code = totp_code(secret)
    with django_capture_on_commit_callbacks(execute=True):  # allauth signals after commit
        response = client.post(reverse("mfa_activate_totp"), {"code": code})
    assert response.status_code == 302, response.content.decode()[:3000]
    added = events("account.second_factor_added")
    assert [e.after["type"] for e in added] == ["totp", "recovery_codes"]
    assert added[0].summary == "Ada Audit added authenticator app (TOTP)"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_generate_recovery_codes"))
    assert response.status_code == 302
    assert the_event("account.second_factor_reset").after == {"type": "recovery_codes"}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=person, type="totp").exists()
    removed = events("account.second_factor_removed")
    assert "totp" in [e.after["type"] for e in removed]
    codes = Authenticator.objects.filter(user=person, type="recovery_codes").first()
    hidden = [secret, code] + (codes.wrap().get_unused_codes() if codes else [])
    no_secret_in_the_record(*hidden)
