"""The one clock: code asks here for "now" and "today", so tests can freeze time.

Never call date.today(), datetime.now(), timezone.now() or timezone.localdate() elsewhere:
call clock.today() / clock.now(), give model fields default=clock.now, and a "last
changed" field `clock.ChangedAt()` instead of auto_now (tests/test_clock.py scans for
strays). Tests freeze time with time-machine
(docs/adr/0003-time-machine.md), which also reaches Django's own timestamps.
"""

import datetime

from django.db import models
from django.utils import timezone


def now() -> datetime.datetime:
    return timezone.now()


def today() -> datetime.date:
    return timezone.localdate(now())


class ChangedAt(models.DateTimeField):
    """When the row was last saved, stamped by this clock on every save (what
    `auto_now=True` does with Django's own timezone.now)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance, add):
        stamp = now()
        setattr(model_instance, self.attname, stamp)
        return stamp
