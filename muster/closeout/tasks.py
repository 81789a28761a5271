"""The daily sweep as a background task: each run schedules the next one, through the
schedule every worker shares (notifications/schedule.py), so one sweep a day runs however
many workers there are."""

import datetime
import logging

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from muster import clock
from muster.notifications import schedule

from . import sweep

log = logging.getLogger(__name__)

# A sweep takes seconds. One still "running" after this long belongs to a worker that was
# stopped mid-run (its result may say RUNNING forever) and must not block the schedule.
STALE_RUN = datetime.timedelta(hours=6)


def next_run_at(now: datetime.datetime) -> datetime.datetime:
    local = timezone.localtime(now)
    at = local.replace(hour=settings.SWEEP_HOUR, minute=0, second=0, microsecond=0)
    return at if at > local else at + datetime.timedelta(days=1)


@task
def daily_sweep() -> dict:
    # Schedule tomorrow's run whatever happens to today's: a sweep that fails (the
    # database away for a moment, one bad row) must not stop the clock for good. A run
    # already waiting (schedule_sweep ran meanwhile, or another run got there first) is
    # not doubled.
    try:
        report = sweep.run()
    finally:
        schedule.run_by(daily_sweep, next_run_at(clock.now()))
    return vars(report)


def keep_sweep_scheduled() -> bool:
    """Make sure the daily sweep's chain exists; if it did not, a sweep runs now (to catch
    up) and schedules the next. True when a sweep was queued."""
    return schedule.keep(daily_sweep, stale_after=STALE_RUN) is not None
