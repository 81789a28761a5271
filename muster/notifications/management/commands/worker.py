import logging
import os
import socket
import threading

from django.conf import settings
from django.core.management import CommandError
from django.db import connection

from muster import commands
from muster.notifications import backends, heartbeat, schedule

log = logging.getLogger(__name__)


class Heartbeat(threading.Thread):
    """Beside the backend's worker: says this worker is alive (WorkerHeartbeat, read by
    /readyz) and keeps the recurring tasks scheduled, now and every
    WORKER_HEARTBEAT_SECONDS, on a database connection of its own."""

    def __init__(self, worker_id: str):
        super().__init__(name="muster-heartbeat", daemon=True)
        self.worker_id = worker_id
        self.stopped = threading.Event()

    def beat(self) -> None:
        try:
            heartbeat.beat(self.worker_id, backends.name())
            schedule.keep_all()
        finally:
            connection.close()  # this thread's own; never left open between beats

    def run(self) -> None:
        while not self.stopped.wait(settings.WORKER_HEARTBEAT_SECONDS):
            try:
                self.beat()
            except Exception:  # the database away for a moment: try again next beat
                log.exception("Worker heartbeat failed")


class Command(commands.Command):
    help = ("Run the background worker of the configured task backend (TASK_BACKEND): "
            "emails and the daily sweep. Schedules the sweep and leaves a heartbeat.")

    def handle(self, *args, **options):
        problem = backends.unreachable()
        if problem:
            raise CommandError(problem)
        worker_id = f"{socket.gethostname()}:{os.getpid()}"
        beats = Heartbeat(worker_id)
        beats.beat()  # alive, and the daily sweep scheduled, before the first task
        self.stdout.write(f"Worker {worker_id} on the {backends.name()} task backend.")
        self.stdout.flush()
        beats.start()
        try:
            backends.run_worker(worker_id)
        finally:
            beats.stopped.set()
            beats.join(10)
