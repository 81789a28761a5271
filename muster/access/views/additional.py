"""Additional services for an existing contract: the request form, the list of requests
each person may see, a request's page with what the person may do now, and the COR's and
the service lead's decisions. Thin: parse, authorize, call one service, say what happened."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from muster.accounts import permissions
from muster.accounts.models import ContractRole
from muster.accounts.permissions import Action
from muster.actions import refused_as_form_error, refused_as_message
from muster.contracts.models import Contract
from muster.onboarding.lifecycle_forms import CancelForm, ReopenForm, WithdrawForm

from .. import additional
from ..additional import S
from ..additional_forms import CorDecisionForm, LeadDecisionForm, ServiceRequestForm, VersionedForm
from ..models import AdditionalServiceRequest

IDS = {"cor_form": "cor_%s", "lead_form": "lead_%s", "addendum_form": "addendum_%s",
       "withdraw_form": "withdraw_%s", "cancel_form": "cancel_%s", "reopen_form": "reopen_%s"}
FORM_CLASSES = {"cor_form": CorDecisionForm, "lead_form": LeadDecisionForm,
                "addendum_form": VersionedForm, "withdraw_form": WithdrawForm,
                "cancel_form": CancelForm, "reopen_form": ReopenForm}


# --- Asking for a service ---------------------------------------------------------------


def _new_page(request, contract, form, *, status=200):
    return render(request, "access/additional/new.html", {
        "contract": contract, "form": form,
        "blockers": additional.blockers(contract),
        "has_choices": form.fields["service"].queryset.exists(),
    }, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def new_request(request, pk):
    contract = permissions.contract_for(
        request.user, pk, Action.REQUEST_SERVICE,
        Contract.objects.select_related("organization"),
    )
    if request.method in ("GET", "HEAD"):
        org = contract.organization
        form = ServiceRequestForm(
            contract=contract, initial={"organization_name": org.harp_name if org else ""}
        )
        return _new_page(request, contract, form)
    form = ServiceRequestForm(request.POST, contract=contract)
    if not form.is_valid():
        return _new_page(request, contract, form, status=400)
    data = form.cleaned_data
    with refused_as_form_error(form) as refusal:
        req = additional.request_service(
            request.user, contract, service=data["service"],
            organization_name=data["organization_name"], justification=data["justification"],
            estimated_users=data["estimated_users"],
        )
    if refusal:
        return _new_page(request, contract, form, status=400)
    if req.status == S.AWAITING_LEADS:
        messages.success(request, f"Request for {req.service} sent. As the COR, your request "
                         "counts as your approval: the service leads decide next.")
    else:
        messages.success(request, f"Request for {req.service} sent to the COR. The onboarding "
                         "team and the service leads see it once the COR approves it.")
    return redirect("access:service_request", req.pk)


# --- The list ---------------------------------------------------------------------------


def request_list(request):
    user = request.user
    led = permissions.led_service_ids(user)
    rows = (
        additional.visible_requests(user)
        .select_related("contract", "contract__organization", "service", "requested_by")
        .annotate(my_cor=Exists(ContractRole.objects.filter(
            contract=OuterRef("contract_id"), user=user, role=ContractRole.Role.COR)))
        .order_by("-requested_at", "-pk")
    )
    waiting, open_, decided, stopped = [], [], [], []
    for row in rows:
        if (row.status == S.AWAITING_COR and row.my_cor) or (
            row.status == S.AWAITING_LEADS and row.service_id in led
        ):
            waiting.append(row)
        elif row.status in additional.OPEN:
            open_.append(row)
        elif row.status in additional.STOPPED:
            stopped.append(row)
        else:
            decided.append(row)
    sections = [
        {"id": "waiting", "title": "Waiting for you", "rows": waiting,
         "empty": "Nothing is waiting for your decision."},
        {"id": "open", "title": "In progress", "rows": open_,
         "empty": "No other request is in progress."},
        {"id": "decided", "title": "Decided", "rows": decided,
         "empty": "No request has been decided yet."},
        {"id": "stopped", "title": "Withdrawn or cancelled", "rows": stopped,
         "empty": "No request has been withdrawn or cancelled."},
    ]
    return render(request, "access/additional/list.html", {"sections": sections})


# --- A request's page -------------------------------------------------------------------


def _request_of(user, req_pk) -> AdditionalServiceRequest:
    req = get_object_or_404(
        AdditionalServiceRequest.objects.select_related(
            "contract", "contract__organization", "service", "requested_by",
            "cor_decided_by", "decided_by",
        ),
        pk=req_pk,
    )
    if not additional.may_see(user, req):
        raise Http404("No such request.")
    return req


def _detail(request, req, *, status=200, **bound):
    user, contract = request.user, req.contract
    roles = permissions.roles_on(user, contract)
    addendum = additional.addendum_state(req)
    shown = {
        "cor_form": req.status == S.AWAITING_COR
        and bool(roles & permissions.RULES[Action.APPROVE_REQUEST_AS_COR]),
        "lead_form": req.status == S.AWAITING_LEADS and additional.may_decide_as_lead(user, req),
        "addendum_form": addendum == "pending"
        and bool(roles & permissions.RULES[Action.SEND_WELCOME]),
        "withdraw_form": req.status == S.AWAITING_LEADS
        and bool(roles & permissions.RULES[Action.WITHDRAW_REQUEST]),
        "cancel_form": additional.may_cancel_now(req)
        and bool(roles & permissions.RULES[Action.CANCEL_REQUEST]),
        "reopen_form": req.status in additional.STOPPED
        and bool(roles & permissions.RULES[Action.REOPEN_REQUEST]),
    }
    forms = {
        name: bound[name] if name in bound else FORM_CLASSES[name](
            initial={"version": req.version}, auto_id=IDS[name])
        for name, show in shown.items() if show or name in bound
    }
    error_form = next((f for f in forms.values() if f.is_bound and f.errors), None)
    packages = []
    if req.decided_at is not None and req.status == S.APPROVED:
        packages = [
            p for p in contract.welcome_packages.filter(sent_at__gte=req.decided_at)
            .order_by("version")
            if any(s.get("name") == req.service.name for s in p.services)
        ]
    return render(request, "access/additional/detail.html", {
        "req": req, "contract": contract, "forms": forms, "error_form": error_form,
        "addendum": addendum, "packages": packages,
        "sees_contract": bool(roles & permissions.RULES[Action.VIEW_CONTRACT]),
        "sees_packages": bool(roles & permissions.RULES[Action.VIEW_WELCOME]),
    }, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def request_detail(request, req_pk):
    """GET: the request. POST: the onboarding team sends the welcome-package addendum the
    lead's approval could not send (no SO was named then)."""
    req = _request_of(request.user, req_pk)
    if request.method in ("GET", "HEAD"):
        return _detail(request, req)
    if not permissions.can(request.user, Action.SEND_WELCOME, req.contract):
        raise PermissionDenied("Only the onboarding team sends welcome packages.")
    form = VersionedForm(request.POST, auto_id=IDS["addendum_form"])
    if not form.is_valid():
        return _detail(request, req, status=400, addendum_form=form)
    return _act(
        request, req,
        lambda: additional.send_addendum(request.user, req,
                                         version=form.cleaned_data["version"]),
        "Welcome-package addendum sent to the SO.",
    )


