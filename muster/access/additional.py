"""Additional services for an existing contract: one function per action.

The COR or the contractor (POC, SO, SPOC) asks for one more service. The request waits for
the contract's COR (who and when are recorded) before the onboarding team and the service
leads see it; then a lead of that service approves or denies it (a reason for a denial).
Approval adds the service to the contract's approved list and sends the SO a
welcome-package addendum. Each action: one transaction, the request's row locked and its
version checked against the form the person saw, an audit record, and outbox emails.
"""

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from muster import clock
from muster.accounts import permissions
from muster.accounts.models import ContractRole, TeamRole
from muster.accounts.permissions import Action
from muster.audit import services as audit
from muster.catalog.models import Service
from muster.contracts.models import Contract, ContractService, Stage
from muster.errors import DomainError, NotAllowed
from muster.notifications import services as mail
from muster.onboarding.models import WelcomePackage
from muster.onboarding.services import OnboardingError
from muster.validators import SHORT_TEXT_MAX, checked_reason

from .models import AccessGrant, AdditionalServiceRequest, GrantStatus

Req = AdditionalServiceRequest
S = AdditionalServiceRequest.Status

# A contract can ask for one more service only while it is running.
REQUESTABLE_STAGES = (Stage.ONBOARDING, Stage.ACTIVE, Stage.CLOSING)
OPEN = (S.AWAITING_COR, S.AWAITING_LEADS)
# What the onboarding team and the service leads see: past the COR's approval.
PAST_COR = (S.AWAITING_LEADS, S.APPROVED, S.DENIED, S.COR_WITHDRAWN, S.CANCELLED)
STOPPED = (S.COR_WITHDRAWN, S.CANCELLED)
MAX_USERS = 100_000


class AdditionalServiceError(DomainError):
    """An additional-service action that is not allowed now; the message tells why."""


class StaleRequest(AdditionalServiceError):
    """Someone else changed the request since the person loaded it."""


# --- Helpers --------------------------------------------------------------------------


def _holders(contract: Contract, *roles: str) -> list:
    return [r.user for r in contract.roles.filter(role__in=roles).select_related("user")]


def _team() -> list[str]:
    return permissions.emails_of_team_role(TeamRole.Role.ONBOARDING_TEAM)


def _leads(service) -> list[str]:
    return permissions.emails_of_team_role(TeamRole.Role.SERVICE_LEAD, service)


def _snapshot(req: Req) -> dict:
    return {
        "status": req.status, "service": req.service.name,
        "organization_name": req.organization_name, "estimated_users": req.estimated_users,
        "justification": req.justification,
    }


def _locked(req: Req, version: int | None) -> Req:
    locked = Req.objects.select_for_update().select_related("contract", "service").get(
        pk=req.pk
    )
    if version is not None and locked.version != version:
        raise StaleRequest(
            "Someone else changed this request while you had it open. Your decision was not "
            "saved: look at the request as it is now and try again."
        )
    return locked


def _is_cor(user, contract: Contract) -> bool:
    return contract.roles.filter(user=user, role=ContractRole.Role.COR).exists()


def blockers(contract: Contract, service: Service | None = None) -> list[str]:
    """Why this contract cannot ask for (this) service now: empty when it can."""
    reasons = []
    if contract.stage not in REQUESTABLE_STAGES:
        reasons.append(
            f"A contract in stage “{contract.get_stage_display()}” cannot ask for an "
            "additional service: only an onboarding, active or closing contract can."
        )
    if service is None:
        return reasons
    if not service.is_active:
        reasons.append(f"{service} is not offered to new requests.")
    existing = contract.services.filter(service=service).first()
    if existing is not None and existing.status != ContractService.Status.DENIED:
        reasons.append(
            f"{service} is already {existing.get_status_display().lower()} for this contract."
        )
    if Req.objects.filter(contract=contract, service=service, status__in=OPEN).exists():
        reasons.append(f"A request for {service} on this contract is already open.")
    return reasons


