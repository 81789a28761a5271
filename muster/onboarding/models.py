"""The onboarding request (intake) and what happens to it: questions, the eligibility
meeting, service decisions, welcome packages, touch-point calls and the survey."""

import secrets
from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django_fsm import RETURN_VALUE, FSMField, FSMModelMixin, Transition, transition

from muster import clock
from muster.accounts.permissions import Action, on_contract
from muster.timeline.copies import DueCopy
from muster.validators import LONG_TEXT_MAX, NAME_MAX, SHORT_TEXT_MAX

USER = settings.AUTH_USER_MODEL


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Waiting for review"
    QUESTION = "question", "Question for the COR"
    REVIEWED = "reviewed", "Waiting for team-lead approval"
    LEAD_APPROVED = "lead_approved", "Waiting for the eligibility meeting"
    SERVICE_REVIEW = "service_review", "Waiting for service leads"
    APPROVED = "approved", "Services decided: welcome package to send"
    COMPLETE = "complete", "Complete"
    # Stopped. The COR withdraws before the team lead's approval; the team cancels before
    # the welcome package; both can be reopened by the team. A lead's rejection is final.
    WITHDRAWN = "withdrawn", "Withdrawn by the COR"
    CANCELLED = "cancelled", "Cancelled by the onboarding team"
    REJECTED = "rejected", "Rejected by the team lead"


# Before the team lead's approval: the COR may still withdraw the request.
WITHDRAWABLE = (Status.DRAFT, Status.SUBMITTED, Status.QUESTION, Status.REVIEWED)
# Before the welcome package: the team may cancel it.
CANCELLABLE = (*WITHDRAWABLE, Status.LEAD_APPROVED, Status.SERVICE_REVIEW, Status.APPROVED)
REOPENABLE = (Status.WITHDRAWN, Status.CANCELLED)
STOPPED = (*REOPENABLE, Status.REJECTED)
# Every reason a person gives for a change of status (withdraw, cancel, reopen, send back,
# reject) fits in this many characters.
REASON_MAX_LENGTH = SHORT_TEXT_MAX  # a reason is a short text (muster/validators.py)
# The open statuses (in the team's work and the review queue), and the timeline step each
# waits on: the eligibility meeting until it is held, then "complete onboarding".
MEETING_STEP, FINISH_STEP = "eligibility-meeting", "complete-onboarding"
BEFORE_MEETING = (Status.SUBMITTED, Status.QUESTION, Status.REVIEWED, Status.LEAD_APPROVED)
AFTER_MEETING = (Status.SERVICE_REVIEW, Status.APPROVED)
OPEN = (*BEFORE_MEETING, *AFTER_MEETING)
DUE = DueCopy({**dict.fromkeys(BEFORE_MEETING, MEETING_STEP),
               **dict.fromkeys(AFTER_MEETING, FINISH_STEP)})


