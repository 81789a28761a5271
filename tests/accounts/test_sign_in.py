"""Signing in and out, through the pages a person uses: /accounts/sign-in/ and sign-out."""

import datetime
import re
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from django.conf import global_settings, settings
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory, signed_in
from tests.pages import text_of

SIGN_IN = reverse("account_login")
SIGN_OUT = reverse("account_logout")
INACTIVE = reverse("account_inactive")
HOME = reverse("home")

EMAIL = "dana.reyes@example.com"
WRONG = "not-the-password-at-all"
NOT_RIGHT = "The email address or password is not right"
LOCKED = "Too many failed sign-in attempts"


class Elements(HTMLParser):
    """Every start tag of a page, with its attributes."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attrs for t, attrs in self.tags if t == tag]

    def field(self, name: str) -> dict[str, str]:
        (found,) = [a for t, a in self.tags if t == "input" and a.get("name") == name]
        return found


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    """Real hashing takes about half a second a password; these tests sign in a lot."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def dana(db):
    return UserFactory(email=EMAIL, full_name="Dana Reyes")


def sign_in(client, email=EMAIL, password=PASSWORD, **extra):
    return client.post(SIGN_IN, {"login": email, "password": password, **extra})


def is_signed_in(client) -> bool:
    return client.get(HOME).status_code == 200


def page_text(response) -> str:
    return response.content.decode()


def without_email_and_token(response, email: str) -> str:
    """The page with what legitimately differs between two attempts taken out."""
    html = page_text(response).replace(email, "EMAIL")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def at(time_machine, moment: datetime.datetime) -> None:
    time_machine.move_to(moment, tick=False)


# --- signing in ---------------------------------------------------------------------------


def test_right_email_and_password_lands_on_home_which_greets_them(client, dana):
    response = sign_in(client, email="Dana.Reyes@Example.COM")

    assert response.status_code == 302
    assert response.url == HOME
    home = client.get(HOME)
    assert home.status_code == 200
    assert "Welcome, Dana" in page_text(home)
    assert "Signed in as Dana Reyes" in page_text(home)


def test_sign_in_returns_to_the_page_asked_for_but_never_to_another_site(client, dana):
    response = sign_in(client, next=reverse("contracts:list"))
    assert response.url == reverse("contracts:list")

    client.post(SIGN_OUT)
    response = sign_in(client, next="https://evil.example.net/")
    assert response.status_code == 302
    assert response.url == HOME


def test_sign_in_page_is_accessible(client, db):
    response = client.get(SIGN_IN)

    assert response.status_code == 200
    html = page_text(response)
    assert len(re.findall(r"<h1[\s>]", html)) == 1
    page = Elements(html)
    assert {"href": "#main-content", "class": "usa-skipnav"}.items() <= page.all("a")[0].items()
    assert any(attrs.get("id") == "main-content" for _, attrs in page.tags)
    inputs = [a for a in page.all("input") if a.get("type") not in {"hidden", "submit"}]
    assert {a["name"] for a in inputs} == {"login", "password"}
    label_targets = [label.get("for") for label in page.all("label")]
    for field in inputs:
        assert field["id"], field
        assert label_targets.count(field["id"]) == 1, field
    assert page.field("login")["type"] == "email"
    assert page.field("password")["type"] == "password"


def test_signed_in_person_opening_sign_in_goes_home(client, dana):
    signed_in(client, dana)
    response = client.get(SIGN_IN)
    assert response.status_code == 302
    assert response.url == HOME


def test_wrong_password_says_so_and_keeps_the_email(client, dana):
    typed = "Dana.Reyes@example.com"
    response = sign_in(client, email=typed, password=WRONG)

    assert response.status_code == 200
    assert NOT_RIGHT in page_text(response)
    assert Elements(page_text(response)).field("login")["value"] == typed
    assert Elements(page_text(response)).field("password").get("value", "") == ""
    assert not is_signed_in(client)


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(client, dana):
    unknown = "nobody.here@example.com"
    wrong_password = sign_in(client, email=EMAIL, password=WRONG)
    unknown_email = sign_in(client, email=unknown, password=WRONG)

    assert unknown_email.status_code == wrong_password.status_code == 200
    assert NOT_RIGHT in page_text(unknown_email)
    assert without_email_and_token(unknown_email, unknown) == without_email_and_token(
        wrong_password, EMAIL
    )
    assert not is_signed_in(client)


