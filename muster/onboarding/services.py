"""Every onboarding action: one function each, taking the actor, in one transaction, with
its guard (who may, from which status), audit record, timeline evidence and emails."""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django_fsm import can_proceed

from muster import clock, validators
from muster.accounts import permissions
from muster.accounts.models import ContractRole, TeamRole
from muster.accounts.permissions import Action
from muster.audit import services as audit
from muster.contracts import services as contracts
from muster.contracts.models import Contract, ContractService, Stage
from muster.errors import DomainError, NotAllowed
from muster.notifications import services as mail
from muster.timeline import services as timeline
from muster.timeline.models import ContractStep, Process
from muster.timeline.services import complete_step

from .models import (
    EligibilityMeeting,
    OnboardingRequest,
    Question,
    Status,
    StatusChange,
)


class OnboardingError(DomainError):
    """An onboarding action that is not allowed now; the message tells the person why."""


class StaleRequest(OnboardingError):
    """Someone else changed the request since the person loaded it."""


def require(actor, action: Action, contract: Contract) -> None:
    if not permissions.can(actor, action, contract):
        raise NotAllowed("Your role on this contract does not allow that.")


def complete_evidence(actor, contract: Contract, key: str, note: str) -> None:
    """Complete the contract's timeline step `key` with its evidence, if still open."""
    step = contract.steps.filter(key=key, completed_at__isnull=True).first()
    if step is not None:
        complete_step(actor, step, note)


def role_holders(contract: Contract, *roles: str) -> list:
    return [r.user for r in contract.roles.filter(role__in=roles).select_related("user")]


def team_addresses() -> list[str]:
    return permissions.emails_of_team_role(TeamRole.Role.ONBOARDING_TEAM)


# --- Notices -------------------------------------------------------------------------


@transaction.atomic
def notify_solicitation(
    actor, *, name: str, contract_number: str, estimated_award_date: datetime.date,
    requirements_summary: str, cor=None,
) -> Contract:
    """The COR tells the team a solicitation is out: the contract starts its timeline."""
    if not permissions.may_notify_solicitation(actor):
        raise NotAllowed("Only a COR or the onboarding team can notify a solicitation.")
    cor = cor or actor
    contract = contracts.create_contract(
        actor, name=name, contract_number=contract_number,
        estimated_award_date=estimated_award_date, requirements_summary=requirements_summary,
    )
    contracts.assign_role(actor, contract, cor, ContractRole.Role.COR)
    complete_evidence(actor, contract, "notify-solicitation", "Solicitation notice filed.")
    if requirements_summary.strip():
        complete_evidence(
            actor, contract, "identify-requirements", "High-level requirements recorded."
        )
    mail.queue(
        "solicitation_notice", to=team_addresses(), cc=[cor], contract=contract,
        key=f"solicitation:{contract.pk}", context={"actor": actor},
    )
    return contract


@transaction.atomic
def notify_award(actor, contract: Contract, *, award_date: datetime.date) -> Contract:
    require(actor, Action.NOTIFY_AWARD, contract)
    if contract.stage != Stage.SOLICITATION:
        raise OnboardingError("The award was already recorded for this contract.")
    contract = contracts.update_contract(actor, contract, award_date=award_date)
    contract = contracts.change_stage(actor, contract, Contract.award)
    complete_evidence(actor, contract, "notify-award", "Award notice filed.")
    OnboardingRequest.objects.get_or_create(contract=contract, defaults={"created_by": actor})
    mail.queue(
        "award_notice", to=team_addresses(), cc=role_holders(contract, "cor"),
        contract=contract, key=f"award:{contract.pk}", context={"actor": actor},
    )
    return contract


# --- The request's transitions ----------------------------------------------------------


def _locked(request: OnboardingRequest, version: int | None) -> OnboardingRequest:
    locked = OnboardingRequest.objects.select_for_update().select_related("contract").get(
        pk=request.pk
    )
    if version is not None and locked.version != version:
        raise StaleRequest(
            "Someone else changed this request while you had it open. Your change was not "
            "saved: look at the request as it is now and try again."
        )
    return locked


