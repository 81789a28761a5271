"""The schedule of Muster's recurring background tasks, the same on every task backend.

A recurring task (the daily sweep, the outbox's comeback) keeps one row in the database
(`ScheduledRun`): the id of the run that is waiting and when it is due. Workers change a
row only under its row lock (`select_for_update`; SQLite's IMMEDIATE transactions serialize
writers), so however many workers there are, and however often they ask, one chain of
runs exists. Whether the held run is still there is asked of the task backend through the
django.tasks API alone (`get_result`): a run Redis lost (it keeps nothing on disk here)
reads as gone, and the next worker to ask schedules a new one.

The API cannot withdraw a run: one that is no longer needed still starts, and finds
nothing to do (every task here is idempotent).

Upper apps register a `keeper` (a function that makes sure their task is scheduled); the
worker calls every keeper when it starts and at each heartbeat, so a schedule lost with
Redis comes back within a heartbeat.
"""

import datetime
import logging
from collections.abc import Callable
from contextlib import contextmanager

from django.db import transaction
from django.tasks import TaskResultStatus
from django.tasks.exceptions import TaskResultDoesNotExist

from muster import clock

from .models import ScheduledRun

log = logging.getLogger(__name__)

# django-tasks-rq raises the backport's own exception, a different class from Django's.
try:
    from django_tasks.exceptions import TaskResultDoesNotExist as BackportDoesNotExist
except ImportError:  # pragma: no cover (installed with django-tasks-rq)
    BackportDoesNotExist = TaskResultDoesNotExist  # type: ignore[assignment,misc]
_GONE = (TaskResultDoesNotExist, BackportDoesNotExist)


def held_run(task, row: ScheduledRun):
    """The task result of the run `row` holds, or None if there is none or the backend
    no longer knows it (finished and expired, or lost)."""
    if not row.result_id:
        return None
    try:
        return task.get_result(row.result_id)
    except _GONE:
        return None


@contextmanager
def _locked(task):
    ScheduledRun.objects.get_or_create(task_path=task.module_path)
    with transaction.atomic():
        yield ScheduledRun.objects.select_for_update().get(task_path=task.module_path)


def _enqueue(row: ScheduledRun, task, at: datetime.datetime | None) -> str:
    # Inside the row's lock: a worker that picks the new run up at once and asks the
    # schedule in turn waits for this commit.
    result = (task.using(run_after=at) if at else task).enqueue()
    row.result_id, row.run_after, row.updated_at = result.id, at, clock.now()
    row.save()
    return result.id


def run_by(task, at: datetime.datetime | None) -> str | None:
    """Make sure a run of `task` starts by `at` (None: now). Unless the held run is
    waiting to start by then, enqueue one and hold it instead. The new run's id, or None."""
    with _locked(task) as row:
        held = held_run(task, row)
        if held is not None and held.status == TaskResultStatus.READY and (
            row.run_after is None or (at is not None and row.run_after <= at)
        ):
            return None
        return _enqueue(row, task, at)


def keep(task, *, stale_after: datetime.timedelta) -> str | None:
    """Make sure a chain of `task` exists: its held run waiting (at any time), or running
    and started less than `stale_after` ago (a run left "running" by a worker that was
    stopped must not hold the schedule forever); else enqueue a run now. The new run's
    id, or None when the chain was there."""
    with _locked(task) as row:
        held = held_run(task, row)
        if held is not None and (
            held.status == TaskResultStatus.READY
            or (held.status == TaskResultStatus.RUNNING and held.started_at is not None
                and held.started_at >= clock.now() - stale_after)
        ):
            return None
        return _enqueue(row, task, None)


def waiting(task):
    """The held run of `task` if it is waiting to start, else None (tests, status)."""
    row = ScheduledRun.objects.filter(task_path=task.module_path).first()
    held = held_run(task, row) if row else None
    return held if held is not None and held.status == TaskResultStatus.READY else None


_keepers: list[Callable[[], object]] = []


def register_keeper(keeper: Callable[[], object]) -> None:
    """An app's function that makes sure its recurring task is scheduled (from its
    AppConfig.ready)."""
    if keeper not in _keepers:
        _keepers.append(keeper)


def keep_all() -> None:
    """Run every registered keeper; one that fails (Redis away) does not stop the rest."""
    for keeper in _keepers:
        try:
            keeper()
        except Exception:
            log.exception("Could not keep %s scheduled", getattr(keeper, "__name__", keeper))
