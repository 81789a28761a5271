"""Organizations, contracts, their milestone dates, services and lifecycle stage."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Value
from django.db.models.functions import Concat, Lower, Upper
from django.urls import reverse
from django.utils.text import get_valid_filename
from django_fsm import FSMField, FSMModelMixin, transition

from muster import clock
from muster.validators import (
    LONG_TEXT_MAX,
    NAME_MAX,
    SHORT_TEXT_MAX,
    VISIBLE_ONLY,
)

# The contract list's search (queries._filtered) looks for its words in a contract's
# name, number and task order number, and its organization's names: in one upper-cased
# text per row, worked out by the database when the row is written rather than three
# times per row at each search (a search read 10,000 contracts in 9 ms, now 5 ms). The
# separator is an invisible character, which no name or number may hold (VISIBLE_ONLY),
# so words never match across two of them.
SEARCH_SEPARATOR = "\x1f"


def search_text(*fields: str) -> models.GeneratedField:
    parts: list = [fields[0]]
    for field in fields[1:]:
        parts += [Value(SEARCH_SEPARATOR), field]
    return models.GeneratedField(expression=Upper(Concat(*parts)),
                                 output_field=models.TextField(), db_persist=True)


class Organization(models.Model):
    name = models.CharField(max_length=NAME_MAX, validators=VISIBLE_ONLY)
    harp_name = models.CharField(
        "HARP organization name",
        max_length=NAME_MAX,
        validators=VISIBLE_ONLY,
        unique=True,
        help_text="The organization's name as registered in HARP.",
    )
    search_text = search_text("name", "harp_name")

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(Lower("name"), name="org_name_lower")]

    def __str__(self) -> str:
        return self.name


class Stage(models.TextChoices):
    SOLICITATION = "solicitation", "Solicitation"
    AWARDED = "awarded", "Awarded"
    ONBOARDING = "onboarding", "Onboarding"
    # A re-award to the incumbent (closeout scenario 1): the new record waits for its POP.
    REAWARDED = "reawarded", "Re-awarded: waiting for its period of performance"
    ACTIVE = "active", "Active"
    CLOSING = "closing", "Closing"
    CLOSED = "closed", "Closed"
    # A re-award the onboarding team undid before the carry-over: kept for the record.
    WITHDRAWN = "withdrawn", "Re-award withdrawn"


# Stages of a contract still being worked on (people's home pages list these).
OPEN_STAGES = [s for s in Stage.values if s not in (Stage.CLOSED, Stage.WITHDRAWN)]


class Contract(FSMModelMixin, models.Model):
    name = models.CharField(max_length=NAME_MAX, validators=VISIBLE_ONLY)
    contract_number = models.CharField(max_length=60, unique=True, validators=VISIBLE_ONLY)
    task_order_number = models.CharField(max_length=60, blank=True, validators=VISIBLE_ONLY)
    search_text = search_text("name", "contract_number", "task_order_number")
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="contracts",
        null=True,
        blank=True,
        help_text="The contractor; unknown until award.",
    )
    # Transitions are the only way the stage changes (contracts.services.change_stage calls
    # them): protected, so assigning it raises; FSMModelMixin lets refresh_from_db read it.
    stage = FSMField(
        max_length=20, choices=Stage.choices, default=Stage.SOLICITATION, db_index=True,
        protected=True,
    )
    estimated_award_date = models.DateField(null=True, blank=True)
    award_date = models.DateField(null=True, blank=True)
    pop_start = models.DateField("period of performance start", null=True, blank=True)
    pop_end = models.DateField("period of performance end", null=True, blank=True, db_index=True)
    type_of_work = models.TextField("type of work to be performed", blank=True,
                                    max_length=LONG_TEXT_MAX)
    requirements_summary = models.TextField(
        "high-level service requirements",
        blank=True,
        max_length=LONG_TEXT_MAX,
        help_text="Public, non-sensitive information only.",
    )
    process_template = models.ForeignKey(
        "timeline.ProcessTemplate",
        on_delete=models.PROTECT,
        related_name="contracts",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(default=clock.now)
    updated_at = clock.ChangedAt()
    # The next open step (neither done nor cancelled, with a due date; the lowest due date,
    # then order) and its due date, kept here by the timeline service in the same
    # transaction as every step or milestone change (timeline.services.refresh_next_step),
    # so a list of 25 contracts reads 25 rows instead of every open contract's steps;
    # `manage.py check_next_steps` compares them with a full recomputation.
    # Nothing date-dependent is stored: a contract is overdue when an open step's due date
    # is before today, which is exactly when its earliest open due date (next_step_due) is
    # before today. So "overdue first, then next due" is next_step_due ascending with the
    # undated last, and "overdue" is next_step_due < today: both read this index.
    next_step = models.ForeignKey(
        "timeline.ContractStep", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", editable=False,
    )
    next_step_due = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(Lower("name"), name="contract_name_lower"),
            models.Index(fields=["stage", "pop_end"]),
            # ORDER BY next_step_due ASC NULLS LAST (a B-tree's own order), name LIMIT 25,
            # and the overdue filter next_step_due < today.
            models.Index(fields=["next_step_due", "name"], name="contract_next_step_due"),
            # The same for the home pages' open contracts: a closed contract keeps its
            # leftover open steps (the oldest due dates), which the index above would walk
            # past first. The condition is the home query's own filter, so PostgreSQL can
            # use it (a change to OPEN_STAGES is a migration).
            models.Index(fields=["next_step_due", "name"], condition=models.Q(
                stage__in=OPEN_STAGES), name="open_contract_next_step_due"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.contract_number})"

    def get_absolute_url(self) -> str:
        return reverse("contracts:detail", args=[self.pk])

    def clean(self):
        if self.pop_start and self.pop_end and self.pop_end < self.pop_start:
            raise ValidationError(
                {"pop_end": "The period of performance must end on or after its start."}
            )

    def milestone(self, name: str):
        """The date of a milestone (timeline.models.Milestone: the fields steps anchor on)."""
        return getattr(self, name)

    # Lifecycle: solicitation → awarded → onboarding → active → closing → closed; a
    # re-award's new record: solicitation → reawarded → active (or withdrawn).
    @transition(field=stage, source=Stage.SOLICITATION, target=Stage.AWARDED)
    def award(self):
        pass

    @transition(field=stage, source=Stage.AWARDED, target=Stage.ONBOARDING)
    def start_onboarding(self):
        pass

    @transition(field=stage, source=Stage.ONBOARDING, target=Stage.ACTIVE)
    def activate(self):
        pass

    @transition(field=stage, source=[Stage.ONBOARDING, Stage.ACTIVE], target=Stage.CLOSING)
    def begin_closeout(self):
        pass

    @transition(field=stage, source=Stage.CLOSING, target=Stage.ACTIVE)
    def extend(self):
        pass

    # Closeout scenario 1: the incumbent's new record, already onboarded (carried over),
    # waits for its period of performance; the sweep starts it on its POP start.
    @transition(field=stage, source=Stage.SOLICITATION, target=Stage.REAWARDED)
    def await_pop_start(self):
        pass

    @transition(field=stage, source=Stage.REAWARDED, target=Stage.ACTIVE)
    def begin_pop(self):
        pass

    @transition(field=stage, source=Stage.REAWARDED, target=Stage.WITHDRAWN)
    def withdraw_reaward(self):
        pass

    # The end of performance closes a contract whatever stage it reached.
    @transition(field=stage, source=[Stage.AWARDED, Stage.ONBOARDING, Stage.ACTIVE,
                                     Stage.CLOSING], target=Stage.CLOSED)
    def close(self):
        pass


class ContractService(FSMModelMixin, models.Model):
    """A service requested for a contract, with the service lead's decision.

    The status changes only through the transitions below (`protected`): a lead approves or
    denies a requested service (a denial also closes one the eligibility meeting found the
    contractor not eligible for); an additional-service approval replaces an earlier
    denial; cancelling that request takes the service off again. `FSMModelMixin` lets
    `refresh_from_db` reload the protected status."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        APPROVED = "approved", "Approved"
        DENIED = "denied", "Denied"

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="services",
        db_index=False,  # unique_contract_service (contract, service) serves lookups by it
    )
    service = models.ForeignKey(
        "catalog.Service", on_delete=models.PROTECT, related_name="contract_services"
    )
    status = FSMField(
        max_length=16, choices=Status.choices, default=Status.REQUESTED, db_index=True,
        protected=True,
    )
    estimated_users = models.PositiveIntegerField(null=True, blank=True)
    justification = models.TextField("business justification", blank=True,
                                     max_length=SHORT_TEXT_MAX)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Long: a "not eligible" decision quotes the eligibility meeting's notes.
    decision_reason = models.TextField(blank=True, max_length=LONG_TEXT_MAX)

    class Meta:
        ordering = ["service__order", "service__name"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "service"], name="unique_contract_service")
        ]

    def __str__(self) -> str:
        return f"{self.service} for {self.contract} ({self.get_status_display()})"

    @transition(field=status, source=Status.REQUESTED, target=Status.APPROVED)
    def approve(self):
        pass

    @transition(field=status, source=Status.REQUESTED, target=Status.DENIED)
    def deny(self):
        pass

    # An additional-service request approved for a service once denied on this contract.
    @transition(field=status, source=Status.DENIED, target=Status.APPROVED)
    def approve_instead(self):
        pass

    # The additional-service request that approved it was cancelled.
    @transition(field=status, source=Status.APPROVED, target=Status.DENIED)
    def take_off(self):
        pass


