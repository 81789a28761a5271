"""Access grants: the SO asks for a roster member's access to an approved service, the
onboarding team or the service's lead confirms it once set up, the SO revokes it. Each
action is one transaction with its guard, audit record and email to the SO."""

from django.db import IntegrityError, transaction

from muster import clock, workflow
from muster.accounts import permissions
from muster.accounts.models import ContractRole
from muster.accounts.permissions import Action
from muster.audit import services as audit
from muster.catalog.models import Service
from muster.contracts.models import Contract, ContractService
from muster.errors import NotAllowed

from . import emails
from .guards import AccessError, dua_covers, onboarding_stands, roster_open
from .models import UNREVOKED, AccessGrant, GrantStatus
from .queries import MEMBER


def _whose(grant: AccessGrant) -> dict:
    return {"user": grant.user.email, "service": grant.service.slug,
            "eua_job_code": grant.eua_job_code}


def snapshot(grant: AccessGrant) -> dict:
    """A grant as the audit record keeps it."""
    return {"status": grant.status, **_whose(grant)}


def membership(contract: Contract, user, *, lock: bool = False) -> ContractRole | None:
    """The person's place on the contract's roster (locked, with `lock`), or None."""
    rows = ContractRole.objects.filter(contract=contract, user=user, role=MEMBER)
    if lock:
        rows = rows.select_for_update()
    return rows.first()


@transaction.atomic
def grant(actor, contract: Contract, user, service: Service) -> AccessGrant:
    """Ask for the person's access to one of the contract's approved services."""
    workflow.require(actor, Action.MANAGE_ROSTER, contract)
    roster_open(contract)
    onboarding_stands(contract)
    if membership(contract, user, lock=True) is None:
        raise AccessError(f"{user.full_name} is not on this contract's roster: add them first.")
    if not ContractService.objects.filter(
        contract=contract, service=service, status=ContractService.Status.APPROVED
    ).exists():
        raise AccessError(
            f"{service.name} is not an approved service on this contract: you can grant "
            "only the contract's approved services."
        )
    if AccessGrant.objects.filter(contract=contract, user=user, service=service,
                                  status__in=UNREVOKED).exists():
        raise AccessError(f"{user.full_name} already has access to {service.name} "
                          "(requested, active or paused).")
    dua_covers(contract, service)
    try:
        with transaction.atomic():
            created = AccessGrant.objects.create(
                contract=contract, user=user, service=service, status=GrantStatus.REQUESTED,
                eua_job_code=service.eua_job_code, requested_by=actor,
                requested_at=clock.now(),
            )
    except IntegrityError as error:
        raise AccessError(f"{user.full_name} already has access to {service.name}.") from error
    audit.record(actor, "access.requested", created,
                 f"Requested {user.full_name}'s access to {service.name}", contract=contract,
                 after=snapshot(created))
    emails.access_changed(actor, contract, [created], key=f"grant:{created.pk}:requested")
    return created


def _locked(item: AccessGrant) -> AccessGrant:
    return workflow.locked(item, related=["contract", "user", "service"])


@transaction.atomic
def confirm(actor, item: AccessGrant) -> AccessGrant:
    """The agency side confirms the access was provisioned: requested → active."""
    item = _locked(item)
    if not permissions.may_confirm_grant(actor, item):
        raise NotAllowed("Only the onboarding team or a lead of this service can confirm it.")
    refused = AccessError(f"This access is {item.get_status_display().lower()}: only a "
                          "requested access can be confirmed. Nothing was changed.")
    workflow.check(item.activate, refused)
    onboarding_stands(item.contract)
    dua_covers(item.contract, item.service,
               "You cannot confirm {service} while the contract's Data Use Agreement is "
               "not valid.")
    item.activated_at = clock.now()
    workflow.transition(
        actor, item, item.activate,
        f"Confirmed {item.user.full_name}'s access to {item.service.name}",
        event="access.confirmed", contract=item.contract, refused=refused, after=_whose(item))
    emails.access_changed(actor, item.contract, [item], key=f"grant:{item.pk}:active")
    return item


def revoke_held(actor, item: AccessGrant) -> None:
    """Revoke a grant the caller has locked (no email: the caller sends one for all)."""
    item.revoked_at, item.revoked_by = clock.now(), actor
    workflow.transition(
        actor, item, item.revoke,
        f"Revoked {item.user.full_name}'s access to {item.service.name}",
        event="access.revoked", contract=item.contract, after=_whose(item),
        refused=AccessError("This access is already revoked. Nothing was changed."))


@transaction.atomic
def revoke(actor, item: AccessGrant) -> AccessGrant:
    item = _locked(item)
    workflow.require(actor, Action.MANAGE_ROSTER, item.contract)
    revoke_held(actor, item)
    emails.access_changed(actor, item.contract, [item], key=f"grant:{item.pk}:revoked")
    return item


# --- Pausing and resuming for a reason (recertification: an uncertified grant pauses on
# the campaign's due date; the SO's late certification resumes it). The caller holds the
# grant's lock, runs in its own transaction, and sends its own emails.


def pause_held(actor, item: AccessGrant, reason: str, why: str) -> None:
    """Pause a live grant (requested or active) the caller has locked, for `reason` (a
    PauseReason), audited as access.grant_paused."""
    before = item.status
    refused = AccessError(f"This access is {item.get_status_display().lower()}: only live "
                          "access can be paused. Nothing was changed.")
    workflow.check(item.pause, refused)
    item.pause()
    item.pause_reason, item.paused_at = reason, clock.now()
    item.save(update_fields=["status", "pause_reason", "paused_at", "updated_at"])
    audit.record(actor, "access.grant_paused", item,
                 f"Paused {item.service} for {item.user.full_name}: {why}",
                 contract=item.contract, before={"status": before},
                 after={"status": item.status, "pause_reason": reason})


def resume_held(actor, item: AccessGrant, reason: str, why: str) -> None:
    """Resume a grant the caller has locked, paused for `reason` only (a grant paused for
    another reason stays paused: refused), audited as access.grant_resumed."""
    if item.status != GrantStatus.PAUSED or item.pause_reason != reason:
        raise AccessError("This access is not paused for that reason: it was not resumed.")
    item.resume()
    item.pause_reason = ""
    item.save(update_fields=["status", "pause_reason", "updated_at"])
    audit.record(actor, "access.grant_resumed", item,
                 f"Resumed {item.service} for {item.user.full_name}: {why}",
                 contract=item.contract,
                 before={"status": GrantStatus.PAUSED, "pause_reason": reason},
                 after={"status": item.status, "pause_reason": ""})