def _act(request, req, call, done: str):
    with refused_as_message(request) as refusal:  # stale or not now: nothing saved
        result = call()
    if not refusal:
        messages.success(request, done(result) if callable(done) else done)
    return redirect("access:service_request", req.pk)


@require_POST
def cor_decision(request, req_pk):
    req = _request_of(request.user, req_pk)
    if not permissions.can(request.user, Action.APPROVE_REQUEST_AS_COR, req.contract):
        raise PermissionDenied("Only the contract's COR can approve or decline this request.")
    form = CorDecisionForm(request.POST, auto_id=IDS["cor_form"])
    if not form.is_valid():
        return _detail(request, req, status=400, cor_form=form)
    data = form.cleaned_data
    approve = data["decision"] == "approve"
    return _act(
        request, req,
        lambda: additional.cor_decide(request.user, req, approve, data["note"],
                                      version=data["version"]),
        "Approved. The service leads and the onboarding team have been asked to decide."
        if approve else "Declined. The person who asked has been told why.",
    )


@require_POST
def lead_decision(request, req_pk):
    req = _request_of(request.user, req_pk)
    if not additional.may_decide_as_lead(request.user, req):
        raise PermissionDenied(f"Only a service lead for {req.service} can decide on it.")
    form = LeadDecisionForm(request.POST, auto_id=IDS["lead_form"])
    if not form.is_valid():
        return _detail(request, req, status=400, lead_form=form)
    data = form.cleaned_data
    approve = data["decision"] == "approve"
    return _act(
        request, req,
        lambda: additional.lead_decide(request.user, req, approve, data["reason"],
                                       version=data["version"]),
        _lead_done if approve else
        f"{req.service} denied. The COR and the person who asked have been told why.",
    )


def _with_reason(request, req_pk, action: Action, name: str, call, done: str):
    """Withdraw, cancel or reopen: who may, a valid reason, one service call."""
    req = _request_of(request.user, req_pk)
    if not permissions.can(request.user, action, req.contract):
        raise PermissionDenied("Your role on this contract does not allow that.")
    form = FORM_CLASSES[name](request.POST, auto_id=IDS[name])
    if not form.is_valid():
        return _detail(request, req, status=400, **{name: form})
    data = form.cleaned_data
    return _act(request, req,
                lambda: call(request.user, req, data["reason"], version=data["version"]), done)


@require_POST
def withdraw(request, req_pk):
    return _with_reason(request, req_pk, Action.WITHDRAW_REQUEST, "withdraw_form",
                        additional.withdraw, "Request withdrawn. The service leads, the "
                        "person who asked and the onboarding team have been told.")


@require_POST
def cancel(request, req_pk):
    return _with_reason(request, req_pk, Action.CANCEL_REQUEST, "cancel_form",
                        additional.cancel, "Request cancelled. The COR and the person who "
                        "asked have been told why.")


@require_POST
def reopen(request, req_pk):
    return _with_reason(request, req_pk, Action.REOPEN_REQUEST, "reopen_form",
                        additional.reopen, "Request reopened: it waits for the service "
                        "leads' decision again. The COR and the person who asked have been "
                        "told.")


ADDENDUM_NEWS = {
    "sent": "the SO has been sent the welcome-package addendum.",
    "with_initial": "it will be in the welcome package when the onboarding team sends it.",
    "pending": "no SO is named yet, so the onboarding team sends the welcome-package addendum "
    "once one is.",
}


def _lead_done(req) -> str:
    news = ADDENDUM_NEWS.get(additional.addendum_state(req), "")
    return f"{req.service} approved and added to the contract's approved services; {news}"