class OnboardingRequest(FSMModelMixin, models.Model):
    """A contract's intake form and its way through review and approvals.

    The intake's answers live where they belong (the contract, its organization, parties,
    services and DUA); this row tracks who did what and where the request stands. The
    status changes only through the transitions below, called from services; each names
    who may take it (`permission`), so a page offers the person the transitions
    `get_available_user_status_transitions(user)` gives. `FSMModelMixin` lets
    `refresh_from_db` reload the protected status.
    """

    contract = models.OneToOneField(
        "contracts.Contract", on_delete=models.CASCADE, related_name="onboarding_request"
    )
    status = FSMField(max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True,
                      protected=True)
    version = models.PositiveIntegerField(
        default=1, help_text="Bumped by every transition: a stale form is refused."
    )
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    updated_at = clock.ChangedAt()
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lead_approved_at = models.DateTimeField(null=True, blank=True)
    lead_approved_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    # A copy of the due date of the timeline step an open request waits on (DUE; None when
    # it is not open), kept by save() and by the timeline's services (timeline/copies.py,
    # checked by manage.py check_work_dues): lists sort by it with an index.
    due = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-submitted_at", "-created_at"]
        indexes = [
            # My work: the open requests by due date (no date last), then by when opened.
            models.Index(models.F("due"), Coalesce("submitted_at", "created_at"),
                         models.F("id"), condition=models.Q(status__in=OPEN),
                         name="open_request_by_due"),
            # The review queue: each status's oldest submitted first.
            models.Index(fields=["status", "submitted_at", "id"], name="request_queue_order"),
        ]

    def __str__(self) -> str:
        return f"Onboarding request for {self.contract}"

    def save(self, *args, **kwargs):
        DUE.before_save(self, kwargs)
        super().save(*args, **kwargs)

    @property
    def editable_by_contractor_side(self) -> bool:
        return self.status in (Status.DRAFT, Status.QUESTION)

    if TYPE_CHECKING:  # added by FSMField when the class is made; declared for mypy
        def get_available_user_status_transitions(self, user) -> Iterator[Transition]: ...

    def transitions_for(self, user) -> set[str]:
        """The names of the transitions this person may take now: the status allows them
        and their roles on the contract do (each transition's `permission`)."""
        return {move.name for move in self.get_available_user_status_transitions(user)}

    # Transitions: the only way the status changes.
    @transition(field=status, source=Status.DRAFT, target=Status.SUBMITTED,
                permission=on_contract(Action.SUBMIT_INTAKE))
    def submit(self):
        pass

    @transition(field=status, source=Status.SUBMITTED, target=Status.QUESTION,
                permission=on_contract(Action.REVIEW_INTAKE))
    def ask_question(self):
        pass

    @transition(field=status, source=Status.QUESTION, target=Status.SUBMITTED,
                permission=on_contract(Action.ANSWER_QUESTION))
    def answer_question(self):
        pass

    @transition(field=status, source=Status.SUBMITTED, target=Status.REVIEWED,
                permission=on_contract(Action.REVIEW_INTAKE))
    def mark_reviewed(self):
        pass

    @transition(field=status, source=Status.REVIEWED, target=Status.LEAD_APPROVED,
                permission=on_contract(Action.APPROVE_AS_LEAD))
    def approve_as_lead(self):
        pass

    @transition(field=status, source=Status.LEAD_APPROVED, target=Status.SERVICE_REVIEW,
                permission=on_contract(Action.RECORD_MEETING))
    def hold_meeting(self):
        pass

    # The meeting found the contractor eligible for none of the services: the COR and POC
    # get the request back to change it (as with a question), then it is reviewed again.
    @transition(field=status, source=Status.LEAD_APPROVED, target=Status.QUESTION,
                permission=on_contract(Action.RECORD_MEETING))
    def return_not_eligible(self):
        pass

    @transition(field=status, source=Status.SERVICE_REVIEW, target=Status.APPROVED)
    def finish_service_review(self):
        pass

    @transition(field=status, source=Status.APPROVED, target=Status.COMPLETE)
    def complete(self):
        pass

    # The team lead sends the request back to the team's review, or rejects it for good.
    @transition(field=status, source=Status.REVIEWED, target=Status.SUBMITTED,
                permission=on_contract(Action.APPROVE_AS_LEAD))
    def send_back(self):
        pass

    @transition(field=status, source=Status.REVIEWED, target=Status.REJECTED,
                permission=on_contract(Action.APPROVE_AS_LEAD))
    def reject(self):
        pass

    @transition(field=status, source=WITHDRAWABLE, target=Status.WITHDRAWN,
                permission=on_contract(Action.WITHDRAW_REQUEST))
    def withdraw(self):
        pass

    @transition(field=status, source=CANCELLABLE, target=Status.CANCELLED,
                permission=on_contract(Action.CANCEL_REQUEST))
    def cancel(self):
        pass

    # Back where it was when it was stopped (the latest withdrawal or cancellation says).
    @transition(field=status, source=REOPENABLE, target=RETURN_VALUE(*CANCELLABLE),
                permission=on_contract(Action.REOPEN_REQUEST))
    def reopen(self, back_to: str):
        return back_to


class StatusChange(models.Model):
    """A change of status that came with a reason: withdrawn, cancelled, reopened, sent
    back or rejected. Every one is kept, so the request's page tells its whole story."""

    class Kind(models.TextChoices):
        WITHDRAWN = "withdrawn", "Withdrawn by the COR"
        CANCELLED = "cancelled", "Cancelled by the onboarding team"
        REOPENED = "reopened", "Reopened by the onboarding team"
        SENT_BACK = "sent_back", "Sent back to the onboarding team by the team lead"
        REJECTED = "rejected", "Rejected by the team lead"

    request = models.ForeignKey(
        OnboardingRequest, on_delete=models.CASCADE, related_name="status_changes"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    from_status = models.CharField(max_length=20, choices=Status.choices)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    reason = models.CharField(max_length=REASON_MAX_LENGTH)
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-at", "-id"]  # the latest first

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.at:%Y-%m-%d})"


class Question(models.Model):
    """A question from the onboarding team, answered in the request by the COR or POC."""

    request = models.ForeignKey(
        OnboardingRequest, on_delete=models.CASCADE, related_name="questions"
    )
    text = models.TextField(max_length=LONG_TEXT_MAX)
    asked_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(default=clock.now)
    answer = models.TextField(blank=True, max_length=LONG_TEXT_MAX)
    answered_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["asked_at", "id"]

    def __str__(self) -> str:
        return self.text[:80]


