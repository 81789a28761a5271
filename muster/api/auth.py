"""Who is calling: a bearer token, found by `tokens.find`, and how often they may call.

A person's token acts as that person: `request.user` is set to them, so every check below
is the pages' own (muster.accounts.permissions). A read-only token is refused any write
before the operation runs. Calls are counted per token in the shared cache.
"""

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import AuthorizationError
from ninja.security import HttpBearer
from ninja.throttling import SimpleRateThrottle

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
    every instance behind the load balancer counts the same calls."""

    scope = "token"

    def __init__(self) -> None:
        pass  # the rate is read per call (below), so a changed setting applies at once

    @property
    def rate(self) -> str:  # type: ignore[override]
        return settings.API_RATE_LIMIT

    @property
    def num_requests(self) -> int | None:  # type: ignore[override]
        return self.parse_rate(self.rate)[0]

    @property
    def duration(self) -> int | None:  # type: ignore[override]
        return self.parse_rate(self.rate)[1]

    def get_cache_key(self, request: HttpRequest) -> str | None:
        token = getattr(request, "auth", None)
        if not isinstance(token, ApiToken):
            return None  # refused before this: no token, no count
        return self.cache_format % {"scope": self.scope, "ident": token.pk}
