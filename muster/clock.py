"""The one clock: code asks here for "now" and "today", so tests can freeze time.

Never call date.today() or datetime.now() elsewhere; call clock.today() / clock.now()
(as attributes of this module, so a test's monkeypatch reaches every caller).
"""

import datetime

from django.utils import timezone


def now() -> datetime.datetime:
    return timezone.now()


def today() -> datetime.date:
    return timezone.localdate(now())
