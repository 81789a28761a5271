"""Every onboarding action on the request: one function each, taking the actor, in one
transaction, with its guard (who may, from which status), audit record, timeline evidence
and emails. The lock, version check, role check and transition are `muster.workflow`'s;
what the intake form holds and misses is `onboarding.intake`'s; reads are in `queries`."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from muster import clock, validators, workflow
from muster.accounts import permissions
from muster.accounts.models import ContractRole, TeamRole
from muster.accounts.permissions import Action
from muster.contracts import services as contracts
from muster.contracts.models import Contract, ContractService, Stage
from muster.conversation import services as conversation
from muster.conversation.models import Kind as EntryKind
from muster.errors import NotAllowed
from muster.notifications import services as mail
from muster.timeline import services as timeline
from muster.timeline.models import Process

from . import intake
from .errors import OnboardingError, StaleRequest, stale
from .evidence import complete_evidence
from .models import (
    EligibilityMeeting,
    OnboardingRequest,
    Question,
    Status,
    StatusChange,
)
from .queries import undecided_services

__all__ = ["NotAllowed", "OnboardingError", "StaleRequest", "complete_evidence"]

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
        "solicitation_notice", to=workflow.team_emails(), cc=[cor], contract=contract,
        key=f"solicitation:{contract.pk}", context={"actor": actor},
    )
    return contract


@transaction.atomic
def notify_award(actor, contract: Contract, *, award_date: datetime.date) -> Contract:
    workflow.require(actor, Action.NOTIFY_AWARD, contract)
    if contract.stage != Stage.SOLICITATION:
        raise OnboardingError("The award was already recorded for this contract.")
    contract = contracts.update_contract(actor, contract, award_date=award_date)
    contract = contracts.change_stage(actor, contract, Contract.award)
    complete_evidence(actor, contract, "notify-award", "Award notice filed.")
    OnboardingRequest.objects.get_or_create(contract=contract, defaults={"created_by": actor})
    mail.queue(
        "award_notice", to=workflow.team_emails(),
        cc=workflow.people_with_roles(contract, ContractRole.Role.COR),
        contract=contract, key=f"award:{contract.pk}", context={"actor": actor},
    )
    return contract


# --- The request's transitions ----------------------------------------------------------


def _cannot(request: OnboardingRequest, what: str) -> OnboardingError:
    """The refusal of a transition the request's status does not allow: `what` the request
    cannot be ("submitted", "sent a question", ...)."""
    return OnboardingError(f"A request that is “{request.get_status_display()}” cannot be "
                           f"{what}. Nothing was changed.")


def _move(actor, request: OnboardingRequest, move: Callable[..., Any], summary: str,
          refused: OnboardingError, *args, **after) -> None:
    """Run the request's transition `move` (a bound method), audited as
    "onboarding.<transition>" with the status before and after (and `after`)."""
    workflow.transition(actor, request, move, summary, event=f"onboarding.{move.__name__}",
                        contract=request.contract, refused=refused, args=args, after=after)


def _requesters(contract: Contract) -> list:
    """The COR and the contractor's POC: who filled in the request and hears back."""
    return workflow.people_with_roles(contract, ContractRole.Role.COR, ContractRole.Role.POC)


@transaction.atomic
def submit(actor, request: OnboardingRequest, version: int | None = None):
    request = workflow.locked(request, version, related=["contract"], stale=stale())
    contract = request.contract
    workflow.require(actor, Action.SUBMIT_INTAKE, contract)
    refused = _cannot(request, "submitted")
    workflow.check(request.submit, refused)
    closed = permissions.intake_closed_reason(contract, request)
    if closed:
        raise OnboardingError(closed)
    missing = intake.problems(contract)
    if missing:
        raise OnboardingError(
            "The intake form is not complete: " + "; ".join(
                f"{screen}: {', '.join(items)}" for screen, items in missing.items()
            )
        )
    request.submitted_at, request.submitted_by = clock.now(), actor
    _move(actor, request, request.submit, "Submitted the intake form", refused)
    intake.submit_draft_duas(contract)
    if contract.stage == Stage.AWARDED:
        contracts.change_stage(actor, contract, Contract.start_onboarding)
    complete_evidence(actor, contract, "name-so-spoc", "SO and SPOC named in the intake form.")
    complete_evidence(
        actor, contract, "so-spoc-identified",
        "SO and SPOC HARP IDs and EUA check status given in the intake form.",
    )
    complete_evidence(actor, contract, "submit-intake", "Intake form submitted.")
    mail.queue(
        "intake_submitted", to=workflow.team_emails(), cc=_requesters(contract), contract=contract,
        key=f"intake-submitted:{request.pk}:{request.version}", context={"actor": actor},
    )
    return request