def _check(request: OnboardingRequest, name: str) -> None:
    """Refuse a transition the request's status does not allow, before anything changes."""
    if not can_proceed(getattr(request, name)):
        raise OnboardingError(
            f"A request that is “{request.get_status_display()}” cannot be "
            f"{TRANSITION_WORDS[name]}. Nothing was changed."
        )


def _transition(actor, request: OnboardingRequest, name: str, summary: str, *args,
                **after) -> None:
    _check(request, name)
    before = request.status
    getattr(request, name)(*args)
    request.version += 1
    request.save()
    audit.record(
        actor, f"onboarding.{name}", request, summary, contract=request.contract,
        before={"status": before}, after={"status": request.status, **after},
    )


TRANSITION_WORDS = {
    "submit": "submitted",
    "ask_question": "sent a question",
    "answer_question": "answered",
    "mark_reviewed": "marked reviewed",
    "approve_as_lead": "approved by the team lead",
    "hold_meeting": "given an eligibility meeting",
    "return_not_eligible": "given an eligibility meeting",
    "finish_service_review": "closed for service decisions",
    "complete": "completed",
    "send_back": "sent back to the onboarding team (only a request waiting for the team "
                 "lead can be)",
    "reject": "rejected (only a request waiting for the team lead can be)",
    "withdraw": "withdrawn (the COR withdraws a request before the team lead approves it)",
    "cancel": "cancelled (the team cancels a request before the welcome package is sent)",
    "reopen": "reopened (only a withdrawn or cancelled request can be)",
}


def _requesters(contract: Contract) -> list:
    return role_holders(contract, ContractRole.Role.COR, ContractRole.Role.POC)


@transaction.atomic
def submit(actor, request: OnboardingRequest, version: int | None = None):
    from .intake import problems, submit_draft_duas

    request = _locked(request, version)
    contract = request.contract
    require(actor, Action.SUBMIT_INTAKE, contract)
    _check(request, "submit")
    closed = permissions.intake_closed_reason(contract, request)
    if closed:
        raise OnboardingError(closed)
    missing = problems(contract)
    if missing:
        raise OnboardingError(
            "The intake form is not complete: " + "; ".join(
                f"{screen}: {', '.join(items)}" for screen, items in missing.items()
            )
        )
    request.submitted_at, request.submitted_by = clock.now(), actor
    _transition(actor, request, "submit", "Submitted the intake form")
    submit_draft_duas(contract)
    if contract.stage == Stage.AWARDED:
        contracts.change_stage(actor, contract, Contract.start_onboarding)
    complete_evidence(actor, contract, "name-so-spoc", "SO and SPOC named in the intake form.")
    complete_evidence(
        actor, contract, "so-spoc-identified",
        "SO and SPOC HARP IDs and EUA check status given in the intake form.",
    )
    complete_evidence(actor, contract, "submit-intake", "Intake form submitted.")
    mail.queue(
        "intake_submitted", to=team_addresses(), cc=_requesters(contract), contract=contract,
        key=f"intake-submitted:{request.pk}:{request.version}", context={"actor": actor},
    )
    return request


@transaction.atomic
def ask_question(actor, request: OnboardingRequest, text: str, version: int | None = None):
    request = _locked(request, version)
    require(actor, Action.REVIEW_INTAKE, request.contract)
    _check(request, "ask_question")
    if not text.strip():
        raise OnboardingError("Write the question.")
    question = Question.objects.create(request=request, text=text.strip(), asked_by=actor,
                                       asked_at=clock.now())
    _transition(actor, request, "ask_question", f"Asked: {question.text[:200]}")
    mail.queue(
        "question_asked", to=_requesters(request.contract), contract=request.contract,
        key=f"question:{question.pk}", context={"question": question, "actor": actor},
    )
    return question


