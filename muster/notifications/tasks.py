"""The worker's side of the outbox: the delivery task and how it is enqueued."""

import datetime
import logging

from django.tasks import task

from . import delivery, schedule

log = logging.getLogger(__name__)


def _come_back_by(at: datetime.datetime) -> None:
    """Make sure a delivery run starts by `at`. One waiting run (the schedule's) serves
    every worker: without it, every email queued during a mail outage would start its own
    chain of retries."""
    try:
        schedule.run_by(deliver_outbox, at)
    except Exception:  # the next heartbeat's keeper schedules it
        log.exception("Could not schedule outbox delivery")


def _takeover(claimed_at: datetime.datetime) -> None:
    """Before sending what it claimed, a run makes sure a delivery run looks again once
    its claims could be taken over: if this worker is killed, another worker (or this one
    restarted) delivers the rest within about OUTBOX_CLAIM_SECONDS. If this run ends
    normally, that run starts anyway and finds nothing of this batch to do."""
    _come_back_by(claimed_at + delivery.claim_timeout() + datetime.timedelta(seconds=1))


@task
def deliver_outbox() -> dict:
    """Send every due email; if some wait for a retry, come back when the first is due."""
    report = delivery.deliver_due(on_claim=_takeover)
    keep_delivery_scheduled()
    return {"sent": report.sent, "retrying": report.retrying, "failed": report.failed}


def keep_delivery_scheduled() -> None:
    """A delivery run by the time the first waiting email is due (a retry, or a claim left
    by a worker that stopped): the worker's keeper, so a lost run (Redis restarted, a kick
    that could not be enqueued) is made up for."""
    retry_at = delivery.next_retry_at()
    if retry_at is not None:
        _come_back_by(retry_at)


def kick_worker():
    """Enqueue a delivery run now (after the commit that queued emails); its TaskResult,
    or None."""
    try:
        return deliver_outbox.enqueue()
    except Exception:  # the next kick (or the worker's keeper) delivers what is left
        log.exception("Could not enqueue outbox delivery")
        return None
