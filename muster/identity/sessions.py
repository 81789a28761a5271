"""Sessions: where they are kept, and how long they last.

- The session engine (SESSION_ENGINE = "muster.identity.sessions"): Django's database
  sessions, with the signed-in person's id in a column of its own (models.Session), so the
  lifecycle ends a person's sessions with one indexed DELETE (`end_sessions`).
- The limits (SessionLimitsMiddleware): a session ends after SESSION_IDLE_MINUTES without a
  request from the person, and SESSION_ABSOLUTE_HOURS after signing in, whatever happens.
  Both are checked on the server, on the person's next request: without JavaScript the
  session simply ends. The sign-in page then says why (a message).
- What counts as activity: any request of the signed-in person (pages, htmx's requests,
  the "Stay signed in" button's POST), except the warning script's question "how long is
  left?" (`session_status`) and any request marked as background (the header
  X-Muster-Background), which must not keep an unattended session alive.
"""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.http import HttpResponse, JsonResponse
from django.urls import reverse

from muster import clock

# Seconds since the epoch, in the session's data.
SIGNED_IN_AT = "muster_signed_in_at"
LAST_ACTIVITY = "muster_last_activity"
BACKGROUND_HEADER = "X-Muster-Background"

IDLE = "idle"
ABSOLUTE = "absolute"


class SessionStore(DatabaseStore):
    """Django's database store, writing the person's id beside the session's data."""

    @classmethod
    def get_model_class(cls):
        from .models import Session

        return Session

    def create_model_instance(self, data):
        instance: Any = super().create_model_instance(data)
        try:
            instance.user_id = int(data.get(SESSION_KEY))
        except (TypeError, ValueError):
            instance.user_id = None
        return instance


def end_sessions(user_ids) -> int:
    """Sign these people out everywhere (their sessions deleted); returns how many ended.
    `user_ids` may be a list or a query of ids."""
    from .models import Session

    deleted, _ = Session.objects.filter(user_id__in=user_ids).delete()
    return deleted


# ------------------------------------------------------------------------------ limits


def idle_seconds() -> float:
    return float(settings.SESSION_IDLE_MINUTES) * 60


def absolute_seconds() -> float:
    return float(settings.SESSION_ABSOLUTE_HOURS) * 3600


def _now() -> float:
    return clock.now().timestamp()


def start(session) -> None:
    """A session just signed in: both clocks start now (receivers.py, on user_logged_in)."""
    now = _now()
    session[SIGNED_IN_AT] = now
    session[LAST_ACTIVITY] = now


def seconds_left(session) -> int:
    """How long the session has before it ends, if nothing else happens."""
    now = _now()
    last = session.get(LAST_ACTIVITY, now)
    signed_in = session.get(SIGNED_IN_AT, now)
    ends = min(last + idle_seconds(), signed_in + absolute_seconds())
    return max(0, int(ends - now))


def ended_message(reason: str) -> str:
    if reason == ABSOLUTE:
        hours = settings.SESSION_ABSOLUTE_HOURS
        return (f"You were signed out {hours} hours after signing in, the longest a session "
                "lasts. Sign in again to go on.")
    minutes = settings.SESSION_IDLE_MINUTES
    shown = int(minutes) if float(minutes).is_integer() else minutes
    unit = "minute" if shown == 1 else "minutes"
    return f"You were signed out after {shown} {unit} without activity. Sign in again to go on."


# Not the person's doing: the warning's question, and the probes and metrics
# (muster/operations) should a browser or monitor send them with the session's cookie.
_NOT_ACTIVITY_URL_NAMES = ("identity:session_status", "healthz", "readyz", "metrics")


def _not_activity(request) -> bool:
    if request.headers.get(BACKGROUND_HEADER):
        return True
    return request.path_info in {reverse(name) for name in _NOT_ACTIVITY_URL_NAMES}


class SessionLimitsMiddleware:
    """Ends a signed-in session that was idle too long or began too long ago, and notes the
    person's activity otherwise. After the authentication, messages and htmx middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if SESSION_KEY in request.session:
            ended = self._limit(request)
            if ended is not None:
                return ended
        return self.get_response(request)

    def _limit(self, request):
        session = request.session
        now = _now()
        signed_in = session.get(SIGNED_IN_AT)
        last = session.get(LAST_ACTIVITY)
        if signed_in is None or last is None:
            # Signed in before these limits existed (or by a test's force_login): from now.
            signed_in = signed_in if signed_in is not None else now
            last = last if last is not None else now
            session[SIGNED_IN_AT], session[LAST_ACTIVITY] = signed_in, last
        reason = None
        if now - signed_in >= absolute_seconds():
            reason = ABSOLUTE
        elif now - last >= idle_seconds():
            reason = IDLE
        if reason is not None:
            return self._end(request, reason)
        # Write the session at most every so often (a write per request would cost a
        # database write per page), which keeps the idle time right to within that.
        if not _not_activity(request) and now - last >= min(60.0, idle_seconds() / 10):
            session[LAST_ACTIVITY] = now
        return None

    def _end(self, request, reason: str):
        request.muster_session_ended = reason  # for the audit record (receivers.py)
        logout(request)
        messages.info(request, ended_message(reason))
        if "application/json" in request.headers.get("Accept", ""):
            # The warning script's question or "Stay signed in": it leads to the sign-in
            # page itself (following a redirect would spend the message on the way).
            return JsonResponse({"signed_in": False, "seconds_left": 0,
                                 "sign_in_url": reverse("account_login")})
        if getattr(request, "htmx", False):
            # htmx would put the sign-in page inside the part it swaps: reload the whole
            # page instead, which leads to the sign-in page with the message.
            return HttpResponse(status=200, headers={"HX-Refresh": "true"})
        # The request goes on signed out: a page that needs a person leads to the
        # sign-in page (LoginRequiredMiddleware), which shows the message.
        return None


def carry(jump) -> None:
    """For tests that move the clock (tests/conftest.py, freeze_today): every session's
    sign-in and activity times move with it, so a signed-in person stays signed in."""
    from .models import Session

    seconds = jump.total_seconds()
    store = SessionStore()
    for row in Session.objects.all():
        data = store.decode(row.session_data)
        if SIGNED_IN_AT not in data and LAST_ACTIVITY not in data:
            continue
        for key in (SIGNED_IN_AT, LAST_ACTIVITY):
            if key in data:
                data[key] += seconds
        row.session_data = store.encode(data)
        row.save(update_fields=["session_data"])