@transaction.atomic
def answer_question(actor, request: OnboardingRequest, answer: str, version: int | None = None):
    request = _locked(request, version)
    require(actor, Action.ANSWER_QUESTION, request.contract)
    question = request.questions.filter(answered_at__isnull=True).last()
    if question is None or request.status != Status.QUESTION:
        raise OnboardingError("There is no open question on this request. Nothing was changed.")
    if not answer.strip():
        raise OnboardingError("Write the answer.")
    question.answer, question.answered_by = answer.strip(), actor
    question.answered_at = clock.now()
    question.save()
    _transition(actor, request, "answer_question", f"Answered: {question.answer[:200]}")
    mail.queue(
        "question_answered", to=[question.asked_by.email, *team_addresses()],
        contract=request.contract, key=f"answer:{question.pk}",
        context={"question": question, "actor": actor},
    )
    return question


@transaction.atomic
def mark_reviewed(actor, request: OnboardingRequest, version: int | None = None):
    request = _locked(request, version)
    require(actor, Action.REVIEW_INTAKE, request.contract)
    _check(request, "mark_reviewed")
    request.reviewed_at, request.reviewed_by = clock.now(), actor
    _transition(actor, request, "mark_reviewed", "Reviewed: complete and clear")
    mail.queue(
        "lead_approval_requested",
        to=permissions.emails_of_team_role(TeamRole.Role.TEAM_LEAD),
        cc=_requesters(request.contract), contract=request.contract,
        key=f"reviewed:{request.pk}:{request.version}", context={"actor": actor},
    )
    return request


@transaction.atomic
def approve_as_lead(actor, request: OnboardingRequest, version: int | None = None):
    request = _locked(request, version)
    require(actor, Action.APPROVE_AS_LEAD, request.contract)
    _check(request, "approve_as_lead")
    request.lead_approved_at, request.lead_approved_by = clock.now(), actor
    _transition(actor, request, "approve_as_lead", "Approved by the team lead")
    mail.queue(
        "lead_approved", to=team_addresses(), cc=_requesters(request.contract),
        contract=request.contract, key=f"lead-approved:{request.pk}:{request.version}",
        context={"actor": actor},
    )
    return request


def undecided_services(contract: Contract):
    """The contract's requested services still waiting for a decision, in catalog order:
    what the eligibility meeting decides on."""
    return (contract.services.filter(status=ContractService.Status.REQUESTED)
            .select_related("service").order_by("service__order", "service__name"))


@dataclass
class MeetingRecord:
    held_on: datetime.date
    attendees: str
    outcome: str
    notes: str = ""
    # With the outcome "eligible for some services": the requested services (ContractService
    # pks) the contractor is eligible for. The others are closed as not eligible.
    eligible: tuple[int, ...] = ()


Outcome = EligibilityMeeting.Outcome


def _check_meeting(record: MeetingRecord, requested: list[ContractService]) -> set[int]:
    """The requested services that go to their leads; refuse an inconsistent record."""
    if not record.attendees.strip():
        raise OnboardingError("Say who attended the meeting.")
    if record.outcome not in Outcome.values:
        raise OnboardingError("Choose the meeting's outcome.")
    if record.outcome != Outcome.ELIGIBLE and not record.notes.strip():
        raise OnboardingError("Say in the notes why the contractor is not eligible: the COR "
                              "and POC read them.")
    requested_ids = {item.pk for item in requested}
    if record.outcome == Outcome.ELIGIBLE:
        return requested_ids
    if record.outcome == Outcome.NOT_ELIGIBLE:
        return set()
    eligible = set(record.eligible)
    if not eligible or not eligible <= requested_ids:
        raise OnboardingError("Choose the services the contractor is eligible for.")
    if eligible == requested_ids:
        raise OnboardingError("Every requested service was chosen as eligible: choose "
                              "“Eligible for the requested services” instead.")
    return eligible


