"""The second factor: an authenticator app's codes (computed here, RFC 6238) and recovery
codes; required of the team, service leads and administrators when MFA_REQUIRED is on."""

import base64
import datetime
import re

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from muster.accounts.models import TeamRole
from tests.factories import PASSWORD, UserFactory, team_member
from tests.pages import text_of

from .totp import totp

SIGN_IN = reverse("account_login")
SIGN_OUT = reverse("account_logout")
HOME = reverse("home")
ACTIVATE = reverse("mfa_activate_totp")
AUTHENTICATE = reverse("mfa_authenticate")
SECOND_FACTOR = reverse("mfa_index")
RECOVERY_CODES = reverse("mfa_view_recovery_codes")
T0 = datetime.datetime(2026, 11, 24, 14, 0, 10, tzinfo=datetime.UTC)
WHY = "Your role in Muster lets you decide on people's access"


@pytest.fixture
def at(time_machine):
    """Time stands still at T0 (codes are the same within a step); at(seconds) moves on."""
    time_machine.move_to(T0, tick=False)

    def later(seconds: int) -> None:
        time_machine.move_to(T0 + datetime.timedelta(seconds=seconds), tick=False)

    return later


@pytest.fixture
def required(settings):
    settings.MFA_REQUIRED = True


def sign_in(client, user, password=PASSWORD):
    return client.post(SIGN_IN, {"login": user.email, "password": password})


def secret_on(page) -> str:
    """The setup key, as the enrolment page shows it in text."""
    (secret,) = re.findall(r'id="totp-secret"[^>]*>([A-Z2-7]+)<', page.content.decode())
    return secret


def enrol(client, user) -> str:
    """Signed in with a password, set up the app through the page; returns the secret."""
    sign_in(client, user)
    secret = secret_on(client.get(ACTIVATE))
    response = client.post(ACTIVATE, {"code": totp(secret)})
    assert response.status_code == 302, text_of(response)
    return secret


def h1_count(response) -> int:
    return len(re.findall(r"<h1[\s>]", response.content.decode()))


# --- the code helper itself ----------------------------------------------------------------


def test_the_code_helper_gives_rfc_6238s_own_test_values():
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp(secret, at=59, digits=8) == "94287082"
    assert totp(secret, at=1111111109, digits=8) == "07081804"
    assert totp(secret, at=2000000000, digits=8) == "69279037"


# --- enrolment -----------------------------------------------------------------------------


def test_the_enrolment_page_shows_the_key_as_text_and_asks_for_a_code(client, db, at):
    sign_in(client, UserFactory())

    page = client.get(ACTIVATE)

    assert page.status_code == 200
    assert h1_count(page) == 1
    html = page.content.decode()
    assert "Set up your authenticator app" in text_of(page)
    assert len(secret_on(page)) >= 16
    assert re.search(r'<img [^>]*alt="QR code that adds Muster to an authenticator app[^"]*"',
                     html)
    assert re.search(r'<label [^>]*for="id_code"[^>]*>Code from your app', html)
    assert 'autocomplete="one-time-code"' in html


def test_a_wrong_code_does_not_turn_it_on(client, db, at):
    person = UserFactory()
    sign_in(client, person)
    secret = secret_on(client.get(ACTIVATE))
    wrong = f"{(int(totp(secret)) + 1) % 1_000_000:06d}"

    response = client.post(ACTIVATE, {"code": wrong})

    assert response.status_code == 200
    assert "There is a problem" in text_of(response)
    assert "That code is not right" in text_of(response)
    assert secret_on(response) == secret  # the same key, to try again
    assert not Authenticator.objects.filter(user=person).exists()


def test_the_right_code_turns_it_on_and_shows_recovery_codes(client, db, at):
    person = UserFactory()
    enrol(client, person)

    assert Authenticator.objects.filter(user=person, type="totp").exists()
    codes = client.get(RECOVERY_CODES)
    assert codes.status_code == 200
    assert h1_count(codes) == 1
    listed = re.findall(r"<li><code>(\d{8})</code></li>", codes.content.decode())
    assert len(listed) == 10
    index = client.get(SECOND_FACTOR)
    assert "On." in text_of(index)
    assert "10 of 10 recovery codes left" in text_of(index)


def test_an_overlong_code_is_refused_with_the_limit(client, db, at):
    sign_in(client, UserFactory())
    client.get(ACTIVATE)

    response = client.post(ACTIVATE, {"code": "1" * 5000})

    assert response.status_code == 200
    assert "Ensure this value has at most 20 characters" in text_of(response)