def _in_thread(actor, request: OnboardingRequest, text: str, kind: str) -> None:
    """A question or its answer is an entry of the request's thread too (shared with the
    COR and POC, who are already emailed by the question's own email)."""
    conversation.post_entry(actor, request.contract, body=text[:conversation.BODY_MAX],
                            about=request, kind=kind)


@transaction.atomic
def ask_question(actor, request: OnboardingRequest, text: str, version: int | None = None):
    request = workflow.locked(request, version, related=["contract"], stale=stale())
    workflow.require(actor, Action.REVIEW_INTAKE, request.contract)
    refused = _cannot(request, "sent a question")
    workflow.check(request.ask_question, refused)
    if not text.strip():
        raise OnboardingError("Write the question.")
    question = Question.objects.create(request=request, text=text.strip(), asked_by=actor,
                                       asked_at=clock.now())
    _in_thread(actor, request, question.text, EntryKind.QUESTION)
    _move(actor, request, request.ask_question, f"Asked: {question.text[:200]}", refused)
    mail.queue(
        "question_asked", to=_requesters(request.contract), contract=request.contract,
        key=f"question:{question.pk}", context={"question": question, "actor": actor},
    )
    return question


@transaction.atomic
def answer_question(actor, request: OnboardingRequest, answer: str, version: int | None = None):
    request = workflow.locked(request, version, related=["contract"], stale=stale())
    workflow.require(actor, Action.ANSWER_QUESTION, request.contract)
    question = request.questions.filter(answered_at__isnull=True).last()
    if question is None or request.status != Status.QUESTION:
        raise OnboardingError("There is no open question on this request. Nothing was changed.")
    if not answer.strip():
        raise OnboardingError("Write the answer.")
    question.answer, question.answered_by = answer.strip(), actor
    question.answered_at = clock.now()
    question.save()
    _in_thread(actor, request, question.answer, EntryKind.ANSWER)
    _move(actor, request, request.answer_question, f"Answered: {question.answer[:200]}",
          _cannot(request, "answered"))
    mail.queue(
        "question_answered", to=[question.asked_by.email, *workflow.team_emails()],
        contract=request.contract, key=f"answer:{question.pk}",
        context={"question": question, "actor": actor},
    )
    return question


@transaction.atomic
def mark_reviewed(actor, request: OnboardingRequest, version: int | None = None):
    request = workflow.locked(request, version, related=["contract"], stale=stale())
    workflow.require(actor, Action.REVIEW_INTAKE, request.contract)
    refused = _cannot(request, "marked reviewed")
    workflow.check(request.mark_reviewed, refused)
    request.reviewed_at, request.reviewed_by = clock.now(), actor
    _move(actor, request, request.mark_reviewed, "Reviewed: complete and clear", refused)
    mail.queue(
        "lead_approval_requested",
        to=workflow.team_emails(TeamRole.Role.TEAM_LEAD),
        cc=_requesters(request.contract), contract=request.contract,
        key=f"reviewed:{request.pk}:{request.version}", context={"actor": actor},
    )
    return request


@transaction.atomic
def approve_as_lead(actor, request: OnboardingRequest, version: int | None = None):
    request = workflow.locked(request, version, related=["contract"], stale=stale())
    workflow.require(actor, Action.APPROVE_AS_LEAD, request.contract)
    refused = _cannot(request, "approved by the team lead")
    workflow.check(request.approve_as_lead, refused)
    request.lead_approved_at, request.lead_approved_by = clock.now(), actor
    _move(actor, request, request.approve_as_lead, "Approved by the team lead", refused)
    mail.queue(
        "lead_approved", to=workflow.team_emails(), cc=_requesters(request.contract),
        contract=request.contract, key=f"lead-approved:{request.pk}:{request.version}",
        context={"actor": actor},
    )
    return request


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
    request = workflow.locked(request, version, related=["contract"], stale=stale())
    contract = request.contract
    workflow.require(actor, Action.RECORD_MEETING, contract)
    refused = _cannot(request, "given an eligibility meeting")
    workflow.check(request.hold_meeting, refused)
    requested = list(undecided_services(contract))
    eligible = _check_meeting(record, requested)
    meeting = EligibilityMeeting.objects.create(
        request=request, held_on=record.held_on, attendees=record.attendees.strip(),
        outcome=record.outcome, notes=record.notes.strip(), recorded_by=actor,
        recorded_at=clock.now(),
    )
    summary = f"Eligibility meeting on {record.held_on:%Y-%m-%d}: {meeting.get_outcome_display()}"
    if not eligible:
        _return_not_eligible(actor, request, meeting, summary, refused)
        return meeting
    _move(actor, request, request.hold_meeting, summary, refused)
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
                to=workflow.team_emails(TeamRole.Role.SERVICE_LEAD, item.service),
                contract=contract, key=f"service-approval:{item.pk}",
                context={"item": item, "meeting": meeting},
            )
    mail.queue(
        "meeting_recorded", to=_requesters(contract), cc=workflow.team_emails(), contract=contract,
        key=f"meeting-recorded:{meeting.pk}",
        context={"meeting": meeting, "closed": closed,
                 "sent": [item for item in requested if item.pk in eligible]},
    )
    return meeting


