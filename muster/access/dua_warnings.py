"""Warnings before a DUA expires (settings.DUA_WARNING_DAYS), sent by the daily sweep.

A warning names exactly what the lapse would pause (dua._pause, the day after the expiry
date): the live grants on the DUA-requiring services this DUA covers that no other DUA valid
the day after its expiry covers. With nothing to pause there is no warning: so a new valid
DUA covering that access stops the old one's warnings, and an invalidated DUA (whose lapse
has already paused what it covered) gets none.

Once per DUA and threshold (the outbox key says so), with catch-up: on a day D the threshold
due is the smallest one t with expiry - D <= t. After missed days only that one, the most
pressing, goes out, never a pile of stale ones; running the sweep twice sends nothing more.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from muster.audit import services as audit
from muster.contracts.models import Contract, DataUseAgreement
from muster.notifications import services as mail
from muster.notifications.models import OutboxEmail

from .dua import PAUSED_BY_A_LAPSE, _grant_list, _valid_on, recipients_of, uncovered_grants
from .models import AccessGrant

__all__ = ["ExpiryWarning", "expiring", "send_due", "threshold_due", "thresholds", "upcoming",
           "will_pause"]

DAY = datetime.timedelta(days=1)


def thresholds() -> list[int]:
    """The days before expiry a warning goes out, largest first."""
    return sorted({int(days) for days in settings.DUA_WARNING_DAYS}, reverse=True)


def threshold_due(days_left: int) -> int | None:
    """The most pressing threshold reached with `days_left` days to the expiry date (0: it
    expires today), or None outside every window."""
    reached = [t for t in thresholds() if days_left <= t]
    return min(reached) if reached and days_left >= 0 else None


def when(days_left: int) -> str:
    if days_left == 0:
        return "today"
    if days_left == 1:
        return "tomorrow"
    return f"in {days_left} days"


def expiring(day: datetime.date) -> QuerySet[DataUseAgreement]:
    """The DUAs valid on `day` that expire inside the largest warning window (through the
    indexed expiry date), soonest first."""
    if not thresholds():
        return DataUseAgreement.objects.none()
    horizon = day + datetime.timedelta(days=thresholds()[0])
    return DataUseAgreement.objects.filter(_valid_on(day), expiry_date__lte=horizon).order_by(
        "expiry_date", "pk")


def will_pause(dua: DataUseAgreement) -> QuerySet[AccessGrant]:
    """The grants the lapse of `dua` would pause: live, on a service it covers (a DUA that
    names none covers them all) that needs a DUA, and covered by no DUA valid the day after
    its expiry. One query."""
    covers = DataUseAgreement.objects.filter(pk=dua.pk).filter(
        Q(services=None) | Q(services=OuterRef("service")))
    live = AccessGrant.objects.filter(contract_id=dua.contract_id, status__in=PAUSED_BY_A_LAPSE)
    return uncovered_grants(live, dua.expiry_date + DAY).filter(Exists(covers))


# --- The daily sweep --------------------------------------------------------------------


def send_due(day: datetime.date, since: datetime.date) -> int:
    """The warnings due on `day`; how many were queued. Catching up needs no look-back:
    what is due depends only on the days left, and the keys already queued say what went
    out (so `since` is not read)."""
    # Only DUAs whose contract holds live access on a service that needs a DUA (what a
    # lapse could pause: _warn_many checks exactly), and the keys already queued in one query.
    live = AccessGrant.objects.filter(contract=OuterRef("contract"),
                                      status__in=PAUSED_BY_A_LAPSE, service__requires_dua=True)
    due = [(pk, threshold) for pk, expiry in expiring(day).filter(Exists(live))
           .values_list("pk", "expiry_date")
           if (threshold := threshold_due((expiry - day).days)) is not None]
    if not due:
        return 0
    queued = set(OutboxEmail.objects.filter(key__in=[_key(pk, t) for pk, t in due])
                 .values_list("key", flat=True))
    todo = [(pk, t) for pk, t in due if _key(pk, t) not in queued]
    return sum(_warn_many(todo[start:start + BATCH], day) for start in range(0, len(todo), BATCH))


BATCH = 100  # warnings in one transaction


def _key(dua_pk: int, threshold: int) -> str:
    return f"dua_expiring:{dua_pk}:{threshold}"


@transaction.atomic
def _warn_many(todo: list[tuple[int, int]], day: datetime.date) -> int:
    """The warnings `todo` (DUA, threshold), under their contracts' locks (an upload or
    invalidation waits for them, and they see theirs): how many were queued. None for a
    DUA no longer valid, with nothing that would pause, or nobody to tell. The contracts,
    the DUAs and the people in a query each; what would pause, a query per DUA."""
    contract_of = dict(DataUseAgreement.objects.filter(pk__in=[pk for pk, _ in todo])
                       .values_list("pk", "contract_id"))
    contracts = {c.pk: c for c in Contract.objects.select_for_update()
                 .filter(pk__in=set(contract_of.values())).order_by("pk")}
    # As they are, now their contracts are locked.
    duas = DataUseAgreement.objects.in_bulk(list(contract_of))
    recipients = recipients_of(contracts.values())
    warnings = []
    for pk, threshold in todo:
        dua = duas.get(pk)
        if dua is None or not dua.is_valid_on(day):
            continue
        grants = _grant_list(will_pause(dua).select_related("user", "service"))
        if not grants:
            continue
        days_left = (dua.expiry_date - day).days
        services = sorted({g.service for g in grants}, key=lambda s: (s.order, s.name))
        warnings.append((dua, threshold, contracts[dua.contract_id], grants, services,
                         days_left))
    to_and_cc = [recipients[w[2].pk] for w in warnings]
    queued = {e.key for e in mail.queue_many("dua_expiring", [
        {"to": to, "cc": cc, "contract": contract, "key": _key(dua.pk, threshold),
         "context": {"dua": dua, "grants": grants, "services": services,
                     "days_left": days_left, "when": when(days_left),
                     "pause_date": dua.expiry_date + DAY}}
        for (dua, threshold, contract, grants, services, days_left), (to, cc)
        in zip(warnings, to_and_cc, strict=True)
    ])}
    events = [  # appended at once
        audit.entry(
            "access.dua_expiry_warned", dua,
            f"Warned the SO and COR that DUA {dua.number} expires on "
            f"{dua.expiry_date:%B %-d, %Y} ({when(days_left)}): {len(grants)} "
            f"grant{'s' if len(grants) != 1 else ''} would pause",
            contract=contract,
            after={"threshold": threshold, "days_left": days_left,
                   "expiry_date": dua.expiry_date, "grants": len(grants),
                   "services": [s.name for s in services]},
        )
        for dua, threshold, contract, grants, services, days_left in warnings
        if _key(dua.pk, threshold) in queued
    ]
    audit.record_many(None, None, events)
    return len(events)


# --- The contract page --------------------------------------------------------------------


@dataclass(frozen=True)
class ExpiryWarning:
    """What the contract page says about a DUA inside its warning window."""

    dua: DataUseAgreement
    days_left: int
    services: list[tuple[str, int]]  # (service name, users whose access would pause)

    @property
    def when(self) -> str:
        return when(self.days_left)


def upcoming(contract: Contract, day: datetime.date) -> ExpiryWarning | None:
    """The soonest-expiring DUA of the contract inside the largest warning window whose
    lapse would pause something, or None. A query, and one more per DUA in the window:
    never one per grant."""
    for dua in expiring(day).filter(contract=contract):
        rows = (will_pause(dua).values("service__name", "service__order")
                .annotate(users=Count("user", distinct=True))
                .order_by("service__order", "service__name"))
        services = [(row["service__name"], row["users"]) for row in rows]
        if services:
            return ExpiryWarning(dua, (dua.expiry_date - day).days, services)
    return None
