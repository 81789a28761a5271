"""Review of an onboarding request: the team's queue, the request's page with the actions
each person may take now, questions and answers, the team lead's approval, the eligibility
meeting, and the service leads' decisions. Thin: parse, authorize, call one service.

The actions a request's page offers are the request's transitions this person may take
now (`OnboardingRequest.transitions_for`: its status, and each transition's permission
from accounts.permissions); each POST goes through `muster.actions.act`."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.forms import BaseForm
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_fsm import can_proceed

from muster import clock, reverse_once
from muster.accounts import permissions
from muster.accounts.permissions import Action
from muster.actions import act
from muster.contracts.models import ContractService
from muster.conversation import queries as conversation

from .. import queries, services
from ..forms.reasons import CancelForm, LeadReturnForm, ReopenForm, WithdrawForm
from ..forms.review import AnswerForm, DecisionForm, MeetingForm, QuestionForm, VersionedForm
from ..models import OnboardingRequest
from ..queue_table import QueueTable

# The page's action forms: the transition each takes (offered when this person may take it
# now), its form, and its element ids (several forms share the page without clashing ids).
# The team lead's "send back" form also rejects: both leave a reviewed request, for the lead.
ACTIONS = {
    "question_form": ("ask_question", QuestionForm, "question_%s"),
    "review_form": ("mark_reviewed", VersionedForm, "reviewed_%s"),
    "approve_form": ("approve_as_lead", VersionedForm, "approve_%s"),
    "answer_form": ("answer_question", AnswerForm, "answer_%s"),
    "meeting_form": ("hold_meeting", MeetingForm, "meeting_%s"),
    "lead_return_form": ("send_back", LeadReturnForm, "lead_return_%s"),
    "withdraw_form": ("withdraw", WithdrawForm, "withdraw_%s"),
    "cancel_form": ("cancel", CancelForm, "cancel_%s"),
    "reopen_form": ("reopen", ReopenForm, "reopen_%s"),
}


# --- The queue --------------------------------------------------------------------------


def review_queue(request):
    if not permissions.sees_every_contract(request.user):
        raise PermissionDenied("Only the onboarding team, its lead and administrators see "
                               "the review queue.")
    today = clock.today()
    shown = request.GET.get("show", "open")
    if shown not in queries.QUEUE_FILTERS:
        shown = "open"  # an unknown filter shows the default, not an error
    sections = queries.review_queue(shown, today, request.GET.get("section", ""),
                                    request.GET.get("page"))
    return render(request, "onboarding/review/queue.html", {
        "sections": sections, "queue_url": reverse_once.address("onboarding:queue"),
        "sections_html": QueueTable(shown, queries.SECTION_SHOWN).sections_html(sections),
        "today": today, "shown": shown,
        "filters": [(key, label) for key, (label, _) in queries.QUEUE_FILTERS.items()],
    })


# --- A request's page -------------------------------------------------------------------


def _request_of(contract) -> OnboardingRequest:
    found = queries.request_of(contract)
    if found is None:
        raise Http404("This contract has no onboarding request yet.")
    return found


def _form(name: str, onboarding: OnboardingRequest, data=None):
    """The action form `name`: blank (carrying the request's version) or bound to `data`."""
    _, form_class, ids = ACTIONS[name]
    extra = {}
    if name == "meeting_form":
        extra["requested"] = queries.undecided_services(onboarding.contract)
    if data is None:
        return form_class(initial={"version": onboarding.version}, auto_id=ids, **extra)
    return form_class(data, auto_id=ids, **extra)


def _detail(request, contract, onboarding, bound: tuple[str, Any] | None = None):
    """The request's page; `bound`: the action form (name, form) posted with errors."""
    offered = onboarding.transitions_for(request.user)
    forms = {name: _form(name, onboarding)
             for name, (move, _, _) in ACTIONS.items() if move in offered}
    if bound is not None:
        name, form = bound
        forms[name] = form
    return render(request, "onboarding/review/detail.html", {
        "contract": contract,
        "onboarding": onboarding,
        **queries.request_page(onboarding),
        # The request's thread (muster/conversation): its questions and answers among the
        # comments and, for the team, internal notes.
        "thread": conversation.thread(
            request.user, contract, onboarding,
            action=reverse("conversation:onboarding_request", args=[contract.pk])),
        "forms": forms,
        "error_form": bound[1] if bound else None,
        "today": clock.today(),
    })


def request_detail(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.VIEW_CONTRACT)
    return _detail(request, contract, _request_of(contract))


def _meeting_page(request, contract, onboarding, form):
    return render(request, "onboarding/review/meeting.html", {
        "contract": contract, "onboarding": onboarding, "form": form,
        "meeting_step": queries.meeting_step(contract), "today": clock.today(),
    })


# A service's call from a POSTed action form: (the person, the request, the form's data).
ServiceCall = Callable[[Any, OnboardingRequest, dict], Any]


def _posted(request, pk, name: str, action: Action, call: ServiceCall,
            done: str | Callable[[Any], str]):
    """The POST of the page's action form `name`, by a person `action` allows: `call` the
    service with the person, the request and the form's data; back to the request's page
    (the meeting's own page shows its form's errors)."""
    contract = permissions.contract_for(request.user, pk, action)
    onboarding = _request_of(contract)

    def invalid(form):
        if name == "meeting_form":
            return _meeting_page(request, contract, onboarding, form)
        return _detail(request, contract, onboarding, bound=(name, form))

    return act(request, form=_form(name, onboarding, request.POST), invalid=invalid,
               call=lambda data: call(request.user, onboarding, data), done=done,
               then=reverse("onboarding:request", args=[contract.pk]))


def _with_reason(service: Callable[..., Any]) -> ServiceCall:
    """A change of status with a reason (withdraw, cancel, reopen): the service's call."""
    return lambda user, onboarding, data: service(user, onboarding, data["reason"],
                                                  version=data["version"])


@require_POST
def ask_question(request, pk):
    return _posted(
        request, pk, "question_form", Action.REVIEW_INTAKE,
        lambda user, onboarding, data: services.ask_question(user, onboarding, data["text"],
                                                             version=data["version"]),
        "Question sent to the COR and the contractor's POC. The request waits for their "
        "answer.",
    )


@require_POST
def answer_question(request, pk):
    return _posted(
        request, pk, "answer_form", Action.ANSWER_QUESTION,
        lambda user, onboarding, data: services.answer_question(
            user, onboarding, data["answer"], version=data["version"]),
        "Answer sent. The request is back with the onboarding team for review.",
    )


@require_POST
def mark_reviewed(request, pk):
    return _posted(
        request, pk, "review_form", Action.REVIEW_INTAKE,
        lambda user, onboarding, data: services.mark_reviewed(user, onboarding,
                                                              version=data["version"]),
        "Marked reviewed. The team lead has been asked to approve it.",
    )


@require_POST
def approve_as_lead(request, pk):
    return _posted(
        request, pk, "approve_form", Action.APPROVE_AS_LEAD,
        lambda user, onboarding, data: services.approve_as_lead(user, onboarding,
                                                                version=data["version"]),
        "Approved. The onboarding team holds the eligibility meeting next.",
    )


def _lead_return(user, onboarding, data):
    decide = services.send_back if data["decision"] == "send_back" else services.reject
    return decide(user, onboarding, data["reason"], version=data["version"])


def _lead_return_done(change) -> str:
    if change.kind == change.Kind.SENT_BACK:
        return ("Sent back to the onboarding team's review. The team, the COR and the POC "
                "have been told why.")
    return "Rejected. The COR, the POC and the onboarding team have been told why."


@require_POST
def lead_return(request, pk):
    """The team lead sends a reviewed request back to the team, or rejects it."""
    return _posted(request, pk, "lead_return_form", Action.APPROVE_AS_LEAD, _lead_return,
                   _lead_return_done)


@require_POST
def withdraw(request, pk):
    return _posted(
        request, pk, "withdraw_form", Action.WITHDRAW_REQUEST, _with_reason(services.withdraw),
        "Request withdrawn. Everyone involved has been told; the onboarding team can "
        "reopen it.",
    )


@require_POST
def cancel(request, pk):
    return _posted(
        request, pk, "cancel_form", Action.CANCEL_REQUEST, _with_reason(services.cancel),
        "Request cancelled. Everyone involved has been told; its open timeline steps show "
        "“Cancelled”.",
    )


@require_POST
def reopen(request, pk):
    return _posted(
        request, pk, "reopen_form", Action.REOPEN_REQUEST, _with_reason(services.reopen),
        lambda change: f"Request reopened: it is “{change.get_to_status_display()}” again. "
                       "Everyone involved has been told.",
    )


def _record_meeting(user, onboarding, data):
    record = services.MeetingRecord(
        held_on=data["held_on"], attendees=data["attendees"], outcome=data["outcome"],
        notes=data["notes"], eligible=tuple(data["eligible"]),
    )
    return services.record_meeting(user, onboarding, record, version=data["version"])


def _meeting_done(meeting) -> str:
    if meeting.outcome == services.Outcome.NOT_ELIGIBLE:
        return ("Meeting recorded: not eligible. The request is back with the COR and POC "
                "to change; no service lead was asked.")
    if meeting.outcome == services.Outcome.PARTLY:
        return ("Meeting recorded. The leads of each eligible service have been asked to "
                "decide; the other services are closed as not eligible.")
    return "Meeting recorded. Each service's leads have been asked to decide."


def record_meeting(request, pk):
    if request.method == "POST":
        return _posted(request, pk, "meeting_form", Action.RECORD_MEETING, _record_meeting,
                       _meeting_done)
    contract = permissions.contract_for(request.user, pk, Action.RECORD_MEETING)
    onboarding = _request_of(contract)
    if not can_proceed(onboarding.hold_meeting):
        messages.info(
            request,
            f"The eligibility meeting is recorded once the team lead has approved the request; "
            f"this request is “{onboarding.get_status_display()}”.",
        )
        return redirect("onboarding:request", contract.pk)
    return _meeting_page(request, contract, onboarding, _form("meeting_form", onboarding))


# --- Service leads' decisions -----------------------------------------------------------


def _decision_id(item_pk: int) -> str:
    return f"decide{item_pk}_%s"


def _decisions_page(request, bound: tuple[int, BaseForm] | None = None):
    user = request.user
    if not permissions.may_see_service_decisions(user):
        raise PermissionDenied("Only service leads decide on services.")
    pending = queries.pending_decisions(user)
    bound_pk, bound_form = bound or (None, None)
    for item in pending:
        item.form = bound_form if item.pk == bound_pk else DecisionForm(
            auto_id=_decision_id(item.pk)
        )
    return render(request, "onboarding/review/decisions.html", {
        "pending": pending, "recent": queries.recent_decisions(user), "error_form": bound_form,
    })


def decisions(request):
    return _decisions_page(request)


@require_POST
def decide(request, item_pk):
    item = get_object_or_404(ContractService.objects.select_related("service", "contract"),
                             pk=item_pk)
    permissions.contract_for(request.user, item.contract_id, Action.DECIDE_SERVICE)
    if not permissions.leads_the_service(request.user, item):
        raise PermissionDenied(f"Only a service lead for {item.service} can decide on it.")

    def partial(*, message: str = "", refused: bool = False,
                form: BaseForm | None = None) -> HttpResponse:
        """The service's part of the decisions page, as saved (a refusal saved nothing):
        its form again (with `form`'s errors and typed text) while it waits, else what
        was decided."""
        shown: Any = next((p for p in queries.pending_decisions(request.user)
                           if p.pk == item.pk), None)
        if shown is not None:
            shown.form = form or DecisionForm(auto_id=_decision_id(item.pk))
            if form is not None and form.errors and not message:
                message, refused = "The decision was not recorded: see the error below.", True
        else:
            shown = ContractService.objects.select_related("service", "contract").get(
                pk=item.pk)
        return render(request, "onboarding/review/_decision.html", {
            "item": shown, "message": message, "refused": refused,
            "decided": shown.status != ContractService.Status.REQUESTED,
        })

    return act(
        request, form=DecisionForm(request.POST, auto_id=_decision_id(item.pk)), partial=partial,
        invalid=lambda form: _decisions_page(request, bound=(item.pk, form)),
        call=lambda data: services.decide_service(
            request.user, item, approve=data["decision"] == "approve", reason=data["reason"]),
        done=lambda decided: f"{decided.service} {decided.get_status_display().lower()} for "
                             f"{decided.contract.name}. The onboarding team and the COR have "
                             "been told.",
        then="onboarding:decisions",
    )
