"""Process templates (the steps of onboarding and offboarding, as data) and each
contract's own copy of them, with due dates computed on the business calendar."""

import datetime

from django.conf import settings
from django.db import models

from muster.loading import LoadedFromRows
from muster.validators import LONG_TEXT_MAX, SHORT_TEXT_MAX

from . import calendar


class Milestone(models.TextChoices):
    """The contract's dates a step can be anchored on (fields of contracts.Contract)."""

    ESTIMATED_AWARD = "estimated_award_date", "Estimated award date"
    AWARD = "award_date", "Award date"
    POP_START = "pop_start", "Period of performance start"
    POP_END = "pop_end", "Period of performance end"


class Responsible(models.TextChoices):
    """Parties a step can name as responsible; matched against a person's roles."""

    COR = "cor", "COR"
    CONTRACTOR = "contractor", "Contractor"
    ONBOARDING_TEAM = "onboarding_team", "Onboarding team"
    TEAM_LEAD = "team_lead", "Team lead"
    SERVICE_LEADS = "service_lead", "Service leads"


class OffsetUnit(models.TextChoices):
    CALENDAR = "calendar", "calendar days"
    BUSINESS = "business", "business days"


class Process(models.TextChoices):
    ONBOARDING = "onboarding", "Onboarding"
    OFFBOARDING = "offboarding", "Offboarding"


class StepDefinition(models.Model):
    """What a step is and when it falls due: shared by template steps and contract steps."""

    key = models.SlugField(max_length=60, help_text="Stable name code refers to, e.g. 'award'.")
    order = models.PositiveSmallIntegerField()
    process = models.CharField(max_length=12, choices=Process.choices)
    phase = models.CharField(max_length=80)
    name = models.CharField(max_length=160)
    description = models.TextField(blank=True, max_length=LONG_TEXT_MAX)
    anchor = models.CharField(max_length=32, choices=Milestone.choices)
    offset = models.SmallIntegerField(default=0, help_text="Negative for before the anchor.")
    offset_unit = models.CharField(
        max_length=10, choices=OffsetUnit.choices, default=OffsetUnit.CALENDAR
    )
    responsible = models.JSONField(
        default=list, help_text="Parties responsible: cor, contractor, onboarding_team, ..."
    )
    evidence = models.CharField(
        max_length=200, help_text="What completes the step, e.g. 'Award notice recorded'."
    )

    class Meta:
        abstract = True
        ordering = ["order"]

    def __str__(self) -> str:
        return self.name

    def due_from(self, anchor_date: datetime.date | None) -> datetime.date | None:
        if anchor_date is None:
            return None
        return calendar.shift(anchor_date, self.offset, self.offset_unit)

    @property
    def responsible_labels(self) -> list[str]:
        labels = dict(Responsible.choices)
        return [labels.get(party, party) for party in self.responsible]

    @property
    def due_rule(self) -> str:
        """The rule in words, e.g. 'POP start + 5 business days'."""
        anchor = Milestone(self.anchor).label
        if self.offset == 0:
            return f"On the {anchor.lower()}"
        sign = "+" if self.offset > 0 else "−"
        unit = OffsetUnit(self.offset_unit).label
        if abs(self.offset) == 1:
            unit = unit.replace("days", "day")
        return f"{anchor} {sign} {abs(self.offset)} {unit}"


class ProcessTemplate(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, max_length=LONG_TEXT_MAX)
    is_default = models.BooleanField(
        default=False, help_text="New contracts get this template's steps."
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="one_default"
            )
        ]

    def __str__(self) -> str:
        return self.name


class TemplateStep(StepDefinition):
    template = models.ForeignKey(
        ProcessTemplate, on_delete=models.CASCADE, related_name="steps",
        db_index=False,  # unique_template_step_key (template, key) serves lookups by it
    )

    class Meta(StepDefinition.Meta):
        constraints = [
            models.UniqueConstraint(fields=["template", "key"], name="unique_template_step_key")
        ]


class StepState(models.TextChoices):
    DONE = "done", "Done"
    OVERDUE = "overdue", "Overdue"
    DUE = "due", "Due soon"
    NOT_YET_DUE = "not_yet_due", "Not yet due"
    UNSCHEDULED = "unscheduled", "Date not set"
    CANCELLED = "cancelled", "Cancelled"


class ContractStep(LoadedFromRows, StepDefinition):
    """A contract's own copy of a template step: editable without touching the template."""

    current_state: str  # not stored: set for a page by timeline.queries.timeline

    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.CASCADE, related_name="steps",
        db_index=False,  # unique_contract_step_key (contract, key) serves lookups by it
    )
    due_date = models.DateField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    completion_note = models.TextField(blank=True, max_length=SHORT_TEXT_MAX)
    # Set while the request the step belongs to is withdrawn, cancelled or rejected: the
    # step stays on the timeline as "Cancelled" and nobody is reminded of it. Reopening the
    # request clears it.
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta(StepDefinition.Meta):
        constraints = [
            models.UniqueConstraint(fields=["contract", "key"], name="unique_contract_step_key")
        ]
        indexes = [
            # The sweep and the "overdue first" lists read open steps by due date.
            models.Index(
                fields=["due_date"],
                condition=models.Q(completed_at__isnull=True),
                name="open_step_due_date",
            ),
            # A contract's step by key with its due date, read without the table: the team's
            # work items are due with a step (work/items.py joins two per open item).
            models.Index(fields=["contract", "key", "due_date"], name="step_due_by_key"),
            # Each contract's next open step, for the home page's "overdue first" order.
            models.Index(
                fields=["contract", "due_date", "order"],
                condition=models.Q(completed_at__isnull=True),
                name="open_step_by_contract",
            ),
        ]

    @property
    def is_open(self) -> bool:
        """Neither done nor cancelled: someone still has to act on it."""
        return self.completed_at is None and self.cancelled_at is None

    @property
    def is_done(self) -> bool:
        return self.completed_at is not None

    def state(self, today: datetime.date) -> str:
        if self.completed_at is not None:
            return StepState.DONE
        if self.cancelled_at is not None:
            return StepState.CANCELLED
        if self.due_date is None:
            return StepState.UNSCHEDULED
        if self.due_date < today:
            return StepState.OVERDUE
        if self.due_date <= calendar.add_business_days(today, settings.TIMELINE_DUE_SOON_DAYS):
            return StepState.DUE
        return StepState.NOT_YET_DUE
