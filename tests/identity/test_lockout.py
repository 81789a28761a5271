"""Sign-in limits per account and per IP address that nobody can use to hold a person out
(muster/identity/lockout.py): OWASP's device cookie. Each `Client` is a browser; its
REMOTE_ADDR is where it signs in from."""

import datetime
import json

import pytest
from django.conf import settings
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client
from django.urls import reverse

from muster.audit.models import AuditEvent
from muster.identity.lockout import DEVICE_COOKIE
from tests.factories import PASSWORD, UserFactory
from tests.pages import text_of

SIGN_IN = reverse("account_login")
SIGN_OUT = reverse("account_logout")
HOME = reverse("home")
EMAIL = "dana.reyes@example.com"
WRONG = "not-the-password-at-all"
NOT_RIGHT = "The email address or password is not right"
LOCKED = "Too many failed sign-in attempts for this email address"
NETWORK_LOCKED = "Too many failed sign-in attempts from your network"
LAPTOP_IP, ATTACKER_IP, OFFICE_IP = "10.0.0.5", "203.0.113.66", "198.51.100.7"


@pytest.fixture
def dana(db):
    return UserFactory(email=EMAIL, full_name="Dana Reyes")


def browser(ip: str) -> Client:
    return Client(REMOTE_ADDR=ip)


def sign_in(client, email=EMAIL, password=PASSWORD):
    return client.post(SIGN_IN, {"login": email, "password": password})


def signed_in(client) -> bool:
    return client.get(HOME).status_code == 200


def fail(client, times, email=EMAIL):
    for _ in range(times):
        response = sign_in(client, email=email, password=WRONG)
        assert response.status_code == 200
        assert NOT_RIGHT in text_of(response), text_of(response)


def trusted_laptop(dana) -> Client:
    """Dana's own laptop: she signed in on it before, and signed out."""
    laptop = browser(LAPTOP_IP)
    assert sign_in(laptop).status_code == 302
    laptop.post(SIGN_OUT)
    return laptop


# --- the device cookie ---------------------------------------------------------------------


def test_a_sign_in_leaves_a_signed_http_only_device_cookie_that_does_not_show_the_email(dana):
    laptop = browser(LAPTOP_IP)
    assert DEVICE_COOKIE not in laptop.cookies

    sign_in(laptop)

    cookie = laptop.cookies[DEVICE_COOKIE]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] >= 30 * 24 * 60 * 60
    assert "dana" not in cookie.value.lower()
    assert ":" in cookie.value  # django.core.signing's signature


def test_a_failed_sign_in_leaves_no_device_cookie(dana):
    stranger = browser(ATTACKER_IP)
    fail(stranger, 1)
    assert DEVICE_COOKIE not in stranger.cookies


# --- nobody can hold the account ------------------------------------------------------------


def test_someone_hammering_the_account_cannot_keep_its_owner_out_of_her_laptop(dana):
    laptop = trusted_laptop(dana)
    attacker = browser(ATTACKER_IP)
    fail(attacker, settings.LOGIN_FAILURE_LIMIT)
    assert LOCKED in text_of(sign_in(attacker))  # even the right password, from there

    assert sign_in(laptop).status_code == 302
    assert signed_in(laptop)
    assert LOCKED in text_of(sign_in(attacker))  # her sign-in did not unlock it for others


def test_a_new_browser_is_locked_out_with_everyone_else(dana):
    trusted_laptop(dana)
    fail(browser(ATTACKER_IP), settings.LOGIN_FAILURE_LIMIT)

    new_phone = browser(LAPTOP_IP)
    response = sign_in(new_phone)

    assert LOCKED in text_of(response)
    assert not signed_in(new_phone)


def test_the_laptop_has_its_own_limit_then_counts_as_a_stranger(dana):
    laptop = trusted_laptop(dana)

    fail(laptop, settings.LOGIN_DEVICE_FAILURE_LIMIT)  # its own tries, all used
    fail(laptop, settings.LOGIN_FAILURE_LIMIT)  # now counted against the account

    response = sign_in(laptop)
    assert LOCKED in text_of(response)
    assert not signed_in(laptop)


def test_the_laptops_own_failures_do_not_lock_the_account_for_others(dana):
    laptop = trusted_laptop(dana)
    fail(laptop, settings.LOGIN_DEVICE_FAILURE_LIMIT - 1)

    office = browser(OFFICE_IP)
    assert sign_in(office).status_code == 302


def test_a_device_cookie_of_another_account_or_a_forged_one_does_not_count(dana):
    laptop_value = trusted_laptop(dana).cookies[DEVICE_COOKIE].value
    sam = UserFactory(email="sam.ortiz@example.com")
    attacker = browser(ATTACKER_IP)
    assert sign_in(attacker, email=sam.email).status_code == 302  # the attacker's own account
    attacker.post(SIGN_OUT)
    fail(attacker, settings.LOGIN_FAILURE_LIMIT)
    assert LOCKED in text_of(sign_in(attacker))  # Sam's device cookie is no key to Dana's

    forger = browser(ATTACKER_IP)
    forger.cookies[DEVICE_COOKIE] = laptop_value[:-4] + (
        "AAAA" if not laptop_value.endswith("AAAA") else "BBBB")
    assert LOCKED in text_of(sign_in(forger))


def test_a_copied_device_cookie_gets_only_the_devices_few_tries(dana):
    """A stolen cookie is no key: it buys the device's small limit, then the lockout."""
    laptop_cookie = trusted_laptop(dana).cookies[DEVICE_COOKIE].value
    thief = browser(ATTACKER_IP)
    thief.cookies[DEVICE_COOKIE] = laptop_cookie
    fail(browser(OFFICE_IP), settings.LOGIN_FAILURE_LIMIT)

    fail(thief, settings.LOGIN_DEVICE_FAILURE_LIMIT)

    assert LOCKED in text_of(sign_in(thief, password=WRONG))