@pytest.mark.parametrize(("typed", "message"), [
    ("not-an-email", "Email address: Enter a valid email address."),
    ("", "Email address: This field is required."),
])
def test_an_email_that_is_not_an_email_gets_a_clear_message(client, db, typed, message):
    client.raise_request_exception = False
    response = sign_in(client, email=typed, password=WRONG)

    assert response.status_code == 200
    assert "There is a problem" in text_of(response)
    assert message in text_of(response)
    assert not is_signed_in(client)


def test_inactive_account_cannot_sign_in(client, db):
    UserFactory(email=EMAIL, is_active=False)

    response = client.post(SIGN_IN, {"login": EMAIL, "password": PASSWORD}, follow=True)

    assert response.redirect_chain == [(INACTIVE, 302)]
    assert "Your account is not active" in text_of(response)
    assert not is_signed_in(client)


def test_inactive_account_with_right_password_is_told_it_is_not_active(client, db):
    UserFactory(email=EMAIL, is_active=False)

    page = client.post(SIGN_IN, {"login": EMAIL, "password": PASSWORD}, follow=True)

    text = text_of(page)
    assert len(re.findall(r"<h1[\s>]", page_text(page))) == 1
    assert "Your account is not active" in text
    assert "Ask the onboarding team to restore it" in text
    assert "contract-onboarding@example.gov" in text  # whom to ask, from the help contacts


def test_inactive_account_with_a_wrong_password_hears_only_that_it_is_wrong(client, db):
    UserFactory(email=EMAIL, is_active=False)

    response = sign_in(client, password=WRONG)

    assert response.status_code == 200
    assert NOT_RIGHT in text_of(response)
    assert "not active" not in text_of(response)


def test_passwords_are_stored_hashed(db, settings):
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    dana = UserFactory(email=EMAIL)
    dana.refresh_from_db()
    assert dana.password != PASSWORD
    assert PASSWORD not in dana.password
    assert dana.password.startswith(("pbkdf2_", "argon2", "bcrypt", "scrypt"))
    assert dana.check_password(PASSWORD)
    assert not dana.check_password(WRONG)


# --- lockout ------------------------------------------------------------------------------


def fail(client, times, email=EMAIL):
    for _ in range(times):
        response = sign_in(client, email=email, password=WRONG)
        assert response.status_code == 200
        assert NOT_RIGHT in page_text(response)


def test_one_failure_short_of_the_limit_the_right_password_still_works(client, dana):
    fail(client, settings.LOGIN_FAILURE_LIMIT - 1)

    assert sign_in(client).status_code == 302
    assert is_signed_in(client)


def test_after_the_limit_even_the_right_password_is_refused(client, dana):
    fail(client, settings.LOGIN_FAILURE_LIMIT)

    response = sign_in(client)

    assert response.status_code == 200
    html = page_text(response)
    assert LOCKED in html
    assert f"Wait {settings.LOGIN_LOCKOUT_MINUTES} minutes" in html
    assert NOT_RIGHT not in html
    assert not is_signed_in(client)


def test_failures_count_whatever_the_case_of_the_typed_email(client, dana):
    for n in range(settings.LOGIN_FAILURE_LIMIT):
        fail(client, 1, email=EMAIL.upper() if n % 2 else EMAIL.title())

    assert LOCKED in page_text(sign_in(client))


def test_lockout_of_an_unknown_email_looks_the_same_as_of_a_real_one(client, dana):
    unknown = "nobody.here@example.com"
    fail(client, settings.LOGIN_FAILURE_LIMIT)
    fail(client, settings.LOGIN_FAILURE_LIMIT, email=unknown)

    real = sign_in(client)
    nobody = sign_in(client, email=unknown, password=PASSWORD)

    assert LOCKED in page_text(nobody)
    assert without_email_and_token(nobody, unknown) == without_email_and_token(real, EMAIL)


