"""Workers say they are alive; readiness asks when one was last seen."""

import datetime

from muster import clock

from .models import WorkerHeartbeat

# A worker not seen for this long is gone (stopped, or its machine replaced): its row is
# forgotten, or every start since the first deployment would stay (the id is host:pid).
FORGET_AFTER = datetime.timedelta(days=1)


def beat(worker_id: str, backend: str) -> None:
    """Record that this worker is alive now, and forget the workers long gone."""
    now = clock.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id[:100], defaults={"backend": backend[:40], "seen_at": now}
    )
    WorkerHeartbeat.objects.filter(seen_at__lt=now - FORGET_AFTER).delete()


def last_seen() -> datetime.datetime | None:
    """When any worker was last seen alive, or None if none ever was."""
    latest = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True)
    return latest.first()
