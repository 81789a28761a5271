"""Additional services for an existing contract: one function per action.

The COR or the contractor (POC, SO, SPOC) asks for one more service. The request waits for
the contract's COR (who and when are recorded) before the onboarding team and the service
leads see it; then a lead of that service approves or denies it (a reason for a denial).
Approval adds the service to the contract's approved list and sends the SO a
welcome-package addendum. Each action: one transaction, the request's row locked and its
version checked against the form the person saw, an audit record, and outbox emails.
"""

from django.db import transaction

from muster import clock, workflow
from muster.accounts import permissions
from muster.accounts.models import ContractRole, TeamRole, User
from muster.accounts.permissions import Action
from muster.audit import services as audit
from muster.catalog.models import Service
from muster.contracts.models import Contract, ContractService
from muster.errors import DomainError, NotAllowed
from muster.notifications import services as mail
from muster.onboarding.errors import OnboardingError
from muster.onboarding.models import WelcomePackage
from muster.onboarding.package import request_welcome_package
from muster.validators import SHORT_TEXT_MAX, checked_reason

from .models import AccessGrant, AdditionalServiceRequest, GrantStatus
from .queries import addendum_state, blockers, cancellable_now

Req = AdditionalServiceRequest
S = AdditionalServiceRequest.Status
COR = ContractRole.Role.COR
MAX_USERS = 100_000
STALE = ("Someone else changed this request while you had it open. Your decision was not "
         "saved: look at the request as it is now and try again.")


class AdditionalServiceError(DomainError):
    """An additional-service action that is not allowed now; the message tells why."""


class StaleRequest(AdditionalServiceError):
    """Someone else changed the request since the person loaded it."""


def _leads(service) -> list[str]:
    return workflow.team_emails(TeamRole.Role.SERVICE_LEAD, service)


def _snapshot(req: Req) -> dict:
    return {
        "status": req.status, "service": req.service.name,
        "organization_name": req.organization_name, "estimated_users": req.estimated_users,
        "justification": req.justification,
    }


def _locked(req: Req, version: int | None) -> Req:
    return workflow.locked(req, version, related=["contract", "service"],
                           stale=StaleRequest(STALE))


def _is_cor(user, contract: Contract) -> bool:
    return contract.roles.filter(user=user, role=COR).exists()


def _not_now(req: Req, why: str) -> AdditionalServiceError:
    return AdditionalServiceError(f"This request is “{req.get_status_display()}”: {why} "
                                  "Nothing was changed.")


# --- Actions ----------------------------------------------------------------------------


@transaction.atomic
def request_service(actor, contract: Contract, *, service: Service, organization_name: str,
                    justification: str, estimated_users: int) -> Req:
    """The COR or the contractor asks for one more service. A COR's own request counts as
    the COR's approval (same who and when); anyone else's waits for the COR."""
    # The contract's row lock makes two people asking at once take turns.
    contract = workflow.locked(contract)
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
        "service_request_cor", to=workflow.people_with_roles(contract, COR),
        contract=contract, key=f"service-request:{req.pk}:cor",
        context={"req": req, "actor": actor},
    )
    return req


def _approve_as_cor(actor, req: Req, *, note: str, now) -> None:
    req.cor_decided_by, req.cor_decided_at, req.cor_note = actor, now, note.strip()
    workflow.transition(actor, req, req.approve_as_cor,
                        f"COR approved the request for {req.service}",
                        event="access.service_request_cor_approved", contract=req.contract,
                        refused=_not_now(req, "the COR's decision was already recorded."),
                        after={"note": req.cor_note})
    leads, team = _leads(req.service), workflow.team_emails()
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
    refused = _not_now(req, "the COR's decision was already recorded.")
    workflow.check(req.approve_as_cor, refused)
    now = clock.now()
    if approve:
        _approve_as_cor(actor, req, note=note, now=now)
        return req
    if not note.strip():
        raise AdditionalServiceError(
            "Say why you decline the request: the person who asked for it reads the note."
        )
    req.cor_decided_by, req.cor_decided_at, req.cor_note = actor, now, note.strip()
    workflow.transition(actor, req, req.decline_as_cor,
                        f"COR declined the request for {req.service} ({req.cor_note})",
                        event="access.service_request_cor_declined", contract=req.contract,
                        refused=refused, after={"note": req.cor_note})
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
    if not permissions.leads_the_service(actor, req):
        raise NotAllowed(f"Only a service lead for {req.service} can decide on this request.")
    refused = _not_now(req, "it is not waiting for a service lead.")
    workflow.check(req.approve, refused)
    if not approve and not reason.strip():
        raise AdditionalServiceError(
            "Give the reason for the denial: the COR and the requester see it."
        )
    contract = req.contract = workflow.locked(req.contract)
    item = ContractService.objects.filter(contract=contract, service=req.service).first()
    if approve and item is not None and item.status != ContractService.Status.DENIED:
        raise AdditionalServiceError(
            f"{req.service} is already {item.get_status_display().lower()} for this contract "
            "(through its onboarding request). Nothing was changed."
        )
    now = clock.now()
    req.decided_by, req.decided_at, req.decision_reason = actor, now, reason.strip()
    verb = "approved" if approve else "denied"
    workflow.transition(actor, req, req.approve if approve else req.deny,
                        f"{req.service} {verb} as an additional service"
                        + (f" ({req.decision_reason})" if req.decision_reason else ""),
                        event=f"access.service_request_{verb}", contract=contract,
                        refused=refused, after={"reason": req.decision_reason})
    if approve:
        item = _add_to_contract(actor, req, item, now)
    mail.queue(
        "service_request_decided",
        to=[req.requested_by, *workflow.people_with_roles(contract, COR)],
        cc=workflow.team_emails(),
        contract=contract, key=f"service-request:{req.pk}:decided",
        context={"req": req, "actor": actor, "approved": approve},
    )
    if approve and addendum_state(req) == "pending":
        _send_addendum(actor, req)
    return req


