"""The daily check (a job of the sweep, registered in apps.py): record which findings the
day has, and email the onboarding team one summary of those that are new.

New: not found by the previous check (never seen, or resolved since and back). A finding
that stays is not reported again. The email's outbox key names the day and the first new
finding recorded, so a second run the same day finds nothing new and sends nothing, and
a retry inside one run never sends twice. Nothing here changes access itself: the
bookkeeping is not an audited event; the email is kept in the outbox.
"""

import datetime

from django.db import transaction

from muster import workflow
from muster.notifications import services as mail

from . import findings
from .models import SeenFinding

# How many new findings the email lists; past it, "and N more" and the page.
EMAIL_LIMIT = 20


@transaction.atomic
def check(day: datetime.date, since: datetime.date | None = None) -> int:
    """Record the findings of `day`; email the team the new ones. Returns how many are new.

    `since` (the last sweep's day) is not needed: findings are the state of the data on
    `day`, so a missed day is caught up by the next check."""
    found = {f.key: f for f in findings.every(day)}
    open_rows = {row.key: row for row in SeenFinding.objects.select_for_update().filter(
        resolved_on__isnull=True)}
    new_keys = [key for key in found if key not in open_rows]
    # Resolved: open yesterday, not found today.
    SeenFinding.objects.filter(pk__in=[r.pk for k, r in open_rows.items() if k not in found]
                               ).update(resolved_on=day)
    SeenFinding.objects.filter(pk__in=[r.pk for k, r in open_rows.items() if k in found]
                               ).update(last_seen=day)
    if not new_keys:
        return 0
    # Back after being resolved: seen again from today.
    SeenFinding.objects.filter(key__in=new_keys).update(
        first_seen=day, last_seen=day, resolved_on=None)
    known = set(SeenFinding.objects.filter(key__in=new_keys).values_list("key", flat=True))
    SeenFinding.objects.bulk_create([
        SeenFinding(kind=found[key].kind, key=key, first_seen=day, last_seen=day)
        for key in new_keys if key not in known
    ])
    first = SeenFinding.objects.filter(key__in=new_keys).order_by("pk").values_list(
        "pk", flat=True).first()
    new = [found[key] for key in new_keys]
    mail.queue(
        "reconciliation_new_findings", to=workflow.team_emails(),
        key=f"reconciliation:{day.isoformat()}:{first}",
        context={"day": day, "findings": new[:EMAIL_LIMIT],
                 "more": max(0, len(new) - EMAIL_LIMIT), "total": len(new),
                 "by_kind": _by_kind(new)},
    )
    return len(new)


def _by_kind(new: list[findings.Finding]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for f in new:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    return [(findings.KINDS[k].label, counts[k]) for k in findings.KINDS if k in counts]
