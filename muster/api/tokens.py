"""Making, finding and ending API tokens: the one place that knows a token's form.

A token reads `mst_<prefix>_<secret>`: the prefix finds the row, the SHA-256 of the whole
token must match its digest (compared in constant time).
"""

import datetime
import hashlib
import hmac
import secrets
from typing import cast

from django.db import transaction

from muster import clock
from muster.audit import services as audit
from muster.compiled import Compiled

from .models import ApiToken

TOKEN_START = "mst_"
MAX_LIFETIME = datetime.timedelta(days=366)  # "at most one year", leap years included
# How often a token's "last used" is written: at most once a minute per token, so a busy
# client does not write on every call.
LAST_USED_EVERY = datetime.timedelta(minutes=1)


def digest_of(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue(*, created_by, name: str, scope: str, expires_at, user=None) -> tuple[ApiToken, str]:
    """Make a token; returns it and its secret, which is never stored and never shown again.
    Callers check who may issue which (the settings page, the team's clients page)."""
    if expires_at > clock.now() + MAX_LIFETIME:
        raise ValueError("A token lasts at most one year.")
    prefix = secrets.token_hex(6)
    raw = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, scope=scope, prefix=prefix, digest=digest_of(raw),
            created_at=clock.now(), created_by=created_by, expires_at=expires_at,
        )
        audit.record(created_by, "api.token_issued", token,
                     f"API token “{name}” made ({token.get_scope_display()})",
                     after={"scope": scope, "expires_at": expires_at, "prefix": prefix})
    return token, raw


# The token of a prefix, with its person: read on every API call, so built once per process
# (muster/compiled.py). The prefix is unique: one row at most.
_BY_PREFIX = Compiled(
    lambda prefix: ApiToken.objects.select_related("user").filter(prefix=prefix).order_by()[:1],
    prefix=str)


def find(raw: str) -> ApiToken | None:
    """The usable token `raw` is, or None (unknown, wrong, revoked, expired, or its person's
    account ended)."""
    if not raw.startswith(TOKEN_START) or raw.count("_") < 2:
        return None
    prefix = raw[len(TOKEN_START):].split("_", 1)[0]
    token = cast(ApiToken | None, next(iter(_BY_PREFIX.objects(prefix=prefix)), None))
    if token is None or not hmac.compare_digest(token.digest, digest_of(raw)):
        return None
    if not token.is_usable or (token.user is not None and not token.user.is_active):
        return None
    return token


def note_use(token: ApiToken) -> None:
    """Keep "last used" to the minute, without a write on every call."""
    now = clock.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def revoke(actor, token: ApiToken, why: str = "") -> bool:
    """End the token (once: False when it already was), with why on the record."""
    with transaction.atomic():
        if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
                revoked_at=clock.now()):
            summary = f"API token “{token.name}” revoked" + (f": {why}" if why else "")
            audit.record(actor, "api.token_revoked", token, summary,
                         before={"prefix": token.prefix})
            return True
    return False
