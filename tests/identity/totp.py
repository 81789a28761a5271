"""Real TOTP codes (RFC 6238, HMAC-SHA1, 30-second steps, 6 digits), made here from the
secret as an authenticator app makes them: not with allauth's own function."""

import base64
import hashlib
import hmac
import struct
import time


def totp(secret: str, at: float | None = None, digits: int = 6, step: int = 30) -> str:
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = (struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return f"{value:0{digits}d}"