@transaction.atomic
def record_meeting(actor, request: OnboardingRequest, record: MeetingRecord,
                   version: int | None = None) -> EligibilityMeeting:
    """The eligibility meeting. Eligible services go to their leads, one approval request
    each; services found not eligible are closed with the meeting's reason; when none is
    eligible, the request goes back to the COR and POC to change, and a later meeting is
    recorded after it is reviewed again."""
    request = _locked(request, version)
    contract = request.contract
    require(actor, Action.RECORD_MEETING, contract)
    _check(request, "hold_meeting")
    requested = list(undecided_services(contract))
    eligible = _check_meeting(record, requested)
    meeting = EligibilityMeeting.objects.create(
        request=request, held_on=record.held_on, attendees=record.attendees.strip(),
        outcome=record.outcome, notes=record.notes.strip(), recorded_by=actor,
        recorded_at=clock.now(),
    )
    summary = f"Eligibility meeting on {record.held_on:%Y-%m-%d}: {meeting.get_outcome_display()}"
    if not eligible:
        _return_not_eligible(actor, request, meeting, summary)
        return meeting
    _transition(actor, request, "hold_meeting", summary)
    closed = [_close_not_eligible(actor, item, meeting)
              for item in requested if item.pk not in eligible]
    complete_evidence(
        actor, contract, "eligibility-meeting",
        f"Meeting held {record.held_on:%Y-%m-%d}; approval requests sent to service leads.",
    )
    for item in requested:
        if item.pk in eligible:
            mail.queue(
                "service_approval_requested",
                to=permissions.emails_of_team_role(TeamRole.Role.SERVICE_LEAD, item.service),
                contract=contract, key=f"service-approval:{item.pk}",
                context={"item": item, "meeting": meeting},
            )
    mail.queue(
        "meeting_recorded", to=_requesters(contract), cc=team_addresses(), contract=contract,
        key=f"meeting-recorded:{meeting.pk}",
        context={"meeting": meeting, "closed": closed,
                 "sent": [item for item in requested if item.pk in eligible]},
    )
    return meeting


def _close_not_eligible(actor, item: ContractService,
                        meeting: EligibilityMeeting) -> ContractService:
    item.status = ContractService.Status.DENIED
    item.decided_at, item.decided_by = clock.now(), actor
    item.decision_reason = (f"Not eligible (eligibility meeting on {meeting.held_on:%B %-d, %Y}): "
                            f"{meeting.notes}")
    item.save()
    audit.record(
        actor, "onboarding.service_not_eligible", item,
        f"{item.service}: not eligible ({item.decision_reason})", contract=item.contract,
        before={"status": "requested"}, after={"status": item.status,
                                               "reason": item.decision_reason},
    )
    return item


def _return_not_eligible(actor, request: OnboardingRequest, meeting, summary: str) -> None:
    """Back to the COR and POC as an open question they answer after changing the form."""
    question = Question.objects.create(
        request=request, asked_by=actor, asked_at=clock.now(),
        text=(f"The eligibility meeting on {meeting.held_on:%B %-d, %Y} found the contractor "
              f"not eligible for the requested services: {meeting.notes}"),
    )
    _transition(actor, request, "return_not_eligible", summary)
    mail.queue(
        "not_eligible", to=_requesters(request.contract), cc=team_addresses(),
        contract=request.contract, key=f"not-eligible:{meeting.pk}",
        context={"meeting": meeting, "question": question, "actor": actor},
    )


