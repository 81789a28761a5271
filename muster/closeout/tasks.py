"""The daily sweep as a background task: each run schedules the next one."""

import datetime

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from muster import clock

from . import sweep


def next_run_at(now: datetime.datetime) -> datetime.datetime:
    local = timezone.localtime(now)
    at = local.replace(hour=settings.SWEEP_HOUR, minute=0, second=0, microsecond=0)
    return at if at > local else at + datetime.timedelta(days=1)


@task
def daily_sweep() -> dict:
    report = sweep.run()
    daily_sweep.using(run_after=next_run_at(clock.now())).enqueue()
    return vars(report)
