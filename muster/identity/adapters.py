"""Muster's answers to django-allauth's account questions (sso.py answers its single
sign-on ones): no one signs up (Muster names people), account emails go through the
outbox, and failed sign-ins count toward the lockout."""

import uuid
from urllib.parse import quote

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import get_authentication_records
from allauth.core import context as allauth_context
from django.conf import settings
from django.db import transaction
from django.urls import reverse

from muster import clock
from muster.notifications import services as notifications

from . import lockout, sso

# Said whatever the cause, so a sign-in page never tells whether an account exists.
WRONG_EMAIL_OR_PASSWORD = (
    "The email address or password is not right. Check both and try again."
)
LOCKED_OUT = (
    "Too many failed sign-in attempts for this email address. Wait {minutes} minutes and "
    "try again, reset your password, or ask the onboarding team for help."
)
ADDRESS_LOCKED_OUT = (
    "Too many failed sign-in attempts from your network. Wait {minutes} minutes and try "
    "again, or ask the onboarding team for help."
)


def link(path: str) -> str:
    """An absolute link for an email: Muster's base URL, not the request's host."""
    return settings.MUSTER_BASE_URL.rstrip("/") + path


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": WRONG_EMAIL_OR_PASSWORD,
        "too_many_login_attempts": LOCKED_OUT.format(minutes=settings.LOGIN_LOCKOUT_MINUTES),
        "too_many_attempts_from_address": ADDRESS_LOCKED_OUT.format(
            minutes=settings.LOGIN_LOCKOUT_MINUTES),
        "account_inactive": "This account is not active. Ask the onboarding team to restore it.",
    }

    def is_open_for_signup(self, request) -> bool:
        return False  # Muster names the people who may sign in; nobody signs up

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Queue the email in the outbox (sent at least once, after the commit), marked
        confidential: it may hold a sign-in link."""
        message = self.render_mail(template_prefix, email, {"email": email, **context})
        with transaction.atomic():
            notifications.queue_rendered(
                template_prefix.rsplit("/", 1)[-1], subject=message.subject,
                body=str(message.body), to=[email], key=f"account:{uuid.uuid4()}",
                confidential=True,
            )

    def send_password_reset_mail(self, user, email: str, context: dict) -> None:
        """The reset email says how long its link works (PASSWORD_RESET_TIMEOUT)."""
        minutes = settings.PASSWORD_RESET_TIMEOUT // 60
        super().send_password_reset_mail(user, email, {**context, "reset_minutes": minutes})

    def get_reset_password_from_key_url(self, key: str) -> str:
        # allauth's key is "<uidb36>-<token>"; its URL takes the two apart (as allauth's own
        # get_reset_password_from_key_url builds it).
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        return link(path.replace("UID-KEY", quote(key)))

    # --- sign-in limits (muster/identity/lockout.py) --------------------------------------

    def _attempt(self, request, credentials: dict) -> lockout.Attempt | None:
        """This request's sign-in attempt, worked out once (pre_authenticate, then either
        authenticate's success or authentication_failed, read it)."""
        email = credentials.get("email") or ""
        if not email or request is None:
            return None
        found = getattr(request, "_muster_sign_in_attempt", None)
        if found is None or found.email != lockout.normalize_email(email):
            found = lockout.attempt(request, email, self.get_client_ip(request))
            request._muster_sign_in_attempt = found
        return found

    def pre_authenticate(self, request, **credentials) -> None:
        super().pre_authenticate(request, **credentials)
        attempt = self._attempt(request, credentials)
        refused = attempt and lockout.refusal(attempt)
        if refused == "address":
            raise self.validation_error("too_many_attempts_from_address")
        if refused:
            raise self.validation_error("too_many_login_attempts")

    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        sso.refuse_password_sign_in(user)  # LOCAL_PASSWORDS off: administrators only (sso.py)
        attempt = self._attempt(request, credentials)
        if user is not None and attempt is not None:
            lockout.note_success(attempt)
        return user

    def authentication_failed(self, request, **credentials) -> None:
        attempt = self._attempt(request, credentials)
        if attempt is not None:
            lockout.note_failure(attempt)

    def post_login(self, request, user, **kwargs):
        """Signed in: this browser is now a trusted device for the account (its own,
        small, limit instead of the account's lockout)."""
        response = super().post_login(request, user, **kwargs)
        if response is not None and user.email:
            lockout.set_device_cookie(response, user.email)
        return response

    def set_password(self, user, password: str) -> None:
        """A new password (reset, changed, set): the account's lockout is lifted."""
        super().set_password(user, password)
        if user.email:
            lockout.clear(user.email)

    # --- the second factor (muster/identity/mfa.py) -----------------------------------------

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """Setting up (or turning off) the second factor asks to confirm it is you, unless you
        signed in moments ago (any way: password, single sign-on, code). So the first
        sign-in after the second factor becomes required goes straight to enrolment, and a
        person who signs in only through single sign-on (no password to re-enter) can
        enrol too."""
        if not super().is_reauthentication_required(app=app, **kwargs):
            return False
        request = allauth_context.request
        if request is None or not request.user.is_authenticated:
            return True
        records = get_authentication_records(request, request.user)
        # allauth stamps each record with time.time(): seconds since the epoch.
        return not (records and clock.now().timestamp() - records[-1]["at"]
                    < account_settings.REAUTHENTICATION_TIMEOUT)