def requestable_services(contract: Contract) -> QuerySet:
    """Active services the contract does not have and has no open request for."""
    held = ContractService.objects.filter(
        contract=contract, service=OuterRef("pk")
    ).exclude(status=ContractService.Status.DENIED)
    asked = Req.objects.filter(contract=contract, service=OuterRef("pk"), status__in=OPEN)
    return Service.objects.filter(is_active=True).exclude(Exists(held)).exclude(Exists(asked))


# --- Who sees what ----------------------------------------------------------------------


def _party_contracts(user) -> QuerySet:
    return ContractRole.objects.filter(
        user=user, role__in=permissions.CONTRACT_PARTIES
    ).values("contract_id")


def visible_requests(user) -> QuerySet:
    """The requests a person's lists show: their contracts' requests (a COR, POC, SO or
    SPOC); past the COR's approval, every request (the team) or those for the services they
    lead (a service lead)."""
    if not user.is_authenticated:
        return Req.objects.none()
    condition = Q(contract_id__in=_party_contracts(user))
    if permissions.sees_every_contract(user):
        condition |= Q(status__in=PAST_COR)
    leads = permissions.led_service_ids(user)
    if leads:
        condition |= Q(status__in=PAST_COR, service_id__in=leads)
    return Req.objects.filter(condition)


def may_see(user, req: Req) -> bool:
    """A request's page: the contract's COR and contractor parties always; the team, and
    anyone who sees the contract through a service they lead, once the COR approved it;
    the leads of the requested service once the COR approved it."""
    if not user.is_authenticated:
        return False
    roles = permissions.roles_on(user, req.contract)
    if roles & permissions.CONTRACT_PARTIES:
        return True
    if req.status not in PAST_COR:
        return False
    if req.service_id in permissions.led_service_ids(user):
        return True
    return permissions.visible_contracts(user).filter(pk=req.contract_id).exists()


def may_decide_as_lead(user, req: Req) -> bool:
    return req.service_id in permissions.led_service_ids(user)


def addendum_state(req: Req) -> str:
    """For an approved request: "sent" (a package listing the service went out after the
    decision), "with_initial" (no package sent yet: the first one will list it), or
    "pending" (the onboarding team still has to send the addendum)."""
    if req.status != S.APPROVED or req.decided_at is None:
        return ""
    packages = list(req.contract.welcome_packages.only("services", "sent_at"))
    if not packages:
        return "with_initial"
    name = req.service.name
    for package in packages:
        if package.sent_at >= req.decided_at and any(
            s.get("name") == name for s in package.services
        ):
            return "sent"
    return "pending"


# --- Actions ----------------------------------------------------------------------------


@transaction.atomic
def request_service(actor, contract: Contract, *, service: Service, organization_name: str,
                    justification: str, estimated_users: int) -> Req:
    """The COR or the contractor asks for one more service. A COR's own request counts as
    the COR's approval (same who and when); anyone else's waits for the COR."""
    # The contract's row lock makes two people asking at once take turns.
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if not permissions.can(actor, Action.REQUEST_SERVICE, contract):
        raise NotAllowed("Only the contract's COR, POC, SO or SPOC can ask for a service.")
    service = Service.objects.get(pk=service.pk)
    problems = blockers(contract, service)
    if problems:
        raise AdditionalServiceError(" ".join(problems))
    organization_name, justification = organization_name.strip(), justification.strip()
    if not organization_name:
        raise AdditionalServiceError("Give the organization's name (its HARP name if known).")
    if not justification:
        raise AdditionalServiceError("Give the business justification for the service.")
    if not 1 <= int(estimated_users) <= MAX_USERS:
        raise AdditionalServiceError(
            f"The estimated number of users must be between 1 and {MAX_USERS:,}."
        )
    now = clock.now()
    req = Req.objects.create(
        contract=contract, service=service, organization_name=organization_name,
        justification=justification, estimated_users=int(estimated_users),
        requested_by=actor, requested_at=now,
    )
    audit.record(actor, "access.service_requested", req,
                 f"Asked for {service} as an additional service", contract=contract,
                 after=_snapshot(req))
    if _is_cor(actor, contract):
        _approve_as_cor(actor, req, note="", now=now)
        return req
    mail.queue(
        "service_request_cor", to=_holders(contract, ContractRole.Role.COR),
        contract=contract, key=f"service-request:{req.pk}:cor",
        context={"req": req, "actor": actor},
    )
    return req


