"""The signature on every delivery, as Stripe and GitHub sign theirs.

    Muster-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">

keyed with the endpoint's secret. The timestamp is inside what is signed, so a receiver
that refuses old timestamps refuses a replayed capture too. `verify` is written to be
copied into a receiver (docs/api.md shows it with `time.time()` for Muster's clock).
"""

import hashlib
import hmac

from muster import clock

HEADER = "Muster-Signature"
SCHEME = "v1"
DEFAULT_TOLERANCE = 300  # seconds


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def header(secret: str, timestamp: int, body: bytes) -> str:
    """The Muster-Signature header's value for `body` sent at `timestamp`."""
    return f"t={timestamp},{SCHEME}={signature(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, tolerance: int = DEFAULT_TOLERANCE,
           now: float | None = None) -> bool:
    """True when `header` (the Muster-Signature value) signs exactly `body` (the raw bytes
    received, before any JSON parsing) with `secret`, at a time within `tolerance` seconds
    of now. Several v1 values may be given; one matching is enough."""
    timestamp, candidates = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == SCHEME:
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    if abs((clock.now().timestamp() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, c) for c in candidates)