def test_lockout_is_for_that_email_only(client, dana):
    someone_else = UserFactory(email="sam.ortiz@example.com")
    fail(client, settings.LOGIN_FAILURE_LIMIT)

    assert sign_in(client, email=someone_else.email).status_code == 302
    assert is_signed_in(client)


def test_lockout_ends_after_the_lockout_minutes(client, dana, freeze_today, time_machine):
    day = freeze_today()
    start = datetime.datetime.combine(day, datetime.time(12, 0), tzinfo=datetime.UTC)
    fail(client, settings.LOGIN_FAILURE_LIMIT)
    minutes = settings.LOGIN_LOCKOUT_MINUTES

    at(time_machine, start + datetime.timedelta(minutes=minutes - 1))
    assert LOCKED in page_text(sign_in(client))
    assert not is_signed_in(client)

    at(time_machine, start + datetime.timedelta(minutes=minutes, seconds=1))
    response = sign_in(client)
    assert response.status_code == 302
    assert is_signed_in(client)


def test_a_successful_sign_in_clears_earlier_failures(client, dana):
    fail(client, settings.LOGIN_FAILURE_LIMIT - 1)
    assert sign_in(client).status_code == 302
    client.post(SIGN_OUT)

    fail(client, 1)  # would be the limit if the earlier failures still counted

    assert sign_in(client).status_code == 302
    assert is_signed_in(client)


def test_a_blank_password_does_not_reset_the_failure_count(client, dana):
    fail(client, settings.LOGIN_FAILURE_LIMIT - 1)
    blank = sign_in(client, password="")
    assert blank.status_code == 200
    fail(client, 1)

    response = sign_in(client)

    assert LOCKED in page_text(response)
    assert not is_signed_in(client)


# --- signing out, and pages for people signed out -----------------------------------------


def test_opening_sign_out_asks_first_and_only_the_button_signs_out(client, dana):
    signed_in(client, dana)

    page = client.get(SIGN_OUT)

    assert page.status_code == 200
    assert "Sign out of Muster?" in text_of(page)
    assert len(re.findall(r"<h1[\s>]", page_text(page))) == 1
    assert is_signed_in(client)  # GET never signs out
    client.post(SIGN_OUT)
    assert not is_signed_in(client)


def test_sign_out_signs_the_person_out_and_shows_sign_in(client, dana):
    signed_in(client, dana)

    response = client.post(SIGN_OUT, follow=True)

    assert response.redirect_chain[0] == (SIGN_IN, 302)
    assert response.status_code == 200
    assert "Sign in to Muster" in page_text(response)
    assert "Signed in as" not in page_text(response)
    home = client.get(HOME)
    assert home.status_code == 302
    assert home.url == f"{SIGN_IN}?next={quote(HOME)}"


def signed_out_pages(people):
    mine = people["mine"]
    return [
        HOME,
        reverse("contracts:list"),
        reverse("contracts:detail", args=[mine.pk]),
        reverse("contracts:edit", args=[mine.pk]),
        reverse("contracts:history", args=[mine.pk]),
    ]


def test_signed_out_every_page_but_sign_in_leads_to_sign_in(client, people):
    for path in signed_out_pages(people):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.url == f"{SIGN_IN}?next={quote(path)}", path
        assert "Mine" not in page_text(response)

    assert client.get(SIGN_IN).status_code == 200


def test_signed_out_nobody_completes_a_step(client, people):
    mine = people["mine"]
    step = mine.steps.order_by("order").first()
    path = reverse("contracts:step_complete", args=[mine.pk, step.pk])

    response = client.post(path, {"note": "done"})

    assert response.status_code == 302
    assert response.url.startswith(f"{SIGN_IN}?next=")
    step.refresh_from_db()
    assert step.completed_at is None
