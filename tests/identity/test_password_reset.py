"""Forgot your password: the same answer whether or not the account exists, a link that
works once and for a short time, delivered through the outbox to a real SMTP server, a new
password that signs the person out everywhere else and lifts a lockout."""

import datetime
import email
import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from muster.accounts.models import TeamRole, User
from muster.notifications import delivery
from muster.notifications.models import OutboxEmail
from tests.factories import PASSWORD, UserFactory, team_member
from tests.pages import text_of

SIGN_IN = reverse("account_login")
SIGN_OUT = reverse("account_logout")
HOME = reverse("home")
RESET = reverse("account_reset_password")
RESET_DONE = reverse("account_reset_password_done")
CHANGE = reverse("account_change_password")
EMAIL = "dana.reyes@example.com"
NEW = "a-brand-new-passphrase-42"
WRONG = "not-the-password-at-all"
LOCKED = "Too many failed sign-in attempts for this email address"
SUBJECT = "Muster: Reset your password"
T0 = datetime.datetime(2026, 11, 24, 14, 0, tzinfo=datetime.UTC)
LINK = re.compile(r"https?://\S+/accounts/password/reset/key/\S+")




@pytest.fixture
def at(time_machine):
    time_machine.move_to(T0, tick=False)

    def move(minutes: float) -> None:
        time_machine.move_to(T0 + datetime.timedelta(minutes=minutes), tick=False)

    return move


@pytest.fixture
def dana(db):
    return UserFactory(email=EMAIL, full_name="Dana Reyes")


def sign_in(client, email=EMAIL, password=PASSWORD):
    return client.post(SIGN_IN, {"login": email, "password": password})


def signed_in(client) -> bool:
    return client.get(HOME).status_code == 200


def ask_for_reset(client, address=EMAIL):
    return client.post(RESET, {"email": address})


def delivered_link(smtp) -> str:
    """Deliver the outbox to the SMTP server; the link in the one reset email it received."""
    assert delivery.deliver_due().sent == 1
    (envelope,) = smtp.envelopes
    message = email.message_from_bytes(envelope.content)
    assert message["Subject"] == SUBJECT
    body = message.get_payload(decode=True).decode()
    (link,) = LINK.findall(body)
    return link


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return parts.path


def choose_password(client, link: str, password: str = NEW):
    """Open the link, then post the new password on the page it leads to."""
    opened = client.get(path_of(link))
    if opened.status_code != 302:
        return opened
    return client.post(opened.url, {"password1": password, "password2": password})


def h1_count(response) -> int:
    return len(re.findall(r"<h1[\s>]", response.content.decode()))


# --- asking for a link ---------------------------------------------------------------------


def test_sign_in_offers_forgot_your_password_as_a_described_link(client, db):
    html = client.get(SIGN_IN).content.decode()

    link = re.search(r'<div class="usa-hint" id="(id_password_helptext)">\s*'
                     r'<a class="usa-link" href="([^"]+)">Forgot your password\?</a>', html)
    assert link, html
    assert link.group(2) == RESET
    assert re.search(r'<input [^>]*aria-describedby="id_password_helptext"', html)


def test_the_reset_page_is_accessible_and_says_what_happens(client, db):
    page = client.get(RESET)

    assert page.status_code == 200
    assert h1_count(page) == 1
    assert "Reset your password" in text_of(page)
    html = page.content.decode()
    assert re.search(r'<label [^>]*for="id_email"', html)
    assert re.search(r'<input [^>]*type="email"[^>]*id="id_email"|<input [^>]*id="id_email"'
                     r'[^>]*type="email"', html)


def test_a_bad_address_gets_the_error_summary(client, db):
    response = ask_for_reset(client, "not-an-email")

    assert response.status_code == 200
    assert "There is a problem" in text_of(response)
    assert "Email address: Enter a valid email address." in text_of(response)


def test_an_overlong_address_is_refused_with_the_limit(client, db):
    address = "a" * 60 + "@" + ".".join(["b" * 60] * 4) + ".example"

    response = ask_for_reset(client, address)

    assert f"Ensure this value has at most 254 characters (it has {len(address)})." in (
        text_of(response))


def test_the_same_answer_whether_or_not_the_account_exists(client, dana):
    known = ask_for_reset(client, EMAIL)
    unknown = ask_for_reset(client, "nobody.here@example.com")

    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url == RESET_DONE
    done = client.get(RESET_DONE)
    assert h1_count(done) == 1
    assert "If Muster has an account for the address you entered" in text_of(done)
    # Only the real account is mailed; nothing goes to an address Muster never named.
    assert list(OutboxEmail.objects.values_list("to", flat=True)) == [[EMAIL]]


def test_an_inactive_account_gets_the_same_answer_and_no_email(client, db):
    UserFactory(email=EMAIL, is_active=False)

    response = ask_for_reset(client)

    assert response.url == RESET_DONE
    assert not OutboxEmail.objects.exists()


