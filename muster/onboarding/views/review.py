"""Review of an onboarding request: the team's queue, the request's page with the actions
each person may take now, questions and answers, the team lead's approval, the eligibility
meeting, and the service leads' decisions. Thin: parse, authorize, call one service."""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from muster import clock
from muster.accounts import permissions
from muster.accounts.permissions import Action
from muster.actions import refused_as_message
from muster.contracts.models import ContractService
from muster.timeline import calendar
from muster.timeline.models import ContractStep

from .. import intake, services
from ..forms import AnswerForm, DecisionForm, MeetingForm, QuestionForm, VersionedForm
from ..lifecycle_forms import CancelForm, LeadReturnForm, ReopenForm, WithdrawForm
from ..models import (
    CANCELLABLE,
    REOPENABLE,
    STOPPED,
    WITHDRAWABLE,
    EligibilityMeeting,
    OnboardingRequest,
    Question,
    Status,
)

MEETING_STEP, FINISH_STEP = "eligibility-meeting", "complete-onboarding"

# The queue's sections, in the order a request moves through them.
QUEUE_SECTIONS = [
    (Status.SUBMITTED, "Waiting for review",
     "Submitted intake forms: check them for completeness and clarity, then mark them "
     "reviewed or ask the COR a question."),
    (Status.QUESTION, "Question open",
     "Waiting for the COR or the contractor's POC to answer the team's question."),
    (Status.REVIEWED, "Waiting for the team lead", "Reviewed; the team lead approves next."),
    (Status.LEAD_APPROVED, "Waiting for the eligibility meeting",
     "Approved by the team lead: hold the contract onboarding services meeting and record it."),
    (Status.SERVICE_REVIEW, "Waiting for service leads",
     "Each service lead approves or denies their service."),
    (Status.APPROVED, "Ready for the welcome package",
     "Every service is decided: send the welcome package to the SO."),
]
# Requests that stopped: found through the queue's filter, with their own sections.
STOPPED_SECTIONS = [
    (Status.WITHDRAWN, "Withdrawn by the COR",
     "The COR withdrew these before the team lead's approval. The team can reopen one."),
    (Status.CANCELLED, "Cancelled by the onboarding team",
     "Cancelled before the welcome package was sent. The team can reopen one."),
    (Status.REJECTED, "Rejected by the team lead", "Final: no later step proceeds."),
]
QUEUE_FILTERS = {"open": ("Requests in progress", QUEUE_SECTIONS),
                 "stopped": ("Withdrawn, cancelled or rejected", STOPPED_SECTIONS)}
# Which timeline step's due date matters while a request is in each status.
BEFORE_MEETING = {Status.SUBMITTED, Status.QUESTION, Status.REVIEWED, Status.LEAD_APPROVED}

# Element ids per form, so several forms share a page without clashing ids.
IDS = {
    "question_form": "question_%s",
    "review_form": "reviewed_%s",
    "approve_form": "approve_%s",
    "answer_form": "answer_%s",
    "meeting_form": "meeting_%s",
    "lead_return_form": "lead_return_%s",
    "withdraw_form": "withdraw_%s",
    "cancel_form": "cancel_%s",
    "reopen_form": "reopen_%s",
}
FORM_CLASSES = {
    "question_form": QuestionForm,
    "review_form": VersionedForm,
    "approve_form": VersionedForm,
    "answer_form": AnswerForm,
    "meeting_form": MeetingForm,
    "lead_return_form": LeadReturnForm,
    "withdraw_form": WithdrawForm,
    "cancel_form": CancelForm,
    "reopen_form": ReopenForm,
}


# --- The queue --------------------------------------------------------------------------


def _step(key: str, field: str) -> Subquery:
    return Subquery(
        ContractStep.objects.filter(contract=OuterRef("contract_id"), key=key).values(field)[:1]
    )


def queue_rows(sections=QUEUE_SECTIONS):
    """Every request in the sections' statuses, with what each row shows: one query."""
    open_question = Question.objects.filter(
        request=OuterRef("pk"), answered_at__isnull=True
    ).order_by("-asked_at")
    return (
        OnboardingRequest.objects.filter(status__in=[s for s, _, _ in sections])
        .select_related("contract", "contract__organization", "submitted_by")
        .annotate(
            meeting_due=_step(MEETING_STEP, "due_date"),
            meeting_done=_step(MEETING_STEP, "completed_at"),
            finish_due=_step(FINISH_STEP, "due_date"),
            finish_done=_step(FINISH_STEP, "completed_at"),
            question_asked_at=Subquery(open_question.values("asked_at")[:1]),
        )
        .order_by("submitted_at", "pk")
    )


