"""The daily sweep runs once however many workers start at once.

Each worker runs `manage.py schedule_sweep` as it starts (`make worker`; the scale-out
topology starts two). Here two of them meet at the worst moment: both have asked whether a
sweep is waiting, neither has queued one yet. Fast, and in the main suite; the walk through
the balancer (test_scaleout.py) starts two real workers, where the same race shows about
one start in six.
"""

import contextlib
import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models.query import QuerySet
from django_tasks_db.models import DBTaskResult

from muster.closeout.models import SweepRun
from muster.closeout.tasks import daily_sweep
from tests.factories import TODAY


@pytest.mark.django_db(transaction=True)
@pytest.mark.xfail(strict=True, reason=(
    "schedule_sweep asks whether a sweep is waiting, then queues one, without a lock: two "
    "workers starting at once both queue one and the first day is swept twice. The task "
    "work (issue 13) makes the schedule single; remove this mark then."))
def test_two_workers_starting_at_once_schedule_one_sweep(freeze_today, monkeypatch):
    freeze_today(TODAY)
    both_asked = threading.Barrier(2, timeout=10)  # generous: a loaded CI machine
    asks = QuerySet.exists

    def ask_then_meet(self):
        found = asks(self)
        if self.model is DBTaskResult and threading.current_thread().name.startswith("start"):
            # Wait for the other worker to have asked too; a lock in the
            # command would keep it from asking: then go on alone.
            with contextlib.suppress(threading.BrokenBarrierError):
                both_asked.wait()
        return found

    def start_a_worker():
        try:
            call_command("schedule_sweep", stdout=io.StringIO())
        finally:
            connection.close()

    with monkeypatch.context() as patch:
        patch.setattr(QuerySet, "exists", ask_then_meet)
        starts = [threading.Thread(target=start_a_worker, name=f"start-{n}") for n in (1, 2)]
        for start in starts:
            start.start()
        for start in starts:
            start.join()

    call_command("db_worker", batch=True, reload=False, startup_delay=False)  # what is due

    assert SweepRun.objects.filter(day=TODAY).count() == 1
    assert DBTaskResult.objects.filter(task_path=daily_sweep.module_path,
                                       status="READY").count() == 1