# --- signing in with the second factor -----------------------------------------------------


def test_sign_in_asks_for_the_code_after_the_password(client, db, at):
    person = UserFactory()
    secret = enrol(client, person)
    client.post(SIGN_OUT)
    at(60)

    response = sign_in(client, person)

    assert response.status_code == 302
    assert response.url == AUTHENTICATE
    assert client.get(HOME).status_code == 302  # not signed in yet
    page = client.get(AUTHENTICATE)
    assert h1_count(page) == 1
    assert "Enter the code from your authenticator app" in text_of(page)
    wrong = client.post(AUTHENTICATE, {"code": f"{(int(totp(secret)) + 7) % 1_000_000:06d}"})
    assert "That code is not right" in text_of(wrong)
    assert client.get(HOME).status_code == 302

    right = client.post(AUTHENTICATE, {"code": totp(secret)})

    assert right.status_code == 302
    assert right.url == HOME
    assert client.get(HOME).status_code == 200


def test_a_code_works_once(client, db, at):
    person = UserFactory()
    secret = enrol(client, person)
    client.post(SIGN_OUT)
    at(60)
    sign_in(client, person)
    code = totp(secret)
    assert client.post(AUTHENTICATE, {"code": code}).url == HOME
    client.post(SIGN_OUT)

    sign_in(client, person)  # within the same 30 seconds: the same code
    again = client.post(AUTHENTICATE, {"code": code})

    assert again.status_code == 200
    assert client.get(HOME).status_code == 302


def test_a_recovery_code_signs_in_once(client, db, at):
    person = UserFactory()
    enrol(client, person)
    first = re.findall(r"<li><code>(\d{8})</code></li>",
                       client.get(RECOVERY_CODES).content.decode())[0]
    client.post(SIGN_OUT)

    sign_in(client, person)
    assert client.post(AUTHENTICATE, {"code": first}).url == HOME
    assert "9 of 10 recovery codes left" in text_of(client.get(SECOND_FACTOR))
    client.post(SIGN_OUT)

    sign_in(client, person)
    again = client.post(AUTHENTICATE, {"code": first})
    assert again.status_code == 200
    assert "That code is not right" in text_of(again)
    assert client.get(HOME).status_code == 302


def test_cancel_on_the_code_page_leaves_the_person_signed_out(client, db, at):
    person = UserFactory()
    enrol(client, person)
    client.post(SIGN_OUT)
    sign_in(client, person)

    response = client.post(SIGN_OUT, {"next": SIGN_IN})

    assert response.url == SIGN_IN
    assert client.get(AUTHENTICATE).status_code == 302
    assert client.get(HOME).status_code == 302


# --- required for the team, service leads and administrators --------------------------------


@pytest.mark.parametrize("role", [TeamRole.Role.ONBOARDING_TEAM, TeamRole.Role.TEAM_LEAD,
                                  TeamRole.Role.ADMINISTRATOR])
def test_a_team_member_without_a_second_factor_is_sent_to_set_one_up(client, db, at, required,
                                                                     role):
    person = team_member(role)

    response = sign_in(client, person)
    assert response.url == HOME
    home = client.get(HOME, follow=True)

    assert home.redirect_chain == [(ACTIVATE, 302)]
    assert WHY in text_of(home)
    assert "Set up your authenticator app" in text_of(home)
    for path in (reverse("contracts:list"), SECOND_FACTOR, reverse("notifications:mine")):
        assert client.get(path).url == ACTIVATE, path
    assert client.post(reverse("contracts:list")).url == ACTIVATE


def test_a_service_lead_and_a_staff_account_must_set_one_up_too(client, db, at, required, people):
    staff = UserFactory(is_staff=True)
    for person in (people["sas_lead"], staff):
        client.cookies.clear()
        sign_in(client, person)
        assert client.get(HOME).url == ACTIVATE


def test_once_set_up_the_team_member_uses_muster_and_signs_in_with_a_code(client, db, at,
                                                                         required):
    person = team_member(TeamRole.Role.ONBOARDING_TEAM)
    sign_in(client, person)
    page = client.get(ACTIVATE)
    secret = secret_on(page)
    assert client.post(ACTIVATE, {"code": totp(secret)}).url == RECOVERY_CODES
    assert client.get(HOME).status_code == 200
    client.post(SIGN_OUT)
    at(60)

    assert sign_in(client, person).url == AUTHENTICATE
    assert client.post(AUTHENTICATE, {"code": totp(secret)}).url == HOME
    assert client.get(reverse("contracts:list")).status_code == 200


