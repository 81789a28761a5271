"""Account events on the audit record: signing in and out, failed sign-ins, passwords set,
changed and reset, second factors added, removed and reset. Connected in
IdentityConfig.ready(). One event per thing that happened, with the User as its object;
never a secret (no password, code, token or link), whatever the signal carries.

A failed sign-in records the address typed (cut to 254 characters, an email address's
longest), whether or not it is an account's: an unknown address is useful to a security
review (someone trying addresses), and is recorded as unknown.
"""

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from django.contrib.auth import get_user_model
from django.contrib.auth import signals as auth_signals
from django.db import transaction

from muster.audit import services as audit

from . import sessions

EMAIL_MAX = 254
# allauth's authenticator types, as people read them.
AUTHENTICATOR_NAMES = {
    "totp": "authenticator app (TOTP)",
    "recovery_codes": "recovery codes",
    "webauthn": "security key",
}


def _name(user) -> str:
    return user.get_full_name() or user.email


def _record(actor, action: str, user, summary: str, after: dict | None = None) -> None:
    with transaction.atomic():
        audit.record(actor, action, user, summary, after=after or {})


def session_started(sender, request, user, **kwargs) -> None:
    """Every sign-in (Django's signal): the session's clocks start now."""
    if request is not None and hasattr(request, "session"):
        sessions.start(request.session)


def signed_in(sender, request, user, **kwargs) -> None:
    """A sign-in through Muster's pages (allauth's signal: after the second factor)."""
    how = "single sign-on" if kwargs.get("sociallogin") is not None else "password"
    _record(user, "account.signed_in", user, f"{_name(user)} signed in ({how})",
            after={"method": how})


def signed_out(sender, request, user, **kwargs) -> None:
    if user is None:
        return
    ended = getattr(request, "muster_session_ended", None)
    if ended == sessions.IDLE:
        _record(None, "account.session_ended", user,
                f"{_name(user)} was signed out after the idle time", after={"reason": "idle"})
    elif ended == sessions.ABSOLUTE:
        _record(None, "account.session_ended", user,
                f"{_name(user)} was signed out at the session's longest",
                after={"reason": "absolute"})
    else:
        _record(user, "account.signed_out", user, f"{_name(user)} signed out")


def sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    """Django's signal, with the password already masked; only the address is kept."""
    typed = str(credentials.get("email") or credentials.get("username") or "")[:EMAIL_MAX]
    if not typed:
        return
    User = get_user_model()
    user = User.objects.filter(email__iexact=typed.strip()).first()
    if user is not None:
        _record(None, "account.sign_in_failed", user, f"Failed sign-in for {_name(user)}",
                after={"email": typed, "account": "known"})
    else:
        # No account: the event's object is the address typed (an unsaved person).
        _record(None, "account.sign_in_failed", User(email=typed),
                "Failed sign-in for an address with no account",
                after={"email": typed, "account": "unknown"})


def password_set(sender, request, user, **kwargs) -> None:
    _record(user, "account.password_set", user, f"{_name(user)} set a password")


def password_changed(sender, request, user, **kwargs) -> None:
    _record(user, "account.password_changed", user, f"{_name(user)} changed their password")


def password_reset(sender, request, user, **kwargs) -> None:
    _record(user, "account.password_reset", user,
            f"{_name(user)} reset their password from an emailed link")


def _authenticator(authenticator) -> tuple[str, str]:
    kind = str(getattr(authenticator, "type", "") or "")
    return kind, AUTHENTICATOR_NAMES.get(kind, kind or "second factor")


def authenticator_added(sender, request, user, authenticator=None, **kwargs) -> None:
    kind, name = _authenticator(authenticator)
    _record(user, "account.second_factor_added", user, f"{_name(user)} added {name}",
            after={"type": kind})


def authenticator_removed(sender, request, user, authenticator=None, **kwargs) -> None:
    kind, name = _authenticator(authenticator)
    _record(user, "account.second_factor_removed", user, f"{_name(user)} removed {name}",
            after={"type": kind})


def authenticator_reset(sender, request, user, authenticator=None, **kwargs) -> None:
    kind, name = _authenticator(authenticator)
    _record(user, "account.second_factor_reset", user, f"{_name(user)} made new {name}",
            after={"type": kind})


def connect() -> None:
    uid = "muster.identity.receivers."
    auth_signals.user_logged_in.connect(session_started, dispatch_uid=uid + "session")
    account_signals.user_logged_in.connect(signed_in, dispatch_uid=uid + "signed_in")
    auth_signals.user_logged_out.connect(signed_out, dispatch_uid=uid + "signed_out")
    auth_signals.user_login_failed.connect(sign_in_failed, dispatch_uid=uid + "failed")
    account_signals.password_set.connect(password_set, dispatch_uid=uid + "password_set")
    account_signals.password_changed.connect(password_changed,
                                             dispatch_uid=uid + "password_changed")
    account_signals.password_reset.connect(password_reset, dispatch_uid=uid + "password_reset")
    mfa_signals.authenticator_added.connect(authenticator_added, dispatch_uid=uid + "mfa_add")
    mfa_signals.authenticator_removed.connect(authenticator_removed,
                                              dispatch_uid=uid + "mfa_remove")
    mfa_signals.authenticator_reset.connect(authenticator_reset, dispatch_uid=uid + "mfa_reset")
