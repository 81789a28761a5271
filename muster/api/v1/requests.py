"""API v1: onboarding and additional-service requests, and the decisions a person's role
allows on them, as their pages offer them: the team asks a question, the team lead
approves, sends back or rejects a reviewed request, a service lead approves or denies a
requested service; the COR and then a lead of the service decide an additional-service
request.

Each operation is its page's view without the HTML: the same permission checks
(muster.accounts.permissions), the same form checking the input (a 422 where the page
shows a form error), the same service function (its emails and audit record; the record
says it came through the API). Refusals become problems in muster/api/problems.py.
"""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import CursorPagination, paginate

from muster.access import additional
from muster.access import queries as access_queries
from muster.access.additional_forms import CorDecisionForm, LeadDecisionForm
from muster.access.models import AdditionalServiceRequest
from muster.accounts import permissions
from muster.accounts.permissions import Action
from muster.contracts.models import ContractService
from muster.errors import NotAllowed
from muster.onboarding import queries, services
from muster.onboarding.forms.reasons import LeadReturnForm
from muster.onboarding.forms.review import DecisionForm, QuestionForm, VersionedForm
from muster.onboarding.models import OnboardingRequest

from .. import problems
from . import request_schemas as s
from .form_input import cleaned

router = Router(tags=["requests"])
# A write's answers: besides problems.WRITE's, 400 for a body that is not JSON at all.
WRITE = {**problems.WRITE, 400: problems.Problem}
ADDITIONAL_ROWS = ("contract", "service", "requested_by", "cor_decided_by", "decided_by")


# --- Onboarding requests -----------------------------------------------------------------


def _onboarding(user, request_id: int, action: Action) -> OnboardingRequest:
    """The request if the person may take `action` on its contract: 404 when they cannot
    see the contract (or there is no such request), 403 when they may not act: the request
    page's own check (`contract_for`), then the page's read."""
    contract_id = OnboardingRequest.objects.values_list("contract_id", flat=True).get(
        pk=request_id)
    contract = permissions.contract_for(user, contract_id, action)
    found = queries.request_of(contract)
    assert found is not None  # the contract's request, found a moment ago
    return found


def _detail(user, onboarding: OnboardingRequest) -> OnboardingRequest:
    """The request as its page shows it to this person, as saved now: the page's read
    (`queries.request_page`), its questions where the page shows the request's thread, and
    the transitions the page would offer (`shown`, read by the schema)."""
    onboarding = queries.request_of(onboarding.contract) or onboarding
    onboarding.shown = {  # type: ignore[attr-defined]
        **queries.request_page(onboarding),
        "sees_thread": permissions.may_read_thread(user, onboarding.contract, onboarding),
        "actions": sorted(onboarding.transitions_for(user)),
    }
    return onboarding


def _form_data(req: OnboardingRequest | AdditionalServiceRequest, payload) -> dict:
    """The page's form data from the payload; without a version, the request's own (the
    service then checks none: the caller decides on the request as it is)."""
    data = payload.dict()
    if data.get("version") is None:
        data["version"] = req.version
    return data


@router.get("/onboarding", response={200: list[s.OnboardingRequestSummary], **problems.COMMON},
            operation_id="list_onboarding_requests",
            summary="Onboarding requests of the contracts you see")
@paginate(CursorPagination, ordering=("-id",))
def list_onboarding_requests(request: HttpRequest):
    visible = permissions.visible_contracts(request.user).values("pk")
    return OnboardingRequest.objects.filter(contract__in=visible).select_related("contract")


@router.get("/onboarding/{request_id}",
            response={200: s.OnboardingRequest, **problems.WITH_OBJECT},
            operation_id="get_onboarding_request", summary="One onboarding request")
def get_onboarding_request(request: HttpRequest, request_id: int):
    return _detail(request.user, _onboarding(request.user, request_id, Action.VIEW_CONTRACT))


@router.post("/onboarding/{request_id}/questions",
             response={201: s.OnboardingRequest, **WRITE},
             operation_id="ask_question",
             summary="Ask the COR and POC a question (the onboarding team)")
def ask_question(request: HttpRequest, request_id: int, payload: s.QuestionIn):
    onboarding = _onboarding(request.user, request_id, Action.REVIEW_INTAKE)
    data = cleaned(QuestionForm(_form_data(onboarding, payload)))
    services.ask_question(request.user, onboarding, data["text"], version=payload.version)
    return Status(201, _detail(request.user, onboarding))


@router.post("/onboarding/{request_id}/lead-approval",
             response={200: s.OnboardingRequest, **WRITE},
             operation_id="approve_as_lead",
             summary="Approve a reviewed request (the team lead)")
def approve_as_lead(request: HttpRequest, request_id: int, payload: s.VersionIn):
    onboarding = _onboarding(request.user, request_id, Action.APPROVE_AS_LEAD)
    cleaned(VersionedForm(_form_data(onboarding, payload)))
    services.approve_as_lead(request.user, onboarding, version=payload.version)
    return _detail(request.user, onboarding)