# --- per IP address -------------------------------------------------------------------------


def test_many_failures_from_one_address_across_accounts_lock_that_address(dana):
    attacker = browser(ATTACKER_IP)
    for n in range(settings.LOGIN_IP_FAILURE_LIMIT):
        fail(attacker, 1, email=f"guess{n}@example.com")  # under each account's own limit

    response = sign_in(attacker)  # the right password of a real account, from there

    assert NETWORK_LOCKED in text_of(response)
    assert not signed_in(attacker)
    office = browser(OFFICE_IP)
    assert sign_in(office).status_code == 302


def test_a_trusted_browser_on_a_locked_address_still_signs_in(dana):
    laptop = trusted_laptop(dana)
    neighbour = browser(LAPTOP_IP)  # same network as the laptop
    for n in range(settings.LOGIN_IP_FAILURE_LIMIT):
        fail(neighbour, 1, email=f"guess{n}@example.com")
    assert NETWORK_LOCKED in text_of(sign_in(neighbour))

    assert sign_in(laptop).status_code == 302


def test_an_attackers_own_successful_sign_ins_do_not_wash_away_their_failures(dana):
    sam = UserFactory(email="sam.ortiz@example.com")
    attacker = browser(ATTACKER_IP)
    for n in range(settings.LOGIN_IP_FAILURE_LIMIT):
        fail(attacker, 1, email=f"guess{n}@example.com")
        if n % 5 == 4:
            attacker.cookies.clear()
            assert sign_in(attacker, email=sam.email).status_code in (200, 302)
            attacker.post(SIGN_OUT)
            attacker.cookies.clear()

    assert NETWORK_LOCKED in text_of(sign_in(attacker))


def test_an_address_lock_ends_after_the_lockout_minutes(dana, freeze_today, time_machine):
    day = freeze_today()
    start = datetime.datetime.combine(day, datetime.time(12, 0), tzinfo=datetime.UTC)
    attacker = browser(ATTACKER_IP)
    for n in range(settings.LOGIN_IP_FAILURE_LIMIT):
        fail(attacker, 1, email=f"guess{n}@example.com")

    time_machine.move_to(start + datetime.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES - 1),
                         tick=False)
    assert NETWORK_LOCKED in text_of(sign_in(attacker))

    time_machine.move_to(start + datetime.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES,
                                                    seconds=1), tick=False)
    assert sign_in(attacker).status_code == 302


# --- unknown accounts, and the audit record ------------------------------------------------


def test_an_unknown_account_is_locked_and_answered_exactly_as_a_real_one(dana):
    unknown = "nobody.here@example.com"
    real_browser, nobody_browser = browser(ATTACKER_IP), browser(OFFICE_IP)
    fail(real_browser, settings.LOGIN_FAILURE_LIMIT)
    fail(nobody_browser, settings.LOGIN_FAILURE_LIMIT, email=unknown)

    real = text_of(sign_in(real_browser)).replace(EMAIL, "EMAIL")
    nobody = text_of(sign_in(nobody_browser, email=unknown)).replace(unknown, "EMAIL")

    assert LOCKED in nobody
    assert nobody == real


def test_a_lockout_is_on_the_audit_record_without_the_password(dana):
    attacker = browser(ATTACKER_IP)
    fail(attacker, settings.LOGIN_FAILURE_LIMIT)
    sign_in(attacker)  # refused: not another lockout

    (event,) = AuditEvent.objects.filter(action="sign_in.locked_out")
    assert EMAIL in event.summary
    assert f"{settings.LOGIN_LOCKOUT_MINUTES} minutes" in event.summary
    assert event.after == {"email": EMAIL, "ip_address": ATTACKER_IP}
    every_record = json.dumps([[e.summary, e.before, e.after, e.object_repr]
                               for e in AuditEvent.objects.all()])
    assert WRONG not in every_record
    assert PASSWORD not in every_record


def test_an_address_lockout_is_on_the_audit_record(dana):
    attacker = browser(ATTACKER_IP)
    for n in range(settings.LOGIN_IP_FAILURE_LIMIT):
        fail(attacker, 1, email=f"guess{n}@example.com")

    (event,) = AuditEvent.objects.filter(action="sign_in.address_locked_out")
    assert ATTACKER_IP in event.summary
    assert WRONG not in json.dumps([event.summary, event.after])


# --- timing: an unknown account costs what a real one does ----------------------------------


class CountingHasher(MD5PasswordHasher):
    """Django's MD5 hasher (fast, for tests) that counts the hashes it computes."""

    computed = 0

    def encode(self, password, salt):
        type(self).computed += 1
        return super().encode(password, salt)


def hashes_for(client, email, password) -> int:
    before = CountingHasher.computed
    sign_in(client, email=email, password=password)
    return CountingHasher.computed - before


def test_an_unknown_account_costs_one_hash_as_a_real_one_does_and_a_lock_costs_none(dana,
                                                                                  settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    dana.set_password(PASSWORD)
    dana.save()
    unknown = "nobody.here@example.com"

    assert hashes_for(browser(OFFICE_IP), EMAIL, WRONG) == 1
    assert hashes_for(browser(OFFICE_IP), unknown, WRONG) == 1

    fail(browser(ATTACKER_IP), settings.LOGIN_FAILURE_LIMIT - 1)  # with the one above: locked
    fail(browser(ATTACKER_IP), settings.LOGIN_FAILURE_LIMIT - 1, email=unknown)
    assert hashes_for(browser(ATTACKER_IP), EMAIL, PASSWORD) == 0  # locked: never checked
    assert hashes_for(browser(ATTACKER_IP), unknown, PASSWORD) == 0
