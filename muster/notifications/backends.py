"""The task backend Muster runs on (settings.TASK_BACKEND): its worker, and what differs.

"database": django-tasks-db; its worker is `db_worker`, polling the database.
"rq": django-tasks-rq on Redis; its worker is RQ's, with RQ's own scheduler (built into
rq since 1.2, needed for runs deferred with `run_after`; the separate rq-scheduler package
keeps another registry that django-tasks-rq does not use).
"""

import importlib

from django.conf import settings
from django.core.management import call_command

DATABASE, RQ = "database", "rq"
# How often an idle RQ worker looks up from waiting (its registration's time to live:
# it waits on Redis this less 15 s) and cleans its registries; then, if the worker whose
# scheduler held the lock has died, it takes the scheduler over. rq's defaults (420 s and
# 10 minutes) would leave deferred runs waiting over 10 minutes after a worker is killed;
# the dead worker's lock itself expires 60 s after its last renewal.
RQ_WORKER_TTL_SECONDS = 60
RQ_MAINTENANCE_SECONDS = 60


def name() -> str:
    return settings.TASK_BACKEND


def forward_backport_signals() -> None:
    """django-tasks-rq sends the django-tasks backport's signals, not Django's: forward
    them, so receivers of Django's (the audit record's task ids) hear every backend."""
    if name() != RQ:
        return
    from django.tasks import signals
    from django_tasks import signals as backport

    for signal_name in ("task_enqueued", "task_started", "task_finished"):
        source, target = getattr(backport, signal_name), getattr(signals, signal_name)

        def forward(sender, target=target, **kwargs):
            kwargs.pop("signal", None)
            target.send(sender=sender, **kwargs)

        source.connect(forward, weak=False, dispatch_uid=f"muster.forward.{signal_name}")


def unreachable() -> str | None:
    """Why the backend's own server cannot be reached, or None (the database's problems
    are told by muster.commands)."""
    if name() != RQ:
        return None
    import django_rq
    from redis.exceptions import RedisError

    try:
        django_rq.get_connection("default").ping()
    except RedisError as error:
        return f"Cannot reach Redis (check REDIS_URL): {error}"
    return None


# What the tasks import on first use that costs a fresh process most: WeasyPrint (the
# welcome package's, the evidence package's and the certification's PDFs), whose import
# parses its C declarations with cffi and its stylesheets, 0.3 to 0.5 s of CPU here.
PRELOADED = ("weasyprint",)


def preload() -> None:
    """Import what the tasks would import on first use, before the first task: RQ runs
    each task in a child forked from this process, so without it every package paid the
    import; the database's worker pays it once, at its start rather than in a task."""
    for module in PRELOADED:
        importlib.import_module(module)


def run_worker(worker_id: str) -> None:
    """Run the backend's worker in this process until it is told to stop (SIGTERM or
    SIGINT let the task under way finish)."""
    preload()
    if name() == RQ:
        from django_rq.utils import reset_db_connections
        from django_rq.workers import get_worker
        from rq.logutils import setup_loghandlers

        setup_loghandlers("INFO")
        worker = get_worker(
            *settings.TASKS["default"]["QUEUES"], job_class="django_tasks_rq.Job",
            name=worker_id, worker_ttl=RQ_WORKER_TTL_SECONDS,
            maintenance_interval=RQ_MAINTENANCE_SECONDS,
        )
        reset_db_connections()  # each task runs in a forked child: no connection to share
        worker.work(with_scheduler=True)
    else:
        call_command("db_worker", queue_name="*", reload=False, worker_id=worker_id)
