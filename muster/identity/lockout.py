"""Sign-in limits per account and per IP address, that nobody can use to hold a person out.

The design is OWASP's "device cookie" (Slow Brute Force Attacks, lockout that cannot be
held):

- A successful sign-in leaves a signed, HttpOnly *device cookie* in that browser, naming
  the account (by a keyed digest of its email, not the email itself) and a random nonce.
- An attempt *without* a valid device cookie for the account typed is *untrusted*. Untrusted
  failures count per account (LOGIN_FAILURE_LIMIT within LOGIN_LOCKOUT_MINUTES locks the
  account to untrusted attempts for the window) and per IP address (LOGIN_IP_FAILURE_LIMIT
  failures across any accounts lock that address out for the window).
- An attempt *with* a valid device cookie is *trusted*: neither the account's nor the
  address's lockout applies to it, so someone hammering the account from elsewhere cannot
  keep its owner out of a browser they signed in with before. Each device has its own,
  smaller limit (LOGIN_DEVICE_FAILURE_LIMIT); once it is reached the cookie no longer
  counts and the attempt is untrusted like any other.
- A lock ends by itself after the window; a successful password reset clears it at once.
  Locks are audited (never the password typed). The email typed is the key whether or not
  an account has it, so an unknown address gets the same answers as a real one.
"""

import datetime
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.http import HttpRequest, HttpResponseBase
from django.utils.crypto import constant_time_compare, salted_hmac

from muster import clock
from muster.accounts.models import LoginFailure
from muster.audit import services as audit

DEVICE_COOKIE = "muster_device"
_DEVICE_SALT = "muster.identity.lockout.device"
DEVICE_COOKIE_DAYS = 365


def normalize_email(email: str) -> str:
    return email.strip().lower()[:254]


def window_start() -> datetime.datetime:
    """Failures since then count towards a lockout."""
    return clock.now() - datetime.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


# --- the device cookie --------------------------------------------------------------------


def _account_digest(email: str) -> str:
    return salted_hmac(_DEVICE_SALT, normalize_email(email), algorithm="sha256").hexdigest()


def device_cookie_value(email: str) -> str:
    """A new device cookie's value for the account with this email: signed, so it cannot
    be forged, and naming the account only by a keyed digest."""
    return signing.dumps({"a": _account_digest(email), "n": secrets.token_hex(16)},
                         salt=_DEVICE_SALT, compress=False)


def set_device_cookie(response: HttpResponseBase, email: str) -> None:
    response.set_cookie(
        DEVICE_COOKIE, device_cookie_value(email),
        max_age=DEVICE_COOKIE_DAYS * 24 * 60 * 60,
        httponly=True, secure=settings.SESSION_COOKIE_SECURE, samesite="Lax",
        path="/accounts/",
    )


def device_nonce(request: HttpRequest, email: str) -> str:
    """The nonce of the request's device cookie when it is valid for this account, else ""."""
    value = request.COOKIES.get(DEVICE_COOKIE, "")
    if not value or len(value) > 400:
        return ""
    try:
        data = signing.loads(value, salt=_DEVICE_SALT,
                             max_age=datetime.timedelta(days=DEVICE_COOKIE_DAYS))
    except signing.BadSignature:
        return ""
    if not isinstance(data, dict):
        return ""
    digest, nonce = data.get("a"), data.get("n")
    if not (isinstance(digest, str) and isinstance(nonce, str) and len(nonce) == 32):
        return ""
    return nonce if constant_time_compare(digest, _account_digest(email)) else ""


# --- reading the counts -------------------------------------------------------------------


def _recent():
    return LoginFailure.objects.filter(at__gte=window_start())


def _device_failures(nonce: str) -> int:
    return _recent().filter(device=nonce).count()


def _account_failures(email: str) -> int:
    return _recent().filter(email=normalize_email(email), device="").count()


