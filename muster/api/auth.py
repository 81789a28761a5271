"""Who is calling: a bearer token, found by `tokens.find`, and how often they may call.

A person's token acts as that person: `request.user` is set to them, so every check below
is the pages' own (muster.accounts.permissions). A read-only token is refused any write
before the operation runs. Calls are counted per token in the shared cache.
"""

import threading

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from ninja.errors import AuthorizationError
from ninja.security import HttpBearer
from ninja.throttling import SimpleRateThrottle

from muster import clock
from muster.audit import correlation

from . import tokens
from .models import ApiToken

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _as_sent(token: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None when what was sent
    cannot be one: tokens are printable ASCII (a NUL byte would reach PostgreSQL, which
    refuses it: a 500). Spaces around it are the header's (RFC 6750: `Bearer 1*SP`)."""
    token = token.strip()
    return token if token.isascii() and token.isprintable() else None


def _found(token: str) -> ApiToken | None:
    sent = _as_sent(token)
    return tokens.find(sent) if sent else None


class PersonToken(HttpBearer):
    """A person's token (read or read-write) for /api/v1/."""

    openapi_bearerFormat = "mst_<prefix>_<secret>"  # noqa: N815 (ninja copies openapi_* into the document)
    openapi_description = ("A token from your settings page (API tokens): read or "
                           "read-write, acting as you. `Authorization: Bearer <token>`.")

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = _found(token)
        if found is None or found.user is None:
            return None
        if request.method not in SAFE_METHODS and not found.may_write:
            raise AuthorizationError(message="This token is read only: make a read-write "
                                     "token on your settings page to change anything.")
        request.user = found.user
        correlation.set_channel("api")
        tokens.note_use(found)
        return found


class ProvisioningClientToken(HttpBearer):
    """A provisioning client's token (scope scim), issued by the team, for /scim/v2/."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = _found(token)
        if found is None or found.scope != ApiToken.Scope.SCIM:
            return None
        correlation.set_channel("scim")
        tokens.note_use(found)
        return found


class PerToken(SimpleRateThrottle):
    """API_RATE_LIMIT calls per token (e.g. "600/min"), counted in the shared cache, so
    every instance behind the load balancer counts the same calls.

    The API has one throttle object, used by every thread of the process. ninja's
    SimpleRateThrottle keeps the call it checks on the object (key, history, now), and its
    `wait()` reads them back: a call on another thread in between would hand this call
    the other's Retry-After. Here a call's numbers stay in the call (and the wait, which
    ninja asks for right after, in the thread)."""

    scope = "token"

    def __init__(self) -> None:
        # The rate is read per call (below), so a changed setting applies at once.
        self._last = threading.local()

    def limits(self) -> tuple[int, int]:
        """(calls, seconds) from settings.API_RATE_LIMIT."""
        calls, seconds = self.parse_rate(settings.API_RATE_LIMIT)
        if calls is None or seconds is None:
            raise ImproperlyConfigured("API_RATE_LIMIT reads <count>/<s|min|hour|day>.")
        return calls, seconds

    def get_cache_key(self, request: HttpRequest) -> str | None:
        token = getattr(request, "auth", None)
        if not isinstance(token, ApiToken):
            return None  # refused before this: no token, no count
        return self.cache_format % {"scope": self.scope, "ident": token.pk}

    def allow_request(self, request: HttpRequest) -> bool:
        self._last.wait = None
        key = self.get_cache_key(request)
        if key is None:
            return True
        limit, duration = self.limits()
        # The count is read and written back, not changed in one atomic step: calls of one
        # token at the very same moment may each read the same count (docs/api.md says so).
        now = clock.now().timestamp()
        # The times of the calls still in the window, newest first (refused calls are not
        # counted, so retrying early does not push the wait further back).
        history = [at for at in self.cache.get(key, []) if at > now - duration]
        if len(history) >= limit:
            # A call is allowed again when the oldest call that fills the limit leaves.
            self._last.wait = duration - (now - history[limit - 1])
            return False
        self.cache.set(key, [now, *history], duration)
        return True

    def wait(self) -> float | None:
        return getattr(self._last, "wait", None)