@transaction.atomic
def decide_service(actor, item: ContractService, *, approve: bool, reason: str = ""):
    """A service lead approves or denies one requested service (a reason for a denial).
    The last decision closes the request's service review and tells the requesters."""
    item = ContractService.objects.select_related("service", "contract").get(pk=item.pk)
    contract = item.contract
    if item.service_id not in permissions.led_service_ids(actor):
        raise NotAllowed(f"Only a service lead for {item.service} can decide on it.")
    found = OnboardingRequest.objects.filter(contract=contract).first()
    if found is None:
        raise OnboardingError("This contract has no onboarding request to decide on.")
    # The request first, then the item: every action on a request locks in that order.
    request = _locked(found, None)
    item = ContractService.objects.select_for_update().select_related(
        "service", "contract"
    ).get(pk=item.pk)
    if request.status != Status.SERVICE_REVIEW:
        raise OnboardingError(
            "This request is not waiting for service decisions. Nothing was changed."
        )
    if item.status != ContractService.Status.REQUESTED:
        raise OnboardingError(f"{item.service} was already {item.get_status_display().lower()}.")
    if not approve and not reason.strip():
        raise OnboardingError("Give the reason for a denial: the COR and contractor see it.")
    item.status = ContractService.Status.APPROVED if approve else ContractService.Status.DENIED
    item.decided_at, item.decided_by, item.decision_reason = clock.now(), actor, reason.strip()
    item.save()
    audit.record(
        actor, "onboarding.service_decided", item,
        f"{item.service}: {item.get_status_display()}"
        + (f" ({item.decision_reason})" if item.decision_reason else ""),
        contract=contract, before={"status": "requested"},
        after={"status": item.status, "reason": item.decision_reason},
    )
    mail.queue(
        "service_decided", to=team_addresses(), cc=_requesters(contract), contract=contract,
        key=f"service-decided:{item.pk}", context={"item": item, "actor": actor},
    )
    if not contract.services.filter(status=ContractService.Status.REQUESTED).exists():
        _transition(actor, request, "finish_service_review", "Every service decided")
        mail.queue(
            "request_complete", to=_requesters(contract), cc=team_addresses(),
            contract=contract, key=f"request-complete:{request.pk}",
            context={"services": list(contract.services.select_related("service"))},
        )
    return item


# --- Withdrawn, cancelled, reopened; sent back or rejected by the team lead --------------


def checked_reason(reason: str, why: str) -> str:
    return validators.checked_reason(reason, why, OnboardingError)


def _record_change(actor, request: OnboardingRequest, name: str, kind: str, reason: str,
                   summary: str, *args) -> StatusChange:
    before = request.status
    _transition(actor, request, name, f"{summary}: {reason}", *args, reason=reason)
    return StatusChange.objects.create(request=request, kind=kind, from_status=before,
                                       to_status=request.status, reason=reason, by=actor)


def _involved(request: OnboardingRequest, was: str) -> tuple[list, list]:
    """Who hears that a request stopped or started again: the contract's parties, and the
    team, with the team lead once it was theirs and the service leads still deciding."""
    contract = request.contract
    to = role_holders(contract, ContractRole.Role.COR, ContractRole.Role.POC,
                      ContractRole.Role.SO, ContractRole.Role.SPOC)
    cc = team_addresses()
    if was not in (Status.DRAFT, Status.SUBMITTED, Status.QUESTION):
        cc += permissions.emails_of_team_role(TeamRole.Role.TEAM_LEAD)
    if was == Status.SERVICE_REVIEW:
        for item in undecided_services(contract):
            cc += permissions.emails_of_team_role(TeamRole.Role.SERVICE_LEAD, item.service)
    return to, cc


def _stop(actor, request: OnboardingRequest, name: str, kind: str, reason: str,
          summary: str) -> StatusChange:
    was = request.status
    change = _record_change(actor, request, name, kind, reason, summary)
    timeline.cancel_open_steps(actor, request.contract, Process.ONBOARDING,
                               f"the onboarding request was {change.get_kind_display().lower()}")
    to, cc = _involved(request, was)
    mail.queue(
        "request_stopped", to=to, cc=cc, contract=request.contract,
        key=f"request-stopped:{change.pk}", context={"change": change, "actor": actor},
    )
    return change


