"""Which audit events are webhook events, and what each delivery's body says.

Every change writes its audit event in its own transaction; the listener (services.py)
asks `classify` whether the event is one of the event types, and `body` what to send. The
data are small and explicit per type: what a receiving system acts on (a status, a
service, the person a grant is for), never free text the team wrote (reasons, notes).
"""

from collections.abc import Callable

from muster.access.models import AccessGrant, AdditionalServiceRequest
from muster.audit.models import AuditEvent
from muster.contracts.models import Contract, ContractService, DataUseAgreement
from muster.onboarding.models import OnboardingRequest

from .models import EventType as E

# The audit record's actions (written by the services of onboarding, access, closeout and
# contracts) and the event type each one is.
ACTIONS: dict[str, str] = {
    # An onboarding request's intake form submitted; an additional service asked for.
    "onboarding.submit": E.REQUEST_SUBMITTED,
    "access.service_requested": E.REQUEST_SUBMITTED,
    # The outcome: the team lead rejects, or the service leads have decided every service;
    # an additional service approved or denied by its lead, or declined by the COR.
    "onboarding.reject": E.REQUEST_DECIDED,
    "onboarding.finish_service_review": E.REQUEST_DECIDED,
    "access.service_request_approved": E.REQUEST_DECIDED,
    "access.service_request_denied": E.REQUEST_DECIDED,
    "access.service_request_cor_declined": E.REQUEST_DECIDED,
    # Stopped by the team (cancelled) or by the COR (withdrawn).
    "onboarding.cancel": E.REQUEST_CANCELLED,
    "onboarding.withdraw": E.REQUEST_CANCELLED,
    "access.service_request_cancel": E.REQUEST_CANCELLED,
    "access.service_request_withdraw": E.REQUEST_CANCELLED,
    # Access grants: confirmed (or resumed to active), paused, revoked.
    "access.confirmed": E.GRANT_ACTIVE,
    "access.grant_resumed": E.GRANT_ACTIVE,
    "access.grant_paused": E.GRANT_PAUSED,
    "access.revoked": E.GRANT_REVOKED,
    # A DUA expired (the daily check) or was marked invalid.
    "access.dua_lapsed": E.DUA_LAPSED,
    "access.dua_invalidated": E.DUA_LAPSED,
    # The contract's lifecycle (contracts.services.change_stage writes "contract.<move>").
    "contract.begin_closeout": E.CONTRACT_CLOSING,
    "contract.close": E.CONTRACT_CLOSED,
}


def classify(event: AuditEvent) -> str | None:
    """The event type of the audit event, or None when it is not a webhook event."""
    event_type = ACTIONS.get(event.action)
    if event_type == E.GRANT_ACTIVE and event.after.get("status", "active") != "active":
        return None  # resumed, but back to waiting for confirmation
    if event_type == E.GRANT_PAUSED and (
        event.before.get("status") == "paused"  # it stays paused, for another reason
        or "successor" in event.after  # the old contract's copy of a re-award's pause
    ):
        return None
    return event_type


# --- The body ----------------------------------------------------------------------------


def _contract(contract: Contract | None) -> dict | None:
    if contract is None:
        return None
    return {"id": contract.pk, "number": contract.contract_number, "name": contract.name}


def _service(service) -> dict:
    return {"slug": service.slug, "name": service.name}


DECISIONS = {
    "onboarding.reject": "rejected",
    "onboarding.finish_service_review": "services_decided",
    "access.service_request_approved": "approved",
    "access.service_request_denied": "denied",
    "access.service_request_cor_declined": "declined_by_cor",
}
STOPS = {
    "onboarding.cancel": "cancelled", "onboarding.withdraw": "withdrawn",
    "access.service_request_cancel": "cancelled",
    "access.service_request_withdraw": "withdrawn",
}


def _onboarding_request(event: AuditEvent, event_type: str) -> tuple[dict, dict]:
    request = OnboardingRequest.objects.select_related("contract").get(pk=event.object_id)
    data: dict = {"kind": "onboarding", "status": request.status}
    if event_type == E.REQUEST_DECIDED:
        data["decision"] = DECISIONS[event.action]
        data["services"] = [
            {**_service(item.service), "status": item.status}
            for item in ContractService.objects.filter(contract=request.contract)
            .select_related("service").order_by("service__order", "service__name")
        ]
    elif event_type == E.REQUEST_CANCELLED:
        data["how"] = STOPS[event.action]
    return {"type": "onboarding_request", "id": request.pk}, data


def _service_request(event: AuditEvent, event_type: str) -> tuple[dict, dict]:
    req = AdditionalServiceRequest.objects.select_related("service").get(pk=event.object_id)
    data: dict = {"kind": "additional_service", "status": req.status,
                  "service": _service(req.service), "estimated_users": req.estimated_users}
    if event_type == E.REQUEST_DECIDED:
        data["decision"] = DECISIONS[event.action]
    elif event_type == E.REQUEST_CANCELLED:
        data["how"] = STOPS[event.action]
    return {"type": "additional_service_request", "id": req.pk}, data


def _grant(event: AuditEvent, event_type: str) -> tuple[dict, dict]:
    grant = AccessGrant.objects.select_related("service", "user").get(pk=event.object_id)
    # The person the grant is for, as the service's own systems know them: nothing more.
    data = {"status": grant.status, "service": _service(grant.service),
            "eua_job_code": grant.eua_job_code,
            "user": {"email": grant.user.email, "harp_id": grant.user.harp_id}}
    if event_type == E.GRANT_PAUSED:
        data["pause_reason"] = grant.pause_reason
    return {"type": "access_grant", "id": grant.pk}, data


def _dua(event: AuditEvent, event_type: str) -> tuple[dict, dict]:
    dua = DataUseAgreement.objects.get(pk=event.object_id)
    data = {
        "number": dua.number,
        "expiry_date": dua.expiry_date.isoformat(),
        "cause": "invalidated" if event.action == "access.dua_invalidated" else "expired",
        "services": sorted(dua.services.values_list("slug", flat=True)),
    }
    return {"type": "dua", "id": dua.pk}, data


def _contract_stage(event: AuditEvent, event_type: str) -> tuple[dict, dict]:
    contract = Contract.objects.get(pk=event.object_id)
    return {"type": "contract", "id": contract.pk}, {"stage": contract.stage}


BUILDERS: dict[str, Callable[[AuditEvent, str], tuple[dict, dict]]] = {
    "onboarding.onboardingrequest": _onboarding_request,
    "access.additionalservicerequest": _service_request,
    "access.accessgrant": _grant,
    "contracts.datauseagreement": _dua,
    "contracts.contract": _contract_stage,
}


def body(event: AuditEvent, event_type: str) -> dict:
    """What every delivery of this event carries, but its own id: type, occurred_at,
    contract, object and data."""
    obj, data = BUILDERS[event.object_type](event, event_type)
    return {
        "type": event_type,
        "occurred_at": event.at.isoformat().replace("+00:00", "Z"),
        "contract": _contract(event.contract),
        "object": obj,
        "data": data,
    }