class EligibilityMeeting(models.Model):
    class Outcome(models.TextChoices):
        ELIGIBLE = "eligible", "Eligible for the requested services"
        PARTLY = "partly", "Eligible for some services"
        NOT_ELIGIBLE = "not_eligible", "Not eligible"

    # Several when a meeting found the contractor not eligible and the request came back.
    request = models.ForeignKey(
        OnboardingRequest, on_delete=models.CASCADE, related_name="meetings"
    )
    held_on = models.DateField()
    attendees = models.TextField(help_text="Who attended, one per line.",
                                 max_length=SHORT_TEXT_MAX)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    notes = models.TextField(blank=True, max_length=LONG_TEXT_MAX)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-recorded_at", "-id"]  # the latest first

    def __str__(self) -> str:
        return f"Eligibility meeting on {self.held_on}"


def package_path(instance, filename: str) -> str:
    return f"contracts/{instance.contract_id}/welcome/v{instance.version}.pdf"


class WelcomePackage(models.Model):
    """One version of the welcome package; every version is kept. The person's send
    records it "preparing" (its HTML fixed then); the worker makes the PDF and sends it
    (`package.prepare_due`), retrying a failure with the outbox's backoff."""

    class Kind(models.TextChoices):
        INITIAL = "initial", "Welcome package"
        ADDENDUM = "addendum", "Addendum (additional service)"

    class State(models.TextChoices):
        PREPARING = "preparing", "Preparing the PDF"
        SENT = "sent", "Sent"
        FAILED = "failed", "Not sent: the PDF could not be made"

    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.CASCADE, related_name="welcome_packages",
        db_index=False,  # unique_package_version (contract, version) serves lookups by it
    )
    version = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.INITIAL)
    services = models.JSONField(help_text="[{name, description, eua_job_code, requires_dua}]")
    html = models.TextField(help_text="The package exactly as sent.")
    pdf = models.FileField(upload_to=package_path)
    sent_to = models.JSONField(default=list)
    sent_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+",
                                help_text="Who sent it (asked for it to be sent).")
    requested_at = models.DateTimeField(default=clock.now, help_text="When it was asked for.")
    sent_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When its PDF was made and its email queued; empty until then.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.SENT)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-version"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="package_due")]
        constraints = [
            models.UniqueConstraint(fields=["contract", "version"], name="unique_package_version")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version} for {self.contract}"


class TouchPointCall(models.Model):
    class Topic(models.TextChoices):
        SECURITY_DELIVERABLES = "security_deliverables", "Security deliverables"
        TEMPLATES = "templates", "Templates"
        POCS = "pocs", "Points of contact"
        HARDWARE_SOFTWARE = (
            "hardware_software", "Hardware and software (ordered, delivered, installed)"
        )
        OTHER = "other", "Other"

    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.CASCADE, related_name="calls"
    )
    held_on = models.DateField()
    topics = models.JSONField(default=list)
    outcome = models.TextField(max_length=LONG_TEXT_MAX)
    notes = models.TextField(blank=True, max_length=LONG_TEXT_MAX)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"Call on {self.held_on}"

    @property
    def topic_labels(self) -> list[str]:
        labels = dict(self.Topic.choices)
        return [labels.get(t, t) for t in self.topics]


def call_document_path(instance, filename: str) -> str:
    return f"contracts/{instance.call.contract_id}/calls/{instance.call_id}/{filename}"


class CallDocument(models.Model):
    call = models.ForeignKey(TouchPointCall, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to=call_document_path)
    name = models.CharField(max_length=NAME_MAX)
    uploaded_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return self.name


def new_survey_token() -> str:
    return secrets.token_urlsafe(24)


class SurveyResponse(models.Model):
    """The post-onboarding survey sent to the contractor, and its answer."""

    class Satisfaction(models.IntegerChoices):
        VERY_DISSATISFIED = 1, "Very dissatisfied"
        DISSATISFIED = 2, "Dissatisfied"
        NEUTRAL = 3, "Neither satisfied nor dissatisfied"
        SATISFIED = 4, "Satisfied"
        VERY_SATISFIED = 5, "Very satisfied"

    contract = models.OneToOneField(
        "contracts.Contract", on_delete=models.CASCADE, related_name="survey"
    )
    token = models.CharField(max_length=64, unique=True, default=new_survey_token)
    sent_at = models.DateTimeField(default=clock.now)
    satisfaction = models.PositiveSmallIntegerField(
        choices=Satisfaction.choices, null=True, blank=True
    )
    went_well = models.TextField("what went well", blank=True, max_length=LONG_TEXT_MAX)
    to_improve = models.TextField("what we could improve", blank=True,
                                  max_length=LONG_TEXT_MAX)
    answered_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Survey for {self.contract}"


def refresh_due(contract_id: int) -> None:
    """Recompute the stored `due` of the contract's open OnboardingRequest rows after its step due
    dates moved (registered with timeline.services.register_due_copy in apps.py)."""
    DUE.refresh(OnboardingRequest.objects.all(), contract_id)
