"""Each worker start leaves a heartbeat row (its host and process id): the rows of workers
long gone are forgotten, so the table holds the workers of the last day, not every start
since the first deployment."""

import datetime

from muster import clock
from muster.notifications import heartbeat
from muster.notifications.models import WorkerHeartbeat


def test_a_beat_forgets_workers_not_seen_for_a_day(db, time_machine):
    time_machine.move_to(datetime.datetime(2027, 3, 8, 9, 0, tzinfo=datetime.UTC), tick=False)
    heartbeat.beat("host-a:101", "database")  # stopped two days ago
    time_machine.shift(datetime.timedelta(days=2))
    heartbeat.beat("host-a:202", "database")  # restarted yesterday, seen an hour ago
    time_machine.shift(datetime.timedelta(hours=1))

    heartbeat.beat("host-b:303", "database")

    assert set(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == {
        "host-a:202", "host-b:303"}
    assert heartbeat.last_seen() == clock.now()
