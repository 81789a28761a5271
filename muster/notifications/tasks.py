"""The worker's side of the outbox: the delivery task and how it is enqueued."""

import datetime
import logging

from django.db.models import Q
from django.tasks import task
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from . import delivery

log = logging.getLogger(__name__)


def _already_scheduled(task_path: str, at) -> bool:
    """Another delivery run is waiting and will start by `at`: then this run need not
    schedule one more. Without it, every email queued during a mail outage would start its
    own chain of retries."""
    return DBTaskResult.objects.filter(
        Q(run_after__lte=at) | Q(run_after=get_date_max()),  # the latter: "as soon as possible"
        task_path=task_path, status=TaskResultStatus.READY,
    ).exists()


class _Takeover:
    """Before sending what it claimed, a run makes sure a delivery run will look again
    once its claims could be taken over: if this worker is killed, another worker (or this
    one restarted) delivers the rest within about OUTBOX_CLAIM_SECONDS. A run that ends
    normally withdraws what it scheduled for that."""

    def __init__(self):
        self.scheduled: list[str] = []

    def schedule(self, claimed_at) -> None:
        at = claimed_at + delivery.claim_timeout() + datetime.timedelta(seconds=1)
        if not _already_scheduled(deliver_outbox.module_path, at):
            result = kick_worker(run_after=at)
            if result is not None:
                self.scheduled.append(result.id)

    def withdraw(self) -> None:
        if self.scheduled:
            DBTaskResult.objects.filter(
                id__in=self.scheduled, status=TaskResultStatus.READY
            ).delete()


@task
def deliver_outbox() -> dict:
    """Send every due email; if some wait for a retry, come back when the first is due."""
    takeover = _Takeover()
    report = delivery.deliver_due(on_claim=takeover.schedule)
    takeover.withdraw()
    retry_at = delivery.next_retry_at()
    if retry_at is not None and not _already_scheduled(deliver_outbox.module_path, retry_at):
        kick_worker(run_after=retry_at)
    return {"sent": report.sent, "retrying": report.retrying, "failed": report.failed}


def kick_worker(run_after: datetime.datetime | None = None):
    """Enqueue a delivery run (now, or at `run_after`); its TaskResult, or None."""
    task = deliver_outbox.using(run_after=run_after) if run_after else deliver_outbox
    try:
        return task.enqueue()
    except Exception:  # the next kick (or a periodic sweep) delivers what is left
        log.exception("Could not enqueue outbox delivery")
        return None