def _describe(row: OnboardingRequest, today) -> OnboardingRequest:
    """Age in business days, and the due date of the step that matters now."""
    submitted = timezone.localdate(row.submitted_at) if row.submitted_at else None
    row.age = calendar.business_days_between(submitted, today) if submitted else None
    row.stopped = row.status in STOPPED
    if row.stopped:  # nothing is due on a stopped request
        row.step_name, row.due, row.overdue = "", None, False
        return row
    if row.status in BEFORE_MEETING:
        row.step_name, row.due, done = "Eligibility meeting", row.meeting_due, row.meeting_done
    else:
        row.step_name, row.due, done = "Complete onboarding", row.finish_due, row.finish_done
    row.overdue = bool(row.due and not done and row.due < today)
    return row


def review_queue(request):
    if not permissions.sees_every_contract(request.user):
        raise PermissionDenied("Only the onboarding team, its lead and administrators see "
                               "the review queue.")
    today = clock.today()
    shown = request.GET.get("show", "open")
    if shown not in QUEUE_FILTERS:
        shown = "open"  # an unknown filter shows the default, not an error
    chosen = QUEUE_FILTERS[shown][1]
    by_status: dict[str, list] = {status: [] for status, _, _ in chosen}
    for row in queue_rows(chosen):
        by_status[row.status].append(_describe(row, today))
    sections = [
        {"status": status, "title": title, "hint": hint, "rows": by_status[status],
         "anchor": f"section-{status}"}
        for status, title, hint in chosen
    ]
    return render(request, "onboarding/review/queue.html", {
        "sections": sections, "today": today, "shown": shown,
        "filters": [(key, label) for key, (label, _) in QUEUE_FILTERS.items()],
    })


# --- A request's page -------------------------------------------------------------------


def _request_of(contract) -> OnboardingRequest:
    found = (
        OnboardingRequest.objects.filter(contract=contract)
        .select_related("submitted_by", "reviewed_by", "lead_approved_by", "contract")
        .first()
    )
    if found is None:
        raise Http404("This contract has no onboarding request yet.")
    found.contract = contract
    return found


def _meeting_step(contract):
    return ContractStep.objects.filter(contract=contract, key=MEETING_STEP).first()


def _form(name: str, onboarding: OnboardingRequest, data=None):
    """The action form `name`: blank (carrying the request's version) or bound to `data`."""
    extra = {}
    if name == "meeting_form":
        extra["requested"] = services.undecided_services(onboarding.contract)
    if data is None:
        return FORM_CLASSES[name](initial={"version": onboarding.version}, auto_id=IDS[name],
                                  **extra)
    return FORM_CLASSES[name](data, auto_id=IDS[name], **extra)


def _detail(request, contract, onboarding, *, status=200, **bound):
    user = request.user
    roles = permissions.roles_on(user, contract)

    def may(action: Action) -> bool:
        return bool(roles & permissions.RULES[action])

    state = onboarding.status
    actions = {
        "question_form": state == Status.SUBMITTED and may(Action.REVIEW_INTAKE),
        "review_form": state == Status.SUBMITTED and may(Action.REVIEW_INTAKE),
        "approve_form": state == Status.REVIEWED and may(Action.APPROVE_AS_LEAD),
        "answer_form": state == Status.QUESTION and may(Action.ANSWER_QUESTION),
        "meeting_form": state == Status.LEAD_APPROVED and may(Action.RECORD_MEETING),
        "lead_return_form": state == Status.REVIEWED and may(Action.APPROVE_AS_LEAD),
        "withdraw_form": state in WITHDRAWABLE and may(Action.WITHDRAW_REQUEST),
        "cancel_form": state in CANCELLABLE and may(Action.CANCEL_REQUEST),
        "reopen_form": state in REOPENABLE and may(Action.REOPEN_REQUEST),
    }
    forms = {name: bound[name] if name in bound else _form(name, onboarding)
             for name, shown in actions.items() if shown or name in bound}
    error_form = next((f for f in forms.values() if f.is_bound and f.errors), None)
    questions = list(onboarding.questions.select_related("asked_by", "answered_by"))
    meetings = list(onboarding.meetings.select_related("recorded_by"))
    return render(request, "onboarding/review/detail.html", {
        "contract": contract,
        "onboarding": onboarding,
        "questions": questions,
        "open_question": next((q for q in questions if q.answered_at is None), None),
        "meetings": meetings,
        "meeting": meetings[0] if meetings else None,
        "changes": list(onboarding.status_changes.select_related("by")),
        "items": contract.services.select_related("service", "decided_by"),
        "meeting_step": _meeting_step(contract),
        "forms": forms,
        "error_form": error_form,
        "may_edit_intake": intake.may_edit(user, onboarding),
        "today": clock.today(),
    }, status=status)


