"""The schedule of recurring tasks (notifications/schedule.py), on the configured task
backend: one waiting run per task, replaced only when it would start too late or is gone."""

import datetime

from muster.notifications import schedule
from muster.notifications.tasks import deliver_outbox

from .. import workers

T0 = datetime.datetime(2026, 11, 24, 14, 0, tzinfo=datetime.UTC)
MINUTE = datetime.timedelta(minutes=1)


def test_a_run_waiting_by_then_is_enough(db, enqueued):
    first = schedule.run_by(deliver_outbox, T0 + MINUTE)
    assert schedule.run_by(deliver_outbox, T0 + 5 * MINUTE) is None
    assert schedule.waiting(deliver_outbox).id == first
    assert len(enqueued) == 1


def test_a_run_needed_sooner_is_enqueued_and_held_instead(db, enqueued):
    later = schedule.run_by(deliver_outbox, T0 + 5 * MINUTE)
    sooner = schedule.run_by(deliver_outbox, T0 + MINUTE)
    assert sooner not in (None, later)
    waiting = schedule.waiting(deliver_outbox)
    assert (waiting.id, waiting.task.run_after) == (sooner, T0 + MINUTE)
    # The later one cannot be withdrawn through the API: it will start and find nothing.
    assert sorted(workers.waiting_runs(deliver_outbox)) == sorted([later, sooner])


def test_a_run_the_backend_lost_is_enqueued_again(db, enqueued):
    lost = schedule.run_by(deliver_outbox, T0 + MINUTE)
    workers.lose(lost)
    assert schedule.waiting(deliver_outbox) is None
    again = schedule.run_by(deliver_outbox, T0 + MINUTE)
    assert again not in (None, lost)
    assert workers.waiting_runs(deliver_outbox) == [again]


def test_one_keeper_failing_does_not_stop_the_others(db, monkeypatch, caplog):
    ran = []

    def broken():
        raise ConnectionError("Redis is away")

    monkeypatch.setattr(schedule, "_keepers", [broken, lambda: ran.append(True)])
    schedule.keep_all()
    assert ran == [True]
    assert "Could not keep broken scheduled" in caplog.text