def _approve_as_cor(actor, req: Req, *, note: str, now) -> None:
    before = req.status
    req.approve_as_cor()
    req.cor_decided_by, req.cor_decided_at, req.cor_note = actor, now, note.strip()
    req.version += 1
    req.save()
    audit.record(actor, "access.service_request_cor_approved", req,
                 f"COR approved the request for {req.service}", contract=req.contract,
                 before={"status": before},
                 after={"status": req.status, "note": req.cor_note})
    leads, team = _leads(req.service), _team()
    mail.queue(
        "service_request_leads", to=leads or team, cc=[*team, req.requested_by],
        contract=req.contract, key=f"service-request:{req.pk}:leads",
        context={"req": req, "actor": actor},
    )


@transaction.atomic
def cor_decide(actor, req: Req, approve: bool, note: str = "", *,
               version: int | None = None) -> Req:
    """The contract's COR approves the request (it goes to the service leads and the
    onboarding team) or declines it with a note (the requester is told)."""
    req = _locked(req, version)
    if not permissions.can(actor, Action.APPROVE_REQUEST_AS_COR, req.contract):
        raise NotAllowed("Only the contract's COR can approve or decline this request.")
    if req.status != S.AWAITING_COR:
        raise AdditionalServiceError(
            f"This request is “{req.get_status_display()}”: the COR's decision was already "
            "recorded. Nothing was changed."
        )
    now = clock.now()
    if approve:
        _approve_as_cor(actor, req, note=note, now=now)
        return req
    if not note.strip():
        raise AdditionalServiceError(
            "Say why you decline the request: the person who asked for it reads the note."
        )
    before = req.status
    req.decline_as_cor()
    req.cor_decided_by, req.cor_decided_at, req.cor_note = actor, now, note.strip()
    req.version += 1
    req.save()
    audit.record(actor, "access.service_request_cor_declined", req,
                 f"COR declined the request for {req.service} ({req.cor_note})",
                 contract=req.contract, before={"status": before},
                 after={"status": req.status, "note": req.cor_note})
    mail.queue(
        "service_request_declined", to=[req.requested_by], contract=req.contract,
        key=f"service-request:{req.pk}:declined", context={"req": req, "actor": actor},
    )
    return req


@transaction.atomic
def lead_decide(actor, req: Req, approve: bool, reason: str = "", *,
                version: int | None = None) -> Req:
    """A lead of the requested service approves it (the service joins the contract's
    approved list and the SO gets a welcome-package addendum) or denies it with a reason
    (the requester and the COR are told)."""
    req = _locked(req, version)
    if not may_decide_as_lead(actor, req):
        raise NotAllowed(f"Only a service lead for {req.service} can decide on this request.")
    if req.status != S.AWAITING_LEADS:
        raise AdditionalServiceError(
            f"This request is “{req.get_status_display()}”: it is not waiting for a service "
            "lead. Nothing was changed."
        )
    if not approve and not reason.strip():
        raise AdditionalServiceError(
            "Give the reason for the denial: the COR and the requester see it."
        )
    contract = Contract.objects.select_for_update().get(pk=req.contract_id)
    req.contract = contract
    item = ContractService.objects.filter(contract=contract, service=req.service).first()
    if approve and item is not None and item.status != ContractService.Status.DENIED:
        raise AdditionalServiceError(
            f"{req.service} is already {item.get_status_display().lower()} for this contract "
            "(through its onboarding request). Nothing was changed."
        )
    now = clock.now()
    before = req.status
    if approve:
        req.approve()
    else:
        req.deny()
    req.decided_by, req.decided_at, req.decision_reason = actor, now, reason.strip()
    req.version += 1
    req.save()
    verb = "approved" if approve else "denied"
    audit.record(actor, f"access.service_request_{verb}", req,
                 f"{req.service} {verb} as an additional service"
                 + (f" ({req.decision_reason})" if req.decision_reason else ""),
                 contract=contract, before={"status": before},
                 after={"status": req.status, "reason": req.decision_reason})
    if approve:
        item = _add_to_contract(actor, req, item, now)
    mail.queue(
        "service_request_decided",
        to=[req.requested_by, *_holders(contract, ContractRole.Role.COR)], cc=_team(),
        contract=contract, key=f"service-request:{req.pk}:decided",
        context={"req": req, "actor": actor, "approved": approve},
    )
    if approve and addendum_state(req) == "pending":
        _send_addendum(actor, req)
    return req