def request_detail(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.VIEW_CONTRACT)
    return _detail(request, contract, _request_of(contract))


def _act(request, contract, onboarding, name: str, call, done):
    """Validate the posted form, call the service, and say what happened (`done`: the
    message, or a function of what the service returned that gives it)."""
    form = _form(name, onboarding, request.POST)
    if not form.is_valid():
        if name == "meeting_form":
            return _meeting_page(request, contract, onboarding, form, status=400)
        return _detail(request, contract, onboarding, status=400, **{name: form})
    with refused_as_message(request) as refusal:  # stale or not allowed now
        result = call(form.cleaned_data)
    if not refusal:
        messages.success(request, done(result) if callable(done) else done)
    return redirect("onboarding:request", contract.pk)


@require_POST
def ask_question(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.REVIEW_INTAKE)
    onboarding = _request_of(contract)
    return _act(
        request, contract, onboarding, "question_form",
        lambda data: services.ask_question(
            request.user, onboarding, data["text"], version=data["version"]
        ),
        "Question sent to the COR and the contractor's POC. The request waits for their "
        "answer.",
    )


@require_POST
def answer_question(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.ANSWER_QUESTION)
    onboarding = _request_of(contract)
    return _act(
        request, contract, onboarding, "answer_form",
        lambda data: services.answer_question(
            request.user, onboarding, data["answer"], version=data["version"]
        ),
        "Answer sent. The request is back with the onboarding team for review.",
    )


@require_POST
def mark_reviewed(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.REVIEW_INTAKE)
    onboarding = _request_of(contract)
    return _act(
        request, contract, onboarding, "review_form",
        lambda data: services.mark_reviewed(request.user, onboarding, version=data["version"]),
        "Marked reviewed. The team lead has been asked to approve it.",
    )


@require_POST
def approve_as_lead(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.APPROVE_AS_LEAD)
    onboarding = _request_of(contract)
    return _act(
        request, contract, onboarding, "approve_form",
        lambda data: services.approve_as_lead(request.user, onboarding,
                                              version=data["version"]),
        "Approved. The onboarding team holds the eligibility meeting next.",
    )


@require_POST
def lead_return(request, pk):
    """The team lead sends a reviewed request back to the team, or rejects it."""
    contract = permissions.contract_for(request.user, pk, Action.APPROVE_AS_LEAD)
    onboarding = _request_of(contract)

    def call(data):
        act = services.send_back if data["decision"] == "send_back" else services.reject
        return act(request.user, onboarding, data["reason"], version=data["version"])

    return _act(request, contract, onboarding, "lead_return_form", call, _lead_return_done)


def _lead_return_done(change) -> str:
    if change.kind == change.Kind.SENT_BACK:
        return ("Sent back to the onboarding team's review. The team, the COR and the POC "
                "have been told why.")
    return "Rejected. The COR, the POC and the onboarding team have been told why."


@require_POST
def withdraw(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.WITHDRAW_REQUEST)
    onboarding = _request_of(contract)
    return _act(
        request, contract, onboarding, "withdraw_form",
        lambda data: services.withdraw(request.user, onboarding, data["reason"],
                                       version=data["version"]),
        "Request withdrawn. Everyone involved has been told; the onboarding team can "
        "reopen it.",
    )


@require_POST
def cancel(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.CANCEL_REQUEST)
    onboarding = _request_of(contract)
    return _act(
        request, contract, onboarding, "cancel_form",
        lambda data: services.cancel(request.user, onboarding, data["reason"],
                                     version=data["version"]),
        "Request cancelled. Everyone involved has been told; its open timeline steps show "
        "“Cancelled”.",
    )


@require_POST
def reopen(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.REOPEN_REQUEST)
    onboarding = _request_of(contract)
    return _act(
        request, contract, onboarding, "reopen_form",
        lambda data: services.reopen(request.user, onboarding, data["reason"],
                                     version=data["version"]),
        lambda change: f"Request reopened: it is “{change.get_to_status_display()}” again. "
                       "Everyone involved has been told.",
    )