def _close_not_eligible(actor, item: ContractService,
                        meeting: EligibilityMeeting) -> ContractService:
    item.decided_at, item.decided_by = clock.now(), actor
    item.decision_reason = (f"Not eligible (eligibility meeting on {meeting.held_on:%B %-d, %Y}): "
                            f"{meeting.notes}")
    workflow.transition(
        actor, item, item.deny, f"{item.service}: not eligible ({item.decision_reason})",
        event="onboarding.service_not_eligible", contract=item.contract,
        refused=_already_decided(item), after={"reason": item.decision_reason},
    )
    return item


def _already_decided(item: ContractService) -> OnboardingError:
    return OnboardingError(f"{item.service} was already {item.get_status_display().lower()}.")


def _return_not_eligible(actor, request: OnboardingRequest, meeting, summary: str,
                         refused: OnboardingError) -> None:
    """Back to the COR and POC as an open question they answer after changing the form."""
    question = Question.objects.create(
        request=request, asked_by=actor, asked_at=clock.now(),
        text=(f"The eligibility meeting on {meeting.held_on:%B %-d, %Y} found the contractor "
              f"not eligible for the requested services: {meeting.notes}"),
    )
    _in_thread(actor, request, question.text, EntryKind.QUESTION)
    _move(actor, request, request.return_not_eligible, summary, refused)
    mail.queue(
        "not_eligible", to=_requesters(request.contract), cc=workflow.team_emails(),
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
    request = workflow.locked(found, related=["contract"])
    item = ContractService.objects.select_for_update().select_related(
        "service", "contract"
    ).get(pk=item.pk)
    if request.status != Status.SERVICE_REVIEW:
        raise OnboardingError(
            "This request is not waiting for service decisions. Nothing was changed."
        )
    decision = item.approve if approve else item.deny
    refused = _already_decided(item)
    workflow.check(decision, refused)
    if not approve and not reason.strip():
        raise OnboardingError("Give the reason for a denial: the COR and contractor see it.")
    item.decided_at, item.decided_by, item.decision_reason = clock.now(), actor, reason.strip()
    label = (ContractService.Status.APPROVED if approve else ContractService.Status.DENIED).label
    workflow.transition(
        actor, item, decision,
        f"{item.service}: {label}" + (f" ({item.decision_reason})" if item.decision_reason else ""),
        event="onboarding.service_decided", contract=contract, refused=refused,
        after={"reason": item.decision_reason},
    )
    mail.queue(
        "service_decided", to=workflow.team_emails(), cc=_requesters(contract), contract=contract,
        key=f"service-decided:{item.pk}", context={"item": item, "actor": actor},
    )
    if not contract.services.filter(status=ContractService.Status.REQUESTED).exists():
        _move(actor, request, request.finish_service_review, "Every service decided",
              _cannot(request, "closed for service decisions"))
        mail.queue(
            "request_complete", to=_requesters(contract), cc=workflow.team_emails(),
            contract=contract, key=f"request-complete:{request.pk}",
            context={"services": list(contract.services.select_related("service"))},
        )
    return item


# --- Withdrawn, cancelled, reopened; sent back or rejected by the team lead --------------


def checked_reason(reason: str, why: str) -> str:
    return validators.checked_reason(reason, why, OnboardingError)


def _record_change(actor, request: OnboardingRequest, move: Callable[..., Any],
                   refused: OnboardingError, kind: str, reason: str, summary: str,
                   *args) -> StatusChange:
    before = request.status
    _move(actor, request, move, f"{summary}: {reason}", refused, *args, reason=reason)
    return StatusChange.objects.create(request=request, kind=kind, from_status=before,
                                       to_status=request.status, reason=reason, by=actor)


def _involved(request: OnboardingRequest, was: str) -> tuple[list, list]:
    """Who hears that a request stopped or started again: the contract's parties, and the
    team, with the team lead once it was theirs and the service leads still deciding."""
    contract = request.contract
    to = workflow.people_with_roles(contract, ContractRole.Role.COR, ContractRole.Role.POC,
                      ContractRole.Role.SO, ContractRole.Role.SPOC)
    cc = workflow.team_emails()
    if was not in (Status.DRAFT, Status.SUBMITTED, Status.QUESTION):
        cc += workflow.team_emails(TeamRole.Role.TEAM_LEAD)
    if was == Status.SERVICE_REVIEW:
        for item in undecided_services(contract):
            cc += workflow.team_emails(TeamRole.Role.SERVICE_LEAD, item.service)
    return to, cc


def _stop(actor, request: OnboardingRequest, move: Callable[..., Any],
          refused: OnboardingError, kind: str, reason: str, summary: str) -> StatusChange:
    was = request.status
    change = _record_change(actor, request, move, refused, kind, reason, summary)
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
    request = workflow.locked(request, version, related=["contract"], stale=stale())
    workflow.require(actor, Action.WITHDRAW_REQUEST, request.contract)
    refused = _cannot(request, "withdrawn (the COR withdraws a request before the team "
                               "lead approves it)")
    workflow.check(request.withdraw, refused)
    reason = checked_reason(reason, "the onboarding team and the contractor read it.")
    return _stop(actor, request, request.withdraw, refused, StatusChange.Kind.WITHDRAWN,
                 reason, "Withdrawn by the COR")


@transaction.atomic
def cancel(actor, request: OnboardingRequest, reason: str, version: int | None = None):
    """The onboarding team cancels the request at any point before the welcome package."""
    request = workflow.locked(request, version, related=["contract"], stale=stale())
    workflow.require(actor, Action.CANCEL_REQUEST, request.contract)
    refused = _cannot(request, "cancelled (the team cancels a request before the welcome "
                               "package is sent)")
    workflow.check(request.cancel, refused)
    reason = checked_reason(reason, "the COR and the contractor read it.")
    return _stop(actor, request, request.cancel, refused, StatusChange.Kind.CANCELLED,
                 reason, "Cancelled by the onboarding team")


@transaction.atomic
def reopen(actor, request: OnboardingRequest, reason: str, version: int | None = None):
    """The team reopens a withdrawn or cancelled request: it goes back to where it was, its
    cancelled timeline steps open again, and everyone involved is told."""
    request = workflow.locked(request, version, related=["contract"], stale=stale())
    workflow.require(actor, Action.REOPEN_REQUEST, request.contract)
    refused = _cannot(request, "reopened (only a withdrawn or cancelled request can be)")
    workflow.check(request.reopen, refused)
    reason = checked_reason(reason, "the COR and the contractor read it.")
    stopped = request.status_changes.filter(
        kind__in=[StatusChange.Kind.WITHDRAWN, StatusChange.Kind.CANCELLED]).first()
    back_to = stopped.from_status if stopped else (
        Status.SUBMITTED if request.submitted_at else Status.DRAFT)
    change = _record_change(actor, request, request.reopen, refused,
                            StatusChange.Kind.REOPENED, reason,
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
    request = workflow.locked(request, version, related=["contract"], stale=stale())
    workflow.require(actor, Action.APPROVE_AS_LEAD, request.contract)
    refused = _cannot(request, "sent back to the onboarding team (only a request waiting "
                               "for the team lead can be)")
    workflow.check(request.send_back, refused)
    reason = checked_reason(reason, "the onboarding team reads what to look at again.")
    request.reviewed_at, request.reviewed_by = None, None  # to be reviewed again
    change = _record_change(actor, request, request.send_back, refused,
                            StatusChange.Kind.SENT_BACK, reason,
                            "Sent back to the onboarding team by the team lead")
    mail.queue(
        "lead_sent_back", to=workflow.team_emails(), cc=_requesters(request.contract),
        contract=request.contract, key=f"lead-sent-back:{change.pk}",
        context={"change": change, "actor": actor},
    )
    return change


@transaction.atomic
def reject(actor, request: OnboardingRequest, reason: str, version: int | None = None):
    """The team lead rejects a reviewed request. Final: no later step proceeds, and the
    request's open timeline steps show "Cancelled"."""
    request = workflow.locked(request, version, related=["contract"], stale=stale())
    workflow.require(actor, Action.APPROVE_AS_LEAD, request.contract)
    refused = _cannot(request, "rejected (only a request waiting for the team lead can be)")
    workflow.check(request.reject, refused)
    reason = checked_reason(reason, "the COR and the contractor read it.")
    change = _record_change(actor, request, request.reject, refused,
                            StatusChange.Kind.REJECTED, reason, "Rejected by the team lead")
    timeline.cancel_open_steps(actor, request.contract, Process.ONBOARDING,
                               "the team lead rejected the onboarding request")
    mail.queue(
        "lead_rejected", to=_requesters(request.contract), cc=workflow.team_emails(),
        contract=request.contract, key=f"lead-rejected:{change.pk}",
        context={"change": change, "actor": actor},
    )
    return change
