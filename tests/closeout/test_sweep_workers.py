"""One sweep a day however many workers there are: two real `manage.py worker` processes
of the configured task backend (the database's, or RQ's with TASK_BACKEND=rq) on
PostgreSQL's test database. Each schedules the sweep when it starts and at every heartbeat,
and `schedule_sweep` runs beside them, all at once: one sweep runs, one next run waits."""

import datetime
import functools
import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.db import connections as db_connections

from muster.closeout.models import SweepRun
from muster.closeout.tasks import daily_sweep
from muster.notifications import backends, schedule
from muster.notifications.models import WorkerHeartbeat

from .. import workers

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="worker processes need a database they can see: PostgreSQL's"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PATIENCE = 30  # seconds, on a loaded two-core machine
BEAT = 0.3  # the workers' heartbeat: each one asks the schedule this often
wait_for = functools.partial(workers.wait_for, seconds=PATIENCE)


def beats() -> dict[str, datetime.datetime]:
    return dict(WorkerHeartbeat.objects.values_list("worker_id", "seen_at"))


def both_beat_again() -> bool:
    """Both workers beat (so asked the schedule) twice more from now."""
    for _ in range(2):
        before = beats()
        if not wait_for(lambda b=before: all(beats()[w] > seen for w, seen in b.items())):
            return False
    return True


def schedule_sweep_at_once(times: int) -> None:
    start = threading.Barrier(times)

    def one():
        try:
            start.wait()
            call_command("schedule_sweep", stdout=io.StringIO())
        finally:
            db_connections.close_all()

    threads = [threading.Thread(target=one) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(PATIENCE)


def held_next_run():
    run = schedule.waiting(daily_sweep)
    return run if run is not None and run.task.run_after is not None else None


def test_two_workers_run_one_sweep_a_day_and_hold_one_next_run(tmp_path):
    env = workers.worker_env(DATABASE_URL=workers.database_url(), MUSTER_VAR_DIR=str(tmp_path),
                             WORKER_HEARTBEAT_SECONDS=str(BEAT))
    logs = [tmp_path / f"worker{n}.log" for n in range(2)]
    started = [workers.start_worker(env, log) for log in logs]

    def log_text() -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()}" for log in logs)

    try:
        # Both started at once, each scheduling the sweep: one sweep ran, tomorrow's waits.
        assert wait_for(lambda: len(beats()) == 2 and held_next_run() is not None), log_text()
        assert set(WorkerHeartbeat.objects.values_list("backend", flat=True)) == {
            backends.name()}
        schedule_sweep_at_once(4)
        assert both_beat_again(), log_text()
        assert SweepRun.objects.count() == 1
        tomorrow = held_next_run()
        assert workers.waiting_runs(daily_sweep) == [tomorrow.id]

        # The next day's run comes due with both workers waiting for it: one runs it, and
        # it holds the day after's run; the other worker neither sweeps nor schedules.
        workers.bring_forward(tomorrow.id)
        assert wait_for(lambda: (run := held_next_run()) is not None and run.id != tomorrow.id
                        ), log_text()
        assert both_beat_again(), log_text()
        assert SweepRun.objects.count() == 2
        assert workers.waiting_runs(daily_sweep) == [held_next_run().id]

        # The backend loses the waiting run (Redis restarted empty): within a heartbeat a
        # worker catches up with one sweep now and holds one next run again.
        lost = held_next_run().id
        workers.lose(lost)
        assert wait_for(lambda: SweepRun.objects.count() == 3
                        and (run := held_next_run()) is not None and run.id != lost), log_text()
        assert both_beat_again(), log_text()
        assert SweepRun.objects.count() == 3
        assert workers.waiting_runs(daily_sweep) == [held_next_run().id]
    finally:
        for worker in started:
            workers.stop_worker(worker)
    assert [w.returncode for w in started] == [0, 0], log_text()