# --- the email and its link, end to end ------------------------------------------------------


def test_the_email_reaches_the_server_and_its_link_sets_a_new_password_once(client, dana, smtp,
                                                                           at):
    ask_for_reset(client, "Dana.Reyes@Example.com")
    row = OutboxEmail.objects.get()
    assert row.confidential
    link = delivered_link(smtp)
    (envelope,) = smtp.envelopes
    assert envelope.rcpt_tos == [EMAIL]
    body = email.message_from_bytes(envelope.content).get_payload(decode=True).decode()
    assert "Hello Dana Reyes" in body
    assert f"within {settings.PASSWORD_RESET_TIMEOUT // 60} minutes" in body
    row.refresh_from_db()
    assert "reset/key" not in row.body  # forgotten once sent

    form = client.get(path_of(link), follow=True)
    assert h1_count(form) == 1
    assert "Choose a new password" in text_of(form)
    assert path_of(link) not in form.content.decode()  # the key left the address bar
    done = client.post(form.redirect_chain[-1][0], {"password1": NEW, "password2": NEW},
                       follow=True)
    assert "Your password is changed" in text_of(done)

    assert sign_in(client, password=NEW).status_code == 302
    assert signed_in(client)
    client.post(SIGN_OUT)
    again = Client().get(path_of(link), follow=True)
    assert "This link no longer works" in text_of(again)
    assert h1_count(again) == 1
    assert f'href="{RESET}"' in again.content.decode()


def test_the_link_is_not_shown_in_the_outbox_or_the_notification(client, dana, smtp):
    ask_for_reset(client)
    row = OutboxEmail.objects.get()
    key_part = LINK.search(row.body).group(0)
    team = team_member(TeamRole.Role.ONBOARDING_TEAM)

    outbox = Client()
    outbox.force_login(team)
    assert key_part not in outbox.get(reverse("notifications:outbox")).content.decode()
    mine = Client()
    mine.force_login(dana)
    detail = mine.get(reverse("notifications:detail", args=[row.pk]))
    assert detail.status_code == 200
    assert key_part not in detail.content.decode()
    assert "Muster does not show it" in text_of(detail)


def test_the_link_expires_after_the_reset_timeout(client, dana, smtp, at):
    ask_for_reset(client)
    link = delivered_link(smtp)

    at(settings.PASSWORD_RESET_TIMEOUT / 60 + 1)
    response = choose_password(client, link)

    assert "This link no longer works" in text_of(response)
    assert User.objects.get(email=EMAIL).check_password(PASSWORD)


def test_within_the_timeout_the_link_still_works(client, dana, smtp, at):
    ask_for_reset(client)
    link = delivered_link(smtp)

    at(settings.PASSWORD_RESET_TIMEOUT / 60 - 1)
    choose_password(client, link)

    assert User.objects.get(email=EMAIL).check_password(NEW)


def test_the_new_password_must_pass_the_password_rules(client, dana, smtp):
    ask_for_reset(client)
    opened = client.get(path_of(delivered_link(smtp)))

    short = client.post(opened.url, {"password1": "abc", "password2": "abc"})
    mismatch = client.post(opened.url, {"password1": NEW, "password2": NEW + "x"})

    assert "There is a problem" in text_of(short)
    assert "This password is too short" in text_of(short)
    assert "You must type the same password each time" in text_of(mismatch)
    assert User.objects.get(email=EMAIL).check_password(PASSWORD)


# --- a new password ends the other sessions --------------------------------------------------


def test_a_reset_password_signs_the_person_out_everywhere(dana, smtp):
    laptop, phone, stranger = Client(), Client(), Client()
    sign_in(laptop)
    sign_in(phone)
    assert signed_in(laptop) and signed_in(phone)

    ask_for_reset(stranger)
    choose_password(stranger, delivered_link(smtp))

    assert not signed_in(laptop)
    assert not signed_in(phone)


def test_a_changed_password_keeps_this_session_and_ends_the_others(dana):
    laptop, phone = Client(), Client()
    sign_in(laptop)
    sign_in(phone)

    page = laptop.get(CHANGE)
    assert h1_count(page) == 1
    response = laptop.post(CHANGE, {"oldpassword": PASSWORD, "password1": NEW,
                                    "password2": NEW})

    assert response.status_code == 302
    assert signed_in(laptop)
    assert not signed_in(phone)
    assert User.objects.get(email=EMAIL).check_password(NEW)


# --- a locked-out account --------------------------------------------------------------------


def test_a_locked_out_account_can_reset_its_password_and_the_reset_lifts_the_lock(client, dana,
                                                                               smtp):
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(attacker, password=WRONG)
    assert LOCKED in text_of(sign_in(client))

    assert ask_for_reset(client).url == RESET_DONE
    choose_password(client, delivered_link(smtp))

    assert sign_in(client, password=NEW).status_code == 302
    assert signed_in(client)