@transaction.atomic
def withdraw(actor, request: OnboardingRequest, reason: str, version: int | None = None):
    """The COR withdraws the request before the team lead's approval."""
    request = _locked(request, version)
    require(actor, Action.WITHDRAW_REQUEST, request.contract)
    _check(request, "withdraw")
    reason = checked_reason(reason, "the onboarding team and the contractor read it.")
    return _stop(actor, request, "withdraw", StatusChange.Kind.WITHDRAWN, reason,
                 "Withdrawn by the COR")


@transaction.atomic
def cancel(actor, request: OnboardingRequest, reason: str, version: int | None = None):
    """The onboarding team cancels the request at any point before the welcome package."""
    request = _locked(request, version)
    require(actor, Action.CANCEL_REQUEST, request.contract)
    _check(request, "cancel")
    reason = checked_reason(reason, "the COR and the contractor read it.")
    return _stop(actor, request, "cancel", StatusChange.Kind.CANCELLED, reason,
                 "Cancelled by the onboarding team")


@transaction.atomic
def reopen(actor, request: OnboardingRequest, reason: str, version: int | None = None):
    """The team reopens a withdrawn or cancelled request: it goes back to where it was, its
    cancelled timeline steps open again, and everyone involved is told."""
    request = _locked(request, version)
    require(actor, Action.REOPEN_REQUEST, request.contract)
    _check(request, "reopen")
    reason = checked_reason(reason, "the COR and the contractor read it.")
    stopped = request.status_changes.filter(
        kind__in=[StatusChange.Kind.WITHDRAWN, StatusChange.Kind.CANCELLED]).first()
    back_to = stopped.from_status if stopped else (
        Status.SUBMITTED if request.submitted_at else Status.DRAFT)
    change = _record_change(actor, request, "reopen", StatusChange.Kind.REOPENED, reason,
                            "Reopened by the onboarding team", back_to)
    timeline.restore_cancelled_steps(actor, request.contract, Process.ONBOARDING,
                                     "the onboarding request was reopened")
    to, cc = _involved(request, back_to)
    mail.queue(
        "request_reopened", to=to, cc=cc, contract=request.contract,
        key=f"request-reopened:{change.pk}", context={"change": change, "actor": actor},
    )
    return change


@transaction.atomic
def send_back(actor, request: OnboardingRequest, reason: str, version: int | None = None):
    """The team lead returns a reviewed request to the team's review, saying why."""
    request = _locked(request, version)
    require(actor, Action.APPROVE_AS_LEAD, request.contract)
    _check(request, "send_back")
    reason = checked_reason(reason, "the onboarding team reads what to look at again.")
    request.reviewed_at, request.reviewed_by = None, None  # to be reviewed again
    change = _record_change(actor, request, "send_back", StatusChange.Kind.SENT_BACK, reason,
                            "Sent back to the onboarding team by the team lead")
    mail.queue(
        "lead_sent_back", to=team_addresses(), cc=_requesters(request.contract),
        contract=request.contract, key=f"lead-sent-back:{change.pk}",
        context={"change": change, "actor": actor},
    )
    return change


@transaction.atomic
def reject(actor, request: OnboardingRequest, reason: str, version: int | None = None):
    """The team lead rejects a reviewed request. Final: no later step proceeds, and the
    request's open timeline steps show "Cancelled"."""
    request = _locked(request, version)
    require(actor, Action.APPROVE_AS_LEAD, request.contract)
    _check(request, "reject")
    reason = checked_reason(reason, "the COR and the contractor read it.")
    change = _record_change(actor, request, "reject", StatusChange.Kind.REJECTED, reason,
                            "Rejected by the team lead")
    timeline.cancel_open_steps(actor, request.contract, Process.ONBOARDING,
                               "the team lead rejected the onboarding request")
    mail.queue(
        "lead_rejected", to=_requesters(request.contract), cc=team_addresses(),
        contract=request.contract, key=f"lead-rejected:{change.pk}",
        context={"change": change, "actor": actor},
    )
    return change


def open_steps(contract: Contract):
    return ContractStep.objects.filter(contract=contract, completed_at__isnull=True)