def _add_to_contract(actor, req: Req, item, now) -> ContractService:
    fields = {
        "status": ContractService.Status.APPROVED, "estimated_users": req.estimated_users,
        "justification": req.justification, "decided_by": actor, "decided_at": now,
        "decision_reason": req.decision_reason,
    }
    before = {}
    if item is None:
        item = ContractService.objects.create(contract=req.contract, service=req.service,
                                              **fields)
    else:  # denied once before: this approval replaces that decision
        before = {"status": item.status, "reason": item.decision_reason}
        for name, value in fields.items():
            setattr(item, name, value)
        item.save()
    audit.record(actor, "contracts.service_added", item,
                 f"{req.service} added to the contract's approved services",
                 contract=req.contract, before=before,
                 after={"status": item.status, "estimated_users": item.estimated_users,
                        "additional_request": req.pk})
    return item


def _send_addendum(actor, req: Req) -> WelcomePackage | None:
    """The welcome-package addendum to the SO, as part of the lead's approval. Without an
    SO it waits: the onboarding team sends it from the request's page once one is named."""
    from muster.onboarding.package import send_welcome_package

    if not req.contract.roles.filter(role=ContractRole.Role.SO).exists():
        return None
    try:
        return send_welcome_package(actor, req.contract, WelcomePackage.Kind.ADDENDUM,
                                    on_approval=True)
    except OnboardingError:  # its savepoint rolled back; the team sends it later
        return None


@transaction.atomic
def send_addendum(actor, req: Req, *, version: int | None = None) -> WelcomePackage:
    """The onboarding team sends an addendum the lead's approval could not send (no SO was
    named then)."""
    from muster.onboarding.package import send_welcome_package

    req = _locked(req, version)
    if not permissions.can(actor, Action.SEND_WELCOME, req.contract):
        raise NotAllowed("Only the onboarding team sends welcome packages.")
    state = addendum_state(req)
    if state != "pending":
        raise AdditionalServiceError(
            "There is no addendum to send for this request"
            + (": it was already sent." if state == "sent" else ".")
        )
    try:
        return send_welcome_package(actor, req.contract, WelcomePackage.Kind.ADDENDUM)
    except OnboardingError as error:
        raise AdditionalServiceError(str(error)) from error


# --- Withdrawn by the COR, cancelled by the team, reopened ----------------------------------


def may_cancel_now(req: Req) -> bool:
    """Waiting for the leads, or approved while its addendum has not been sent."""
    if req.status == S.AWAITING_LEADS:
        return True
    return req.status == S.APPROVED and addendum_state(req) in ("pending", "with_initial")


def _reason(reason: str, why: str) -> str:
    return checked_reason(reason, why, AdditionalServiceError)


def _involved(req: Req, was: str) -> tuple[list, list]:
    """Who hears that a request stopped or started again: who asked, the COR, the leads
    of the service while it was theirs to decide; the onboarding team copied."""
    to = [req.requested_by, *_holders(req.contract, ContractRole.Role.COR)]
    if was == S.AWAITING_LEADS:
        to += _leads(req.service)
    return to, _team()


def _stop(actor, req: Req, name: str, reason: str, summary: str) -> Req:
    was = req.status
    getattr(req, name)()
    req.stopped_by, req.stopped_at, req.stopped_from = actor, clock.now(), was
    req.stop_reason = reason
    req.version += 1
    req.save()
    audit.record(actor, f"access.service_request_{name}", req,
                 f"{summary}: {req.service} ({reason})", contract=req.contract,
                 before={"status": was}, after={"status": req.status, "reason": reason})
    to, cc = _involved(req, was)
    mail.queue(
        "service_request_stopped", to=to, cc=cc, contract=req.contract,
        key=f"service-request:{req.pk}:stopped:{req.version}",
        context={"req": req, "actor": actor},
    )
    return req


