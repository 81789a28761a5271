"""A delivery worker killed in the middle of its work (SIGKILL: no cleanup at all), against
a real SMTP server: another worker takes its claims over within the claim window, every
email arrives, and only the one in flight when it died may arrive twice, with the same
Message-ID.

The workers are real `manage.py worker` processes of the configured task backend (the
database's or RQ's), on a database they share with the test: PostgreSQL's test database,
or for SQLite a file copy of the in-memory test database (copied there before the workers
run and back after).
"""

import asyncio
import collections
import datetime
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest
from django.db import connection, transaction

from muster.closeout.tasks import daily_sweep
from muster.notifications import schedule
from muster.notifications import services as mail
from muster.notifications.models import OutboxEmail
from tests import workers as task_workers
from tests.factories import make_contract
from tests.smtp import Collect, SMTPServer

EMAILS = 30
IN_FLIGHT = 8  # the worker dies while this message is with the server
CLAIM_SECONDS = 1
BATCH = 10
# How long a worker process may take to start and send, on a loaded two-core machine
# (the whole suite runs beside it): generous, as the claim window (1 s) is what is tested.
PATIENCE = 30


class HoldTheNthReply(Collect):
    """Takes every message; for the Nth it signals the test and holds back its "250" so
    the worker is killed after the server has the message but before Muster hears so."""

    def __init__(self, n: int):
        super().__init__()
        self.n = n
        self.nth_received = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        if len(self.envelopes) == self.n:
            self.nth_received.set()
            await asyncio.sleep(3)
        return "250 Message accepted for delivery"


class WorkerDatabase:
    """The database the worker processes use, as a DATABASE_URL."""

    def __init__(self, tmp_path: Path):
        data = connection.settings_dict
        if connection.vendor == "postgresql":
            auth = data["USER"] + (f":{data['PASSWORD']}" if data["PASSWORD"] else "")
            self.url = f"postgres://{auth}@{data['HOST']}:{data['PORT']}/{data['NAME']}"
            self.file = None
        else:
            self.file = tmp_path / "workers.sqlite3"
            self.url = f"sqlite:///{self.file}"

    def push(self):
        """SQLite: copy the test's database to the workers' file."""
        if self.file:
            connection.ensure_connection()
            with sqlite3.connect(self.file) as target:
                connection.connection.backup(target)

    def pull(self):
        """SQLite: read back what the workers did."""
        if self.file:
            source = sqlite3.connect(self.file)
            try:
                source.backup(connection.connection)
            finally:
                source.close()


def start_worker(database: WorkerDatabase, smtp_port: int, log: Path) -> subprocess.Popen:
    env = task_workers.worker_env(
        DATABASE_URL=database.url, EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp_port),
        EMAIL_TIMEOUT="5", OUTBOX_CLAIM_SECONDS=str(CLAIM_SECONDS),
        OUTBOX_BATCH_SIZE=str(BATCH), MUSTER_VAR_DIR=str(log.parent),
    )
    return task_workers.start_worker(env, log)



@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_killed_worker_is_taken_over_and_repeats_at_most_the_email_in_flight(tmp_path):
    server = SMTPServer()
    server.handler = HoldTheNthReply(IN_FLIGHT)
    server.start()
    contract = make_contract(name="Killed worker")
    with transaction.atomic():  # one transaction: one delivery task for all of them
        for n in range(EMAILS):
            mail.queue("survey_answered", to=[f"person{n}@example.gov"], key=f"kill:{n}",
                       contract=contract, context={"survey": None})
    # Tomorrow's sweep already scheduled: a starting worker does not sweep (and deliver)
    # first.
    schedule.run_by(daily_sweep, datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC))
    database = WorkerDatabase(tmp_path)
    database.push()
    workers = []
    try:
        first = start_worker(database, server.port, tmp_path / "first.log")
        workers.append(first)
        assert server.handler.nth_received.wait(PATIENCE), (tmp_path / "first.log").read_text()
        task_workers.kill_worker(first)  # SIGKILL: the worker cannot record anything more
        killed_at = time.monotonic()

        database.pull()
        left = collections.Counter(OutboxEmail.objects.values_list("status", flat=True))
        # Each email it was told about is recorded at once; it had claimed a small batch.
        assert left[OutboxEmail.Status.SENT] == IN_FLIGHT - 1
        assert left[OutboxEmail.Status.SENDING] <= BATCH

        second = start_worker(database, server.port, tmp_path / "second.log")
        workers.append(second)
        everything = {f"kill:{n}" for n in range(EMAILS)}
        assert task_workers.wait_for(
            lambda: {m["X-Muster-Key"] for m in server.handler.messages()} >= everything,
            PATIENCE,
        ), (tmp_path / "second.log").read_text()
        taken_over_in = time.monotonic() - killed_at
    finally:
        for worker in workers:
            task_workers.stop_worker(worker)
        server.stop()

    messages = server.handler.messages()
    arrivals = collections.Counter(m["X-Muster-Key"] for m in messages)
    in_flight_key = messages[IN_FLIGHT - 1]["X-Muster-Key"]
    assert set(arrivals) == everything
    repeated = {key: count for key, count in arrivals.items() if count > 1}
    assert repeated == {in_flight_key: 2}  # the server had it; Muster had not heard
    copies = [m for m in messages if m["X-Muster-Key"] == in_flight_key]
    assert len({m["Message-ID"] for m in copies}) == 1
    assert taken_over_in < PATIENCE  # the claim window is 1 s here (60 s by default)
    database.pull()
    assert set(OutboxEmail.objects.values_list("status", flat=True)) == {
        OutboxEmail.Status.SENT
    }
