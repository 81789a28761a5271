"""The worker's side of the webhooks: the delivery task, kicked after each commit that
queued deliveries, and kept scheduled for retries through the shared schedule
(notifications/schedule.py), exactly as the outbox's delivery is."""

import datetime
import logging

from django.tasks import task

from muster.notifications import schedule

from . import sending

log = logging.getLogger(__name__)


def _come_back_by(at: datetime.datetime) -> None:
    """One waiting run (the schedule's) serves every worker and every retry."""
    try:
        schedule.run_by(deliver_webhooks, at)
    except Exception:  # the next heartbeat's keeper schedules it
        log.exception("Could not schedule webhook delivery")


def _takeover(claimed_at: datetime.datetime) -> None:
    """If this worker dies with claims, a run looks again once they can be taken over."""
    _come_back_by(claimed_at + sending.CLAIM_TIMEOUT + datetime.timedelta(seconds=1))


@task
def deliver_webhooks() -> dict:
    """Send every due delivery; if some wait for a retry, come back when the first is due."""
    report = sending.deliver_due(on_claim=_takeover)
    keep_delivery_scheduled()
    return {"delivered": report.delivered, "retrying": report.retrying,
            "gave_up": report.gave_up}


def keep_delivery_scheduled() -> None:
    """The worker's keeper: a run by the time the first waiting delivery is due."""
    retry_at = sending.next_retry_at()
    if retry_at is not None:
        _come_back_by(retry_at)


def kick_worker():
    """Enqueue a delivery run now (after the commit that queued deliveries)."""
    try:
        return deliver_webhooks.enqueue()
    except Exception:  # the worker's keeper sends what is left
        log.exception("Could not enqueue webhook delivery")
        return None
