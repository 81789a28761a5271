"""The daily sweep as a background task: each run schedules the next one."""

import datetime
import logging

from django.conf import settings
from django.tasks import TaskResultStatus, task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from muster import clock

from . import sweep

log = logging.getLogger(__name__)


def next_run_at(now: datetime.datetime) -> datetime.datetime:
    local = timezone.localtime(now)
    at = local.replace(hour=settings.SWEEP_HOUR, minute=0, second=0, microsecond=0)
    return at if at > local else at + datetime.timedelta(days=1)


def _next_one_waiting() -> bool:
    return DBTaskResult.objects.filter(
        task_path=daily_sweep.module_path, status=TaskResultStatus.READY
    ).exists()


@task
def daily_sweep() -> dict:
    # Schedule tomorrow's run whatever happens to today's: a sweep that fails (the
    # database away for a moment, one bad row) must not stop the clock for good. A run
    # already waiting (schedule_sweep ran meanwhile) is not doubled.
    try:
        report = sweep.run()
    finally:
        if not _next_one_waiting():
            daily_sweep.using(run_after=next_run_at(clock.now())).enqueue()
    return vars(report)
