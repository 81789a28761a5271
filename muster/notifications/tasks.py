from django.tasks import task

from . import services


@task
def deliver_outbox() -> dict:
    """Send every due email; if some wait for a retry, come back when the first is due."""
    report = services.deliver_due()
    retry_at = services.next_retry_at()
    if retry_at is not None:
        services.kick_worker(run_after=retry_at)
    return {"sent": report.sent, "retrying": report.retrying, "failed": report.failed}