def test_a_person_who_must_use_one_may_still_sign_out(client, db, at, required):
    person = team_member(TeamRole.Role.ONBOARDING_TEAM)
    sign_in(client, person)

    assert client.get(SIGN_OUT).status_code == 200
    client.post(SIGN_OUT)
    assert client.get(HOME).url.startswith(SIGN_IN)


def test_a_security_official_is_offered_it_but_not_forced(client, db, at, required, people):
    so = people["so"]
    sign_in(client, so)

    home = client.get(HOME)

    assert home.status_code == 200
    assert f'href="{SECOND_FACTOR}"' in home.content.decode()  # offered, in the account bar
    assert "Off." in text_of(client.get(SECOND_FACTOR))


def test_nobody_is_forced_when_the_setting_is_off(client, db, at, settings):
    settings.MFA_REQUIRED = False
    sign_in(client, team_member(TeamRole.Role.ADMINISTRATOR))
    assert client.get(HOME).status_code == 200


def test_a_role_given_while_signed_in_asks_for_it_on_the_next_page(client, db, at, required):
    person = UserFactory()
    sign_in(client, person)
    assert client.get(HOME).status_code == 200

    TeamRole.objects.create(user=person, role=TeamRole.Role.TEAM_LEAD)

    assert client.get(HOME).url == ACTIVATE


def test_someone_who_must_use_it_cannot_turn_it_off(client, db, at, required):
    person = team_member(TeamRole.Role.ONBOARDING_TEAM)
    enrol(client, person)

    page = client.get(reverse("mfa_deactivate_totp"))
    client.post(reverse("mfa_deactivate_totp"))

    assert "your authenticator app stays on" in text_of(page)
    assert Authenticator.objects.filter(user=person, type="totp").exists()


def test_anyone_else_may_turn_it_off(client, db, at, required, people):
    enrol(client, people["so"])

    client.post(reverse("mfa_deactivate_totp"))

    assert not Authenticator.objects.filter(user=people["so"], type="totp").exists()


# --- the admin site ------------------------------------------------------------------------


def test_the_admin_site_signs_in_through_muster_and_asks_for_the_code(client, db, at, required):
    admin = UserFactory(is_staff=True, is_superuser=True)
    secret = enrol(client, admin)
    client.post(SIGN_OUT)
    at(60)

    to_sign_in = client.get("/admin/login/?next=/admin/")
    assert to_sign_in.status_code == 302
    assert to_sign_in.url == f"{SIGN_IN}?next=%2Fadmin%2F"
    response = client.post(to_sign_in.url, {"login": admin.email, "password": PASSWORD})
    assert response.url == AUTHENTICATE
    assert client.get("/admin/").status_code == 302

    done = client.post(AUTHENTICATE, {"code": totp(secret)})

    assert done.url == "/admin/"
    assert "Site administration" in text_of(client.get("/admin/"))


def test_the_admin_site_sends_staff_without_a_second_factor_to_set_one_up(client, db, at,
                                                                          required):
    admin = UserFactory(is_staff=True, is_superuser=True)
    sign_in(client, admin)

    assert client.get("/admin/").url == ACTIVATE


def test_someone_without_a_password_who_signed_in_long_ago_signs_in_again_to_enrol(
        client, db, at, required):
    """Enrolment needs a recent sign-in or the password again; a person who signs in only
    through single sign-on has no password to give, so Muster asks them to sign in again."""
    person = team_member(TeamRole.Role.ONBOARDING_TEAM)
    person.set_unusable_password()
    person.save()
    client.force_login(person)  # no record of a recent sign-in

    page = client.get(HOME, follow=True)

    assert page.redirect_chain[-1][0] == f"{SIGN_IN}?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"
    assert "Sign in again to set up your second factor" in text_of(page)
    assert client.get(HOME).status_code == 302


def test_someone_who_signed_in_long_ago_confirms_the_password_then_enrols(client, db, at,
                                                                          required):
    person = team_member(TeamRole.Role.ONBOARDING_TEAM)
    client.force_login(person)  # no record of a recent sign-in

    confirm = client.get(ACTIVATE)
    assert confirm.url.startswith(reverse("account_reauthenticate"))
    page = client.get(confirm.url)
    assert "Confirm it is you" in text_of(page)
    assert h1_count(page) == 1

    back = client.post(confirm.url, {"password": PASSWORD})

    assert back.url == ACTIVATE
    secret = secret_on(client.get(ACTIVATE))
    assert client.post(ACTIVATE, {"code": totp(secret)}).url == RECOVERY_CODES