def _add_to_contract(actor, req: Req, item, now) -> ContractService:
    fields = {
        "estimated_users": req.estimated_users,
        "justification": req.justification, "decided_by": actor, "decided_at": now,
        "decision_reason": req.decision_reason,
    }
    before = {}
    if item is None:
        item = ContractService.objects.create(contract=req.contract, service=req.service,
                                              status=ContractService.Status.APPROVED, **fields)
    else:  # denied once before: this approval replaces that decision
        before = {"status": item.status, "reason": item.decision_reason}
        item.approve_instead()
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
    if not req.contract.roles.filter(role=ContractRole.Role.SO).exists():
        return None
    try:
        return request_welcome_package(actor, req.contract, WelcomePackage.Kind.ADDENDUM,
                                       on_approval=True)
    except OnboardingError:  # its savepoint rolled back; the team sends it later
        return None


@transaction.atomic
def send_addendum(actor, req: Req, *, version: int | None = None) -> WelcomePackage:
    """The onboarding team sends an addendum the lead's approval could not send (no SO was
    named then)."""
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
        return request_welcome_package(actor, req.contract, WelcomePackage.Kind.ADDENDUM)
    except OnboardingError as error:
        raise AdditionalServiceError(str(error)) from error


# --- Withdrawn by the COR, cancelled by the team, reopened ----------------------------------


def _reason(reason: str, why: str) -> str:
    return checked_reason(reason, why, AdditionalServiceError)


def _involved(req: Req, was: str) -> tuple[list, list]:
    """Who hears that a request stopped or started again: who asked, the COR, the leads
    of the service while it was theirs to decide; the onboarding team copied."""
    to: list[User | str] = [req.requested_by, *workflow.people_with_roles(req.contract, COR)]
    if was == S.AWAITING_LEADS:
        to += _leads(req.service)
    return to, workflow.team_emails()


def _stop(actor, req: Req, move, reason: str, summary: str,
          refused: AdditionalServiceError) -> Req:
    """Withdraw or cancel (`move`, the request's transition): who, when, from where, why."""
    was = req.status
    req.stopped_by, req.stopped_at, req.stopped_from = actor, clock.now(), was
    req.stop_reason = reason
    workflow.transition(actor, req, move, f"{summary}: {req.service} ({reason})",
                        event=f"access.service_request_{move.__name__}", contract=req.contract,
                        refused=refused, after={"reason": reason})
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
    refused = _not_now(req, "the COR withdraws a request only while it waits for the "
                       "service leads.")
    workflow.check(req.withdraw, refused)
    reason = _reason(reason, "the service leads and the onboarding team read it.")
    return _stop(actor, req, req.withdraw, reason, "Withdrawn by the COR", refused)


@transaction.atomic
def cancel(actor, req: Req, reason: str, *, version: int | None = None) -> Req:
    """The onboarding team cancels a request before its addendum is sent. An approved
    service nobody uses yet leaves the contract's approved services again."""
    req = _locked(req, version)
    if not permissions.can(actor, Action.CANCEL_REQUEST, req.contract):
        raise NotAllowed("Only the onboarding team can cancel this request.")
    refused = AdditionalServiceError(
        f"This request is “{req.get_status_display()}”"
        + (" and its addendum was sent" if req.status == S.APPROVED else "")
        + ": it can be cancelled only before the welcome-package addendum is sent. "
        "Nothing was changed."
    )
    if not cancellable_now(req):
        raise refused
    reason = _reason(reason, "the COR and the person who asked read it.")
    if req.status == S.APPROVED:
        _take_off_contract(actor, req, reason)
    return _stop(actor, req, req.cancel, reason, "Cancelled by the onboarding team", refused)


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
    item.take_off()
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
    refused = _not_now(req, "only a withdrawn or cancelled request can be reopened.")
    workflow.check(req.reopen, refused)
    reason = _reason(reason, "the COR and the person who asked read it.")
    problems = blockers(req.contract, req.service)
    if problems:
        raise AdditionalServiceError(" ".join(problems) + " Nothing was changed.")
    req.reopened_by, req.reopened_at, req.reopen_reason = actor, clock.now(), reason
    # The leads decide afresh; an earlier decision stays on the audit record.
    req.decided_by, req.decided_at, req.decision_reason = None, None, ""
    workflow.transition(actor, req, req.reopen,
                        f"Reopened the request for {req.service} ({reason})",
                        event="access.service_request_reopen", contract=req.contract,
                        refused=refused, after={"reason": reason})
    to, cc = _involved(req, req.status)
    mail.queue(
        "service_request_reopened", to=to, cc=cc, contract=req.contract,
        key=f"service-request:{req.pk}:reopened:{req.version}",
        context={"req": req, "actor": actor},
    )
    return req
