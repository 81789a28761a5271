"""Workers say they are alive; readiness asks when one was last seen."""

import datetime

from muster import clock

from .models import WorkerHeartbeat


def beat(worker_id: str, backend: str) -> None:
    """Record that this worker is alive now."""
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id[:100], defaults={"backend": backend[:40], "seen_at": clock.now()}
    )


def last_seen() -> datetime.datetime | None:
    """When any worker was last seen alive, or None if none ever was."""
    latest = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True)
    return latest.first()
