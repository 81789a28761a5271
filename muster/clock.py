"""The one clock: code asks here for "now" and "today", so tests can freeze time.

Never call date.today(), datetime.now(), timezone.now() or timezone.localdate() elsewhere:
call clock.today() / clock.now(), and give model fields default=clock.now
(tests/test_clock.py scans for strays). Tests freeze time with time-machine
(docs/adr/0003-time-machine.md), which also reaches Django's own timestamps.
"""

import datetime

from django.utils import timezone


def now() -> datetime.datetime:
    return timezone.now()


def today() -> datetime.date:
    return timezone.localdate(now())