def dua_upload_path(instance, filename: str) -> str:
    # The DUA number is typed by a person: never let it shape the path.
    name = get_valid_filename(instance.number or "dua")
    return f"contracts/{instance.contract_id}/dua/{name}.pdf"


class DataUseAgreement(models.Model):
    """A contract's Data Use Agreement: services that need one are usable only while it is
    valid (in effect, not expired, not marked invalid)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="duas")
    number = models.CharField("DUA number", max_length=40, validators=VISIBLE_ONLY)
    effective_date = models.DateField(null=True, blank=True)
    expiry_date = models.DateField()
    document = models.FileField("signed DUA (PDF)", upload_to=dua_upload_path)
    services = models.ManyToManyField(
        "catalog.Service", blank=True, related_name="+",
        help_text="The services this DUA covers (those that need a DUA, e.g. SAS Viya).",
    )
    invalidated_at = models.DateTimeField(null=True, blank=True)
    invalidated_reason = models.TextField(blank=True, max_length=SHORT_TEXT_MAX)
    invalidated_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=clock.now)
    intake_draft = models.BooleanField(
        default=False,
        help_text="Given on an intake form not yet submitted: discarded (record and PDF) if "
                  "no chosen service needs a DUA any more; submitting the form keeps it.",
    )

    class Meta:
        ordering = ["-expiry_date", "-uploaded_at"]
        indexes = [models.Index(fields=["expiry_date"])]

    def __str__(self) -> str:
        return f"DUA {self.number} (expires {self.expiry_date:%Y-%m-%d})"

    def is_valid_on(self, day) -> bool:
        if self.invalidated_at is not None or self.expiry_date < day:
            return False
        return self.effective_date is None or self.effective_date <= day


class SavedView(models.Model):
    """A person's named filters on the contract list: its query string, checked by the
    list's form (contracts/forms.py ContractFilterForm) when saved and again when opened.
    Only its owner sees it."""

    NAME_MAX = 80
    QUERY_MAX = 500
    # Enough for every habit; a list of views longer than this is not a shortcut any more.
    PER_PERSON = 20

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE,
                             related_name="saved_views")
    name = models.CharField(max_length=NAME_MAX, validators=VISIBLE_ONLY)
    query = models.CharField(max_length=QUERY_MAX, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = [Lower("name"), "pk"]
        constraints = [
            models.UniqueConstraint("user", Lower("name"), name="saved_view_name_per_person"),
        ]

    def __str__(self) -> str:
        return self.name
