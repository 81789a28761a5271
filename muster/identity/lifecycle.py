"""The account lifecycle, run by the daily sweep (closeout/sweep.py calls `sweep`):

- A person whose last role ended (no contract role left on an open contract: removed from
  a roster, the contract closed, replaced as SO, COR, ...), with no team role, who is not
  staff or a superuser, is deactivated the same day (deactivated_reason "no_role").
- An account nobody signed in to for ACCOUNT_UNUSED_DAYS (or never signed in to, named
  longer ago than that, with no invitation sent since) is disabled ("unused"), and the
  person is told by email. Superusers are left alone: someone must be able to get in.

Either way the person's sessions end, and the callers' hooks run for them (the sweep's
revokes their calendar links: closeout is above this app). Every step is on the audit
record. Naming the person again reactivates them (invitations.py); this module only says
why an account is inactive.

Set-based: the people concerned come from one query each (never a loop over everyone);
each person found costs a few queries, in batches. Running it twice changes nothing more.
"""

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import models, transaction
from django.db.models import Count, Exists, OuterRef, Q

from muster import clock
from muster.accounts.models import ContractRole, TeamRole, User
from muster.audit import services as audit
from muster.contracts.models import Stage
from muster.notifications import services as mail

from . import sessions
from .models import Invitation, Session

# A contract in these stages gives its people no role any more.
ENDED_STAGES = (Stage.CLOSED, Stage.WITHDRAWN)
BATCH = 500

# Called with the people just deactivated (a list of User), inside the transaction that
# deactivated them; each audits what it does.
Hook = Callable[[Sequence[User]], object]


@dataclass
class LifecycleReport:
    deactivated: int = 0  # no role left
    disabled: int = 0  # unused


def sweep(day: datetime.date | None = None, *, hooks: Iterable[Hook] = ()) -> LifecycleReport:
    hooks = tuple(hooks)
    return LifecycleReport(
        deactivated=deactivate_roleless(hooks=hooks),
        disabled=disable_unused(day, hooks=hooks),
    )


# ------------------------------------------------------------------------------ who


def _may_be_switched_off() -> models.QuerySet:
    return User.objects.filter(is_active=True, is_superuser=False)


def roleless() -> models.QuerySet:
    """Active people with no role left: no contract role on an open contract, no team
    role, not staff."""
    open_role = ContractRole.objects.filter(user=OuterRef("pk")).exclude(
        contract__stage__in=ENDED_STAGES)
    team_role = TeamRole.objects.filter(user=OuterRef("pk"))
    return _may_be_switched_off().filter(is_staff=False).exclude(
        Exists(open_role)).exclude(Exists(team_role))


def unused(now: datetime.datetime) -> models.QuerySet:
    """Active accounts not signed in to since the cutoff (or never, and named before it),
    neither invited nor given a role on a contract since the cutoff (a person named again,
    which reactivates an account this sweep closed, has their days again)."""
    cutoff = now - datetime.timedelta(days=settings.ACCOUNT_UNUSED_DAYS)
    invited_since = Invitation.objects.filter(user=OuterRef("pk"), sent_at__gte=cutoff)
    named_since = ContractRole.objects.filter(user=OuterRef("pk"), assigned_at__gte=cutoff)
    return _may_be_switched_off().filter(
        Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff)
    ).exclude(Exists(invited_since)).exclude(Exists(named_since))


# ------------------------------------------------------------------------------ what


def deactivate_roleless(*, hooks: Iterable[Hook] = ()) -> int:
    return _switch_off(roleless, User.Deactivated.NO_ROLE, tuple(hooks))


def disable_unused(day: datetime.date | None = None, *, hooks: Iterable[Hook] = ()) -> int:
    now = clock.now()
    day = day or clock.today()
    return _switch_off(lambda: unused(now), User.Deactivated.UNUSED, tuple(hooks), day=day)


def _switch_off(found: Callable[[], models.QuerySet], reason: str, hooks: tuple[Hook, ...],
                day: datetime.date | None = None) -> int:
    ids = list(found().order_by("pk").values_list("pk", flat=True))
    done = 0
    for start in range(0, len(ids), BATCH):
        done += _switch_off_batch(found, ids[start:start + BATCH], reason, hooks, day)
    return done


@transaction.atomic
def _switch_off_batch(found, ids: list[int], reason: str, hooks: tuple[Hook, ...],
                      day: datetime.date | None) -> int:
    # Locked and asked again: a role given since the first read keeps the person active.
    people = list(found().filter(pk__in=ids).select_for_update().order_by("pk"))
    if not people:
        return 0
    pks = [p.pk for p in people]
    User.objects.filter(pk__in=pks).update(is_active=False, deactivated_reason=reason)
    ended = dict(Session.objects.filter(user_id__in=pks).values("user_id")
                 .annotate(n=Count("pk")).values_list("user_id", "n"))
    sessions.end_sessions(pks)
    before = {p.pk: p.deactivated_reason for p in people}
    for person in people:
        person.is_active, person.deactivated_reason = False, reason
    for hook in hooks:
        hook(people)
    for person in people:
        _audit_and_tell(person, reason, before[person.pk], ended.get(person.pk, 0), day)
    return len(people)


def _audit_and_tell(person: User, reason: str, reason_before: str, sessions_ended: int,
                    day: datetime.date | None) -> None:
    name = person.get_full_name() or person.email
    if reason == User.Deactivated.NO_ROLE:
        summary = f"{name}'s account was deactivated: no role left in Muster"
    else:
        days = settings.ACCOUNT_UNUSED_DAYS
        summary = f"{name}'s account was disabled: not used for {days} days"
    emailed = False
    if reason == User.Deactivated.UNUSED:
        email = mail.queue(
            "account_disabled_unused", to=[person.email],
            key=f"account-unused:{person.pk}:{(day or clock.today()).isoformat()}",
            context={"person": person, "days": settings.ACCOUNT_UNUSED_DAYS,
                     "last_login": person.last_login},
        )
        emailed = email is not None
    audit.record(
        None, "account.deactivated", person, summary,
        before={"is_active": True, "deactivated_reason": reason_before},
        after={"is_active": False, "deactivated_reason": reason,
               "sessions_ended": sessions_ended, "emailed": emailed},
    )