def _address_failures(ip_address: str | None) -> int:
    if not ip_address:
        return 0
    return _recent().filter(ip_address=ip_address, device="").count()


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt: the email typed, where it comes from, and its trusted device."""

    email: str
    ip_address: str | None
    device: str  # the valid, not locked-out device cookie's nonce, or ""

    @property
    def trusted(self) -> bool:
        return bool(self.device)


def attempt(request: HttpRequest, email: str, ip_address: str | None) -> Attempt:
    nonce = device_nonce(request, email)
    if nonce and _device_failures(nonce) >= settings.LOGIN_DEVICE_FAILURE_LIMIT:
        nonce = ""  # this device used up its own tries: it is a stranger like any other
    return Attempt(normalize_email(email), ip_address, nonce)


def refusal(attempt: Attempt) -> str | None:
    """Why this attempt may not even try a password now ("address" or "account"), or None."""
    if attempt.trusted:
        return None
    if _address_failures(attempt.ip_address) >= settings.LOGIN_IP_FAILURE_LIMIT:
        return "address"
    if _account_failures(attempt.email) >= settings.LOGIN_FAILURE_LIMIT:
        return "account"
    return None


def is_locked_out(email: str) -> bool:
    """Whether attempts without a trusted device are refused for this email now."""
    return _account_failures(email) >= settings.LOGIN_FAILURE_LIMIT


# --- writing ------------------------------------------------------------------------------


@transaction.atomic
def note_failure(attempt: Attempt) -> None:
    """Count one failed password for the attempt; audit the failure that locks something."""
    failure = LoginFailure.objects.create(email=attempt.email, at=clock.now(),
                                          ip_address=attempt.ip_address,
                                          device=attempt.device)
    minutes = settings.LOGIN_LOCKOUT_MINUTES
    if attempt.trusted:
        if _device_failures(attempt.device) == settings.LOGIN_DEVICE_FAILURE_LIMIT:
            audit.record(None, "sign_in.device_locked_out", failure,
                         f"A signed-in-before browser made {settings.LOGIN_DEVICE_FAILURE_LIMIT} "
                         f"failed sign-in attempts for {attempt.email}; it is treated as any "
                         f"other for {minutes} minutes.",
                         after={"email": attempt.email, "ip_address": attempt.ip_address})
    else:
        if _account_failures(attempt.email) == settings.LOGIN_FAILURE_LIMIT:
            audit.record(None, "sign_in.locked_out", failure,
                         f"Sign-in for {attempt.email} locked for {minutes} minutes after "
                         f"{settings.LOGIN_FAILURE_LIMIT} failed attempts (browsers that "
                         "signed in to it before are not locked).",
                         after={"email": attempt.email, "ip_address": attempt.ip_address})
        if attempt.ip_address and (
            _address_failures(attempt.ip_address) == settings.LOGIN_IP_FAILURE_LIMIT
        ):
            audit.record(None, "sign_in.address_locked_out", failure,
                         f"Sign-in from {attempt.ip_address} locked for {minutes} minutes "
                         f"after {settings.LOGIN_IP_FAILURE_LIMIT} failed attempts across "
                         "accounts.",
                         after={"ip_address": attempt.ip_address})
    # Old failures say nothing any more; keep the table small.
    LoginFailure.objects.filter(at__lt=window_start() - datetime.timedelta(days=1)).delete()


def note_success(attempt: Attempt) -> None:
    """The right password: this device's failures, or the account's untrusted ones, are
    forgiven. The address's failures for other accounts stay (an attacker's own account
    must not wash away their tries at others)."""
    if attempt.trusted:
        LoginFailure.objects.filter(device=attempt.device).delete()
    else:
        LoginFailure.objects.filter(email=attempt.email, device="").delete()


def clear(email: str) -> None:
    """A new password (reset or changed): every failure for the account is forgiven."""
    LoginFailure.objects.filter(email=normalize_email(email)).delete()