def _meeting_page(request, contract, onboarding, form, status=200):
    return render(request, "onboarding/review/meeting.html", {
        "contract": contract, "onboarding": onboarding, "form": form,
        "meeting_step": _meeting_step(contract), "today": clock.today(),
    }, status=status)


def record_meeting(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.RECORD_MEETING)
    onboarding = _request_of(contract)
    if request.method == "POST":
        return _act(
            request, contract, onboarding, "meeting_form",
            lambda data: services.record_meeting(
                request.user, onboarding,
                services.MeetingRecord(
                    held_on=data["held_on"], attendees=data["attendees"],
                    outcome=data["outcome"], notes=data["notes"],
                    eligible=tuple(data["eligible"]),
                ),
                version=data["version"],
            ),
            _meeting_done,
        )
    if onboarding.status != Status.LEAD_APPROVED:
        messages.info(
            request,
            f"The eligibility meeting is recorded once the team lead has approved the request; "
            f"this request is “{onboarding.get_status_display()}”.",
        )
        return redirect("onboarding:request", contract.pk)
    return _meeting_page(request, contract, onboarding, _form("meeting_form", onboarding))


def _meeting_done(meeting) -> str:
    if meeting.outcome == services.Outcome.NOT_ELIGIBLE:
        return ("Meeting recorded: not eligible. The request is back with the COR and POC "
                "to change; no service lead was asked.")
    if meeting.outcome == services.Outcome.PARTLY:
        return ("Meeting recorded. The leads of each eligible service have been asked to "
                "decide; the other services are closed as not eligible.")
    return "Meeting recorded. Each service's leads have been asked to decide."


# --- Service leads' decisions -----------------------------------------------------------


def _decision_id(item_pk: int) -> str:
    return f"decide{item_pk}_%s"


def _decisions_page(request, *, bound=None, status=200):
    user = request.user
    if permissions.SERVICE_LEAD not in permissions.team_roles(user):
        raise PermissionDenied("Only service leads decide on services.")
    led = permissions.led_service_ids(user)
    pending = list(
        ContractService.objects.filter(
            status=ContractService.Status.REQUESTED, service_id__in=led,
            contract__onboarding_request__status=Status.SERVICE_REVIEW,
        )
        .select_related("service", "contract", "contract__organization",
                        "contract__onboarding_request")
        .order_by("contract__name", "service__order")
    )
    latest = {}  # each request's latest meeting: the one that sent these services here
    for meeting in EligibilityMeeting.objects.filter(
        request__in={item.contract.onboarding_request.pk for item in pending}
    ):
        latest.setdefault(meeting.request_id, meeting)
    for item in pending:
        item.meeting = latest.get(item.contract.onboarding_request.pk)
    # Oldest meeting first: those requests have waited longest (stable: name, service).
    pending.sort(key=lambda item: item.meeting.held_on if item.meeting else datetime.date.max)
    bound_pk, bound_form = bound or (None, None)
    for item in pending:
        item.form = bound_form if item.pk == bound_pk else DecisionForm(
            auto_id=_decision_id(item.pk)
        )
    recent = (
        ContractService.objects.filter(decided_by=user)
        .select_related("service", "contract")
        .order_by("-decided_at")[:20]
    )
    return render(request, "onboarding/review/decisions.html", {
        "pending": pending, "recent": recent, "error_form": bound_form,
    }, status=status)


def decisions(request):
    return _decisions_page(request)


@require_POST
def decide(request, item_pk):
    item = get_object_or_404(ContractService.objects.select_related("service", "contract"),
                             pk=item_pk)
    permissions.contract_for(request.user, item.contract_id, Action.DECIDE_SERVICE)
    if item.service_id not in permissions.led_service_ids(request.user):
        raise PermissionDenied(f"Only a service lead for {item.service} can decide on it.")
    form = DecisionForm(request.POST, auto_id=_decision_id(item.pk))
    if not form.is_valid():
        return _decisions_page(request, bound=(item.pk, form), status=400)
    approve = form.cleaned_data["decision"] == "approve"
    with refused_as_message(request) as refusal:
        item = services.decide_service(request.user, item, approve=approve,
                                       reason=form.cleaned_data["reason"])
    if not refusal:
        messages.success(
            request, f"{item.service} {item.get_status_display().lower()} for "
            f"{item.contract.name}. The onboarding team and the COR have been told.",
        )
    return redirect("onboarding:decisions")
