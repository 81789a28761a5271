"""Is this instance ready to serve? The checks behind /readyz, each a few milliseconds.

Each check answers a plain fact and whether it passes; nothing here names a person or a
contract, since the answer is public. A database error fails the check at once: the
connection's own timeout (DB_CONNECT_TIMEOUT on PostgreSQL) bounds how long it can take.
"""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Min

from muster import clock
from muster.notifications import heartbeat
from muster.notifications.models import OutboxEmail

WAITING = [OutboxEmail.Status.PENDING, OutboxEmail.Status.SENDING]


@dataclass
class Check:
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, **self.detail}


def _seconds_since(moment: datetime.datetime | None) -> int | None:
    if moment is None:
        return None
    return max(int((clock.now() - moment).total_seconds()), 0)


def database() -> Check:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return Check(True)


def migrations() -> Check:
    """Every migration in the code is applied (the plan to the latest is empty)."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return Check(not plan, {"unapplied": len(plan)})


def worker() -> Check:
    """A background worker beat within READY_WORKER_SECONDS (0: not checked)."""
    limit = settings.READY_WORKER_SECONDS
    age = _seconds_since(heartbeat.last_seen())
    if limit <= 0:
        return Check(True, {"seconds_since_seen": age, "checked": False})
    return Check(age is not None and age <= limit, {"seconds_since_seen": age, "limit": limit})


def oldest_email() -> Check:
    """How long the oldest email not yet sent has waited: reported, never a failure (a
    backlog is for an alert on the metrics, not a reason to take this instance out)."""
    oldest = OutboxEmail.objects.filter(status__in=WAITING).aggregate(at=Min("created_at"))["at"]
    return Check(True, {"oldest_pending_seconds": _seconds_since(oldest)})


CHECKS = {
    "database": database,
    "migrations": migrations,
    "worker": worker,
    "outbox": oldest_email,
}


def readiness() -> tuple[bool, dict[str, dict[str, Any]]]:
    """(ready, each check's answer: ok true, false, or null when skipped). Once the
    database fails the other checks, which all need it, are skipped: one timeout, not four.
    An error's type is given, never its message (it may quote data)."""
    answers: dict[str, dict[str, Any]] = {}
    for name, check in CHECKS.items():
        if answers.get("database", {}).get("ok") is False:
            answers[name] = {"ok": None, "skipped": "database unavailable"}
            continue
        try:
            answers[name] = check().as_json()
        except DatabaseError as error:
            answers[name] = {"ok": False, "error": type(error).__name__}
    return all(a["ok"] is True for a in answers.values()), answers