@router.post("/onboarding/{request_id}/lead-return",
             response={200: s.OnboardingRequest, **WRITE},
             operation_id="return_as_lead",
             summary="Send a reviewed request back to the team, or reject it (the team lead)")
def return_as_lead(request: HttpRequest, request_id: int, payload: s.LeadReturnIn):
    onboarding = _onboarding(request.user, request_id, Action.APPROVE_AS_LEAD)
    data = cleaned(LeadReturnForm(_form_data(onboarding, payload)))
    decide = services.send_back if data["decision"] == "send_back" else services.reject
    decide(request.user, onboarding, data["reason"], version=payload.version)
    return _detail(request.user, onboarding)


@router.post("/requested-services/{item_id}/decision",
             response={200: s.ServiceDecision, **WRITE},
             operation_id="decide_service",
             summary="Approve or deny a requested service (a lead of the service)")
def decide_service(request: HttpRequest, item_id: int, payload: s.ServiceDecisionIn):
    user = request.user
    item = ContractService.objects.select_related("service", "contract").get(pk=item_id)
    permissions.contract_for(user, item.contract_id, Action.DECIDE_SERVICE)
    if not permissions.leads_the_service(user, item):
        raise NotAllowed(f"Only a service lead for {item.service} can decide on it.")
    data = cleaned(DecisionForm(payload.dict()))
    services.decide_service(user, item, approve=data["decision"] == "approve",
                            reason=data["reason"])
    decided: Any = ContractService.objects.select_related("service", "decided_by").get(
        pk=item.pk)
    decided.request_id, decided.request_status = OnboardingRequest.objects.values_list(
        "pk", "status").get(contract=item.contract_id)
    return decided


# --- Additional-service requests -----------------------------------------------------------


def _additional(user, req_id: int) -> AdditionalServiceRequest:
    """The request if the person may see it (its page's check), else 404."""
    req = access_queries.request_for_page(req_id)
    if req is None or not permissions.may_see_service_request(user, req):
        raise AdditionalServiceRequest.DoesNotExist("No such request.")
    return req


def _additional_detail(user, req_id: int) -> AdditionalServiceRequest:
    """The request as saved now, with the transitions its page would offer this person."""
    req: Any = _additional(user, req_id)
    moves = {move.name for move in req.get_available_user_status_transitions(user)}
    if "cancel" in moves and not access_queries.cancellable_now(req):
        moves.discard("cancel")  # its addendum went out: the page no longer offers it
    req.actions_shown = sorted(moves)
    return req


@router.get("/additional", response={200: list[s.AdditionalRequest], **problems.COMMON},
            operation_id="list_additional_requests",
            summary="Additional-service requests you see")
@paginate(CursorPagination, ordering=("-id",))
def list_additional_requests(request: HttpRequest):
    return access_queries.visible_requests(request.user).select_related(*ADDITIONAL_ROWS)


@router.get("/additional/{request_id}",
            response={200: s.AdditionalRequestDetail, **problems.WITH_OBJECT},
            operation_id="get_additional_request", summary="One additional-service request")
def get_additional_request(request: HttpRequest, request_id: int):
    return _additional_detail(request.user, request_id)


@router.post("/additional/{request_id}/cor-decision",
             response={200: s.AdditionalRequestDetail, **WRITE},
             operation_id="decide_additional_as_cor",
             summary="Approve or decline an additional-service request (the contract's COR)")
def decide_additional_as_cor(request: HttpRequest, request_id: int, payload: s.CorDecisionIn):
    user = request.user
    req = _additional(user, request_id)
    if not permissions.can(user, Action.APPROVE_REQUEST_AS_COR, req.contract):
        raise NotAllowed("Only the contract's COR can approve or decline this request.")
    data = cleaned(CorDecisionForm(_form_data(req, payload)))
    additional.cor_decide(user, req, data["decision"] == "approve", data["note"],
                          version=payload.version)
    return _additional_detail(user, request_id)


@router.post("/additional/{request_id}/lead-decision",
             response={200: s.AdditionalRequestDetail, **WRITE},
             operation_id="decide_additional_as_lead",
             summary="Approve or deny an additional-service request (a lead of the service)")
def decide_additional_as_lead(request: HttpRequest, request_id: int,
                              payload: s.LeadDecisionIn):
    user = request.user
    req = _additional(user, request_id)
    if not permissions.leads_the_service(user, req):
        raise NotAllowed(f"Only a service lead for {req.service} can decide on it.")
    data = cleaned(LeadDecisionForm(_form_data(req, payload)))
    additional.lead_decide(user, req, data["decision"] == "approve", data["reason"],
                           version=payload.version)
    return _additional_detail(user, request_id)