@transaction.atomic
def withdraw(actor, req: Req, reason: str, *, version: int | None = None) -> Req:
    """The contract's COR withdraws a request the service leads have not decided yet."""
    req = _locked(req, version)
    if not permissions.can(actor, Action.WITHDRAW_REQUEST, req.contract):
        raise NotAllowed("Only the contract's COR can withdraw this request.")
    if req.status != S.AWAITING_LEADS:
        raise AdditionalServiceError(
            f"This request is “{req.get_status_display()}”: the COR withdraws a request "
            "only while it waits for the service leads. Nothing was changed."
        )
    reason = _reason(reason, "the service leads and the onboarding team read it.")
    return _stop(actor, req, "withdraw", reason, "Withdrawn by the COR")


@transaction.atomic
def cancel(actor, req: Req, reason: str, *, version: int | None = None) -> Req:
    """The onboarding team cancels a request before its addendum is sent. An approved
    service nobody uses yet leaves the contract's approved services again."""
    req = _locked(req, version)
    if not permissions.can(actor, Action.CANCEL_REQUEST, req.contract):
        raise NotAllowed("Only the onboarding team can cancel this request.")
    if not may_cancel_now(req):
        raise AdditionalServiceError(
            f"This request is “{req.get_status_display()}”"
            + (" and its addendum was sent" if req.status == S.APPROVED else "")
            + ": it can be cancelled only before the welcome-package addendum is sent. "
            "Nothing was changed."
        )
    reason = _reason(reason, "the COR and the person who asked read it.")
    if req.status == S.APPROVED:
        _take_off_contract(actor, req, reason)
    return _stop(actor, req, "cancel", reason, "Cancelled by the onboarding team")


def _take_off_contract(actor, req: Req, reason: str) -> None:
    live = AccessGrant.objects.filter(contract=req.contract, service=req.service).exclude(
        status=GrantStatus.REVOKED)
    if live.exists():
        raise AdditionalServiceError(
            f"{live.count()} user(s) already hold or wait for access to {req.service} on this "
            "contract: the SO revokes it first. Nothing was changed."
        )
    item = ContractService.objects.select_for_update().get(contract=req.contract,
                                                           service=req.service)
    before = {"status": item.status, "reason": item.decision_reason}
    item.status = ContractService.Status.DENIED
    item.decision_reason = f"Additional-service request cancelled: {reason}"[:SHORT_TEXT_MAX]
    item.save()
    audit.record(actor, "contracts.service_removed", item,
                 f"{req.service} taken off the contract's approved services (request "
                 "cancelled)", contract=req.contract, before=before,
                 after={"status": item.status, "additional_request": req.pk})


@transaction.atomic
def reopen(actor, req: Req, reason: str, *, version: int | None = None) -> Req:
    """The onboarding team reopens a withdrawn or cancelled request: it waits for the
    service leads' decision again."""
    req = _locked(req, version)
    if not permissions.can(actor, Action.REOPEN_REQUEST, req.contract):
        raise NotAllowed("Only the onboarding team can reopen this request.")
    if req.status not in STOPPED:
        raise AdditionalServiceError(
            f"This request is “{req.get_status_display()}”: only a withdrawn or cancelled "
            "request can be reopened. Nothing was changed."
        )
    reason = _reason(reason, "the COR and the person who asked read it.")
    problems = blockers(req.contract, req.service)
    if problems:
        raise AdditionalServiceError(" ".join(problems) + " Nothing was changed.")
    was = req.status
    req.reopen()
    req.reopened_by, req.reopened_at, req.reopen_reason = actor, clock.now(), reason
    # The leads decide afresh; an earlier decision stays on the audit record.
    req.decided_by, req.decided_at, req.decision_reason = None, None, ""
    req.version += 1
    req.save()
    audit.record(actor, "access.service_request_reopen", req,
                 f"Reopened the request for {req.service} ({reason})", contract=req.contract,
                 before={"status": was}, after={"status": req.status, "reason": reason})
    to, cc = _involved(req, req.status)
    mail.queue(
        "service_request_reopened", to=to, cc=cc, contract=req.contract,
        key=f"service-request:{req.pk}:reopened:{req.version}",
        context={"req": req, "actor": actor},
    )
    return req
