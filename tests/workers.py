"""The task backend in tests: run what is due in this process, start real worker processes,
and look inside the backend's store where a test must (the runs it holds, a run lost).

With TASK_BACKEND=rq (`.ci/run` runs the outbox and sweep tests so) each pytest-xdist
worker uses its own Redis database: REDIS_URL's, plus the xdist worker's number (13 and 14
for gw0 and gw1 from redis://.../13), emptied before each test.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection

from muster.notifications import backends

ROOT = Path(settings.BASE_DIR)


def on_rq() -> bool:
    return backends.name() == backends.RQ


def own_redis_url() -> str:
    """REDIS_URL with this xdist worker's database number."""
    base, _, number = settings.REDIS_URL.rpartition("/")
    offset = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    return f"{base}/{int(number or 0) + offset}"


def redis():
    import django_rq

    return django_rq.get_connection("default")


def run_due_tasks(monkeypatch) -> None:
    """Run every task that is due, in this process and on the test's own connection (so
    it sees the test's transaction), then return."""
    if on_rq():
        from django_rq.workers import get_worker

        # SimpleWorker: each task in this process, not a forked child.
        worker = get_worker("default", job_class="django_tasks_rq.Job",
                            worker_class="rq.SimpleWorker")
        worker.work(burst=True, with_scheduler=True)
        return
    from django_tasks_db.management.commands import db_worker

    # The worker recycles its database connection between tasks; inside the test's
    # transaction on PostgreSQL that would close it (SQLite's in-memory one stays open).
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    call_command("db_worker", batch=True, reload=False, startup_delay=False)


def database_url() -> str:
    """The test database, for worker processes (PostgreSQL only: they must see it)."""
    data = connection.settings_dict
    auth = data["USER"] + (f":{data['PASSWORD']}" if data["PASSWORD"] else "")
    return f"postgres://{auth}@{data['HOST']}:{data['PORT']}/{data['NAME']}"


def worker_env(**extra: str) -> dict:
    env = {**os.environ, "TASK_BACKEND": backends.name(), **extra}
    if on_rq():
        env["REDIS_URL"] = own_redis_url()
    return env


def start_worker(env: dict, log: Path) -> subprocess.Popen:
    """A real `manage.py worker`, in a process group of its own (RQ's worker forks a
    scheduler and a child per task: stopping or killing it means all of them)."""
    return subprocess.Popen(
        [sys.executable, "manage.py", "worker"], cwd=ROOT, env=env,
        stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # ended meanwhile
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_worker(worker: subprocess.Popen) -> None:
    """SIGKILL to the worker and every process it started, at once: the machine lost.
    (RQ runs each task in a child of its own session, which a process group's signal
    would miss.)"""
    for pid in [worker.pid, *_descendants(worker.pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    worker.wait(5)
    if on_rq():
        # RQ's scheduler lock outlives its dead holder by 60 s (the lock's expiry, as if
        # that minute had passed): the next worker's scheduler takes over at once.
        for key in redis().keys("rq:scheduler-lock:*"):
            redis().delete(key)


def stop_worker(worker: subprocess.Popen) -> None:
    """SIGTERM, as a service manager stops it: the task under way finishes."""
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(5)


def waiting_runs(task) -> list[str]:
    """Ids of every run of `task` the backend holds waiting (due or deferred): the
    backend's own store, to prove no second chain hides beside the schedule's."""
    if on_rq():
        from rq import Queue
        from rq.job import Job
        from rq.registry import ScheduledJobRegistry

        queue = Queue("default", connection=redis())
        ids = list(queue.get_job_ids()) + list(ScheduledJobRegistry(queue=queue).get_job_ids())
        return [i for i in ids if Job.fetch(i, connection=redis()).func_name == task.module_path]
    from django_tasks_db.models import DBTaskResult

    return [str(i) for i in DBTaskResult.objects.filter(
        task_path=task.module_path, status="READY").values_list("id", flat=True)]


def lose(result_id: str) -> None:
    """The backend forgets a run (Redis restarted: it keeps nothing on disk here)."""
    if on_rq():
        from rq.job import Job

        Job.fetch(result_id, connection=redis()).delete()
        return
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(id=result_id).delete()


def mark_running_since(result_id: str, started_at) -> None:
    """The backend shows the run as started at `started_at` and never finished (its
    worker was stopped mid-run)."""
    if on_rq():
        from rq import Queue
        from rq.job import Job, JobStatus

        job = Job.fetch(result_id, connection=redis())
        Queue("default", connection=redis()).remove(job)  # a worker took it
        job.started_at = started_at.replace(tzinfo=None)
        job.set_status(JobStatus.STARTED)
        job.save()
        return
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(id=result_id).update(status="RUNNING", started_at=started_at)


def bring_forward(result_id: str) -> None:
    """A deferred run becomes due now (the day has come, without waiting for it)."""
    if on_rq():
        from rq import Queue
        from rq.job import Job
        from rq.registry import ScheduledJobRegistry

        queue = Queue("default", connection=redis())
        ScheduledJobRegistry(queue=queue).remove(result_id)
        queue.enqueue_job(Job.fetch(result_id, connection=redis()))
        return
    from django_tasks_db.models import DBTaskResult

    from muster import clock

    DBTaskResult.objects.filter(id=result_id).update(run_after=clock.now())


def wait_for(condition, seconds: float) -> bool:
    """Poll `condition` until it holds or `seconds` pass (other processes at work); its
    last answer."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())
