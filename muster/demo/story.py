"""The demo's story clock: each part of the demo is played on its own day, so its dates,
deadlines and audit times read as a real contract's would. Shared by data.py and the
modules it calls (dua_warning, campaign, findings)."""

import contextlib
import datetime
import itertools

from django.utils import timezone

from muster import clock
from muster.timeline import calendar

DOMAIN = "example.com"

_story_clock: dict[str, datetime.datetime | None] = {"last": None}


@contextlib.contextmanager
def on(day: datetime.date, hour: int = 9):
    """Play part of the story on `day`: Muster's clock reads that day at `hour`, a second
    later at each read (and after the last block's, on the same day), so events keep their
    order, until the block ends."""
    real_now = clock.now
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time(hour), tzinfo=tz)
    last = _story_clock["last"]
    if last is not None and last.date() == day and last >= start:
        start = last + datetime.timedelta(seconds=1)
    ticks = itertools.count()

    def now() -> datetime.datetime:
        moment = start + datetime.timedelta(seconds=next(ticks))
        _story_clock["last"] = moment
        return moment

    clock.now = now
    try:
        yield day
    finally:
        clock.now = real_now


def workday(today: datetime.date, n: int) -> datetime.date:
    """The n-th business day before `today` (n > 0); today itself when n == 0."""
    return calendar.add_business_days(today, -n) if n else today
