"""Additional services for an existing contract: the request form, the list of requests
each person may see, a request's page with what the person may do now, and the COR's and
the service lead's decisions. Thin: parse, authorize, call one service, say what happened."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_fsm import has_transition_perm

from muster.accounts import permissions
from muster.accounts.permissions import Action
from muster.actions import act, refused_as_form_error
from muster.contracts.models import Contract
from muster.conversation import queries as conversation
from muster.onboarding.forms.reasons import CancelForm, ReopenForm, WithdrawForm

from .. import additional, queries
from ..additional import S
from ..additional_forms import CorDecisionForm, LeadDecisionForm, ServiceRequestForm, VersionedForm
from ..models import REOPENABLE_REQUESTS, UNDECIDED_REQUESTS, AdditionalServiceRequest

IDS = {"cor_form": "cor_%s", "lead_form": "lead_%s", "addendum_form": "addendum_%s",
       "withdraw_form": "withdraw_%s", "cancel_form": "cancel_%s", "reopen_form": "reopen_%s"}
FORM_CLASSES = {"cor_form": CorDecisionForm, "lead_form": LeadDecisionForm,
                "addendum_form": VersionedForm, "withdraw_form": WithdrawForm,
                "cancel_form": CancelForm, "reopen_form": ReopenForm}


# --- Asking for a service ---------------------------------------------------------------


def _new_page(request, contract, form, *, status=200):
    return render(request, "access/additional/new.html", {
        "contract": contract, "form": form,
        "blockers": queries.blockers(contract),
        "has_choices": form.service_field.queryset.exists(),
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
    waiting, open_, decided, stopped = [], [], [], []
    for row in queries.request_list(user):
        if (row.status == S.AWAITING_COR and row.my_cor) or (
            row.status == S.AWAITING_LEADS and row.service_id in led
        ):
            waiting.append(row)
        elif row.status in UNDECIDED_REQUESTS:
            open_.append(row)
        elif row.status in REOPENABLE_REQUESTS:
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
    req = queries.request_for_page(req_pk)
    if req is None or not permissions.may_see_service_request(user, req):
        raise Http404("No such request.")
    return req


def _detail(request, req, *, status=200, **bound):
    user, contract = request.user, req.contract
    addendum = queries.addendum_state(req)
    # What the person may do now: the request's transitions open to them from its state
    # (each names who may take it), and the addendum while one is due.
    shown = {
        "cor_form": has_transition_perm(req.approve_as_cor, user),
        "lead_form": has_transition_perm(req.approve, user),
        "addendum_form": addendum == "pending"
        and permissions.can(user, Action.SEND_WELCOME, contract),
        "withdraw_form": has_transition_perm(req.withdraw, user),
        "cancel_form": has_transition_perm(req.cancel, user)
        and queries.cancellable_now(req, addendum),
        "reopen_form": has_transition_perm(req.reopen, user),
    }
    forms = {
        name: bound[name] if name in bound else FORM_CLASSES[name](
            initial={"version": req.version}, auto_id=IDS[name])
        for name, show in shown.items() if show or name in bound
    }
    error_form = next((f for f in forms.values() if f.is_bound and f.errors), None)
    return render(request, "access/additional/detail.html", {
        "req": req, "contract": contract, "forms": forms, "error_form": error_form,
        "addendum": addendum, "packages": queries.packages_listing(req),
        # The request's thread (muster/conversation).
        "thread": conversation.thread(
            user, contract, req, action=reverse("conversation:service_request", args=[req.pk])),
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
    return _act_on(request, req, "addendum_form",
                   lambda data: additional.send_addendum(request.user, req,
                                                         version=data["version"]),
                   "The welcome-package addendum is being prepared: Muster makes its "
                   "PDF and emails it to the SO in a moment.")


def _act_on(request, req, name: str, call, done):
    """One of the page's forms (`name`) was sent: shown again with its errors (a 400), or
    one service call, said on the request's page."""
    return act(request, form=FORM_CLASSES[name](request.POST, auto_id=IDS[name]),
               invalid=lambda form: _detail(request, req, **{name: form}), call=call,
               done=done, then=reverse("access:service_request", args=[req.pk]))


@require_POST
def cor_decision(request, req_pk):
    req = _request_of(request.user, req_pk)
    if not permissions.can(request.user, Action.APPROVE_REQUEST_AS_COR, req.contract):
        raise PermissionDenied("Only the contract's COR can approve or decline this request.")
    return _act_on(
        request, req, "cor_form",
        lambda data: additional.cor_decide(request.user, req, data["decision"] == "approve",
                                           data["note"], version=data["version"]),
        lambda decided: "Approved. The service leads and the onboarding team have been "
        "asked to decide." if decided.status == S.AWAITING_LEADS
        else "Declined. The person who asked has been told why.",
    )


@require_POST
def lead_decision(request, req_pk):
    req = _request_of(request.user, req_pk)
    if not permissions.leads_the_service(request.user, req):
        raise PermissionDenied(f"Only a service lead for {req.service} can decide on it.")
    return _act_on(
        request, req, "lead_form",
        lambda data: additional.lead_decide(request.user, req, data["decision"] == "approve",
                                            data["reason"], version=data["version"]),
        lambda decided: _lead_done(decided) if decided.status == S.APPROVED else
        f"{req.service} denied. The COR and the person who asked have been told why.",
    )


def _with_reason(request, req_pk, action: Action, name: str, call, done: str):
    """Withdraw, cancel or reopen: who may, a valid reason, one service call."""
    req = _request_of(request.user, req_pk)
    if not permissions.can(request.user, action, req.contract):
        raise PermissionDenied("Your role on this contract does not allow that.")
    return _act_on(request, req, name, lambda data: call(
        request.user, req, data["reason"], version=data["version"]), done)


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
    "preparing": "the welcome-package addendum is being prepared: it goes to the SO in a "
    "moment.",
    "failed": "the PDF of the welcome-package addendum could not be made: the onboarding "
    "team can try again.",
    "with_initial": "it will be in the welcome package when the onboarding team sends it.",
    "pending": "no SO is named yet, so the onboarding team sends the welcome-package addendum "
    "once one is.",
}


def _lead_done(req) -> str:
    news = ADDENDUM_NEWS.get(queries.addendum_state(req), "")
    return f"{req.service} approved and added to the contract's approved services; {news}"

