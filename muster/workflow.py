"""The one way a guarded change runs, for every app's services:

    request = workflow.locked(request, version, related=["contract"])  # lock, check version
    workflow.require(actor, Action.REVIEW_INTAKE, request.contract)     # role, else 403
    workflow.transition(actor, request, request.mark_reviewed, "Reviewed",
                        event="onboarding.mark_reviewed", contract=request.contract,
                        refused=OnboardingError("... cannot be marked reviewed."))
    mail.queue(...)                                                     # same transaction

The caller's service function is `@transaction.atomic`, so the lock, the change, its audit
event and its emails commit together or not at all.
"""

from collections.abc import Callable, Sequence
from typing import Any

from django.db import models
from django_fsm import can_proceed

from muster.accounts import permissions
from muster.accounts.models import ContractRole, TeamRole, User
from muster.accounts.permissions import Action
from muster.audit import services as audit
from muster.errors import DomainError, NotAllowed

STALE_MESSAGE = (
    "Someone else changed this while you had it open. Your change was not saved: look at "
    "it as it is now and try again."
)


class StaleChange(DomainError):
    """Someone else changed the row since the person loaded the page they acted from."""


def locked[M: models.Model](obj: M, version: int | None = None, *,
                            related: Sequence[str] = (),
                            stale: DomainError | None = None) -> M:
    """The row again, locked for this transaction (`select_for_update`). With `version` (the
    one the person's page showed), refuse with `stale` (else `StaleChange`) when someone
    changed it since."""
    rows = type(obj)._default_manager.select_for_update()
    if related:
        rows = rows.select_related(*related)
    fresh = rows.get(pk=obj.pk)
    if version is not None and fresh.version != version:  # type: ignore[attr-defined]
        raise stale or StaleChange(STALE_MESSAGE)
    return fresh


def require(actor, action: Action, contract) -> None:
    """Refuse (a 403) unless the person's roles on the contract allow the action."""
    if not permissions.can(actor, action, contract):
        raise NotAllowed("Your role on this contract does not allow that.")


def check(move: Callable[..., Any], refused: DomainError) -> None:
    """Refuse with `refused` when the state machine does not allow `move` (a transition,
    as a bound method) from the object's state now: before anything changes."""
    if not can_proceed(move):
        raise refused


def transition(actor, obj: models.Model, move: Callable[..., Any], summary: str, *,
               event: str, contract, refused: DomainError, args: Sequence = (),
               field: str = "status", after: dict | None = None) -> None:
    """Run `move` (a transition of `obj`, as a bound method) with `args`, bump the row's
    version when it has one, save, and record `event` with the state before and after
    (plus `after`) on the audit record."""
    check(move, refused)
    before = getattr(obj, field)
    move(*args)
    if hasattr(obj, "version"):
        obj.version += 1
    obj.save()
    audit.record(
        actor, event, obj, summary, contract=contract,
        before={field: before}, after={field: getattr(obj, field), **(after or {})},
    )


def people_with_roles(contract, *roles: str) -> list[User]:
    """The people who hold any of `roles` (ContractRole.Role values) on the contract."""
    holders = ContractRole.objects.filter(contract=contract, role__in=roles)
    return [holder.user for holder in holders.select_related("user")]


class RoleHolders:
    """The holders of some roles on a contract, read in one query: `people(*roles)` answers
    as people_with_roles would, for any of those roles."""

    def __init__(self, contract, *roles: str):
        self._holders = list(ContractRole.objects.filter(contract=contract, role__in=roles)
                             .select_related("user"))

    def people(self, *roles: str) -> list[User]:
        return [holder.user for holder in self._holders if holder.role in roles]


def team_emails(role: str = TeamRole.Role.ONBOARDING_TEAM, service=None) -> list[str]:
    """The email addresses of everyone in a team role (the onboarding team unless named;
    a service's leads with `service`)."""
    return permissions.emails_of_team_role(role, service)
