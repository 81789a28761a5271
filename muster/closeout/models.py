"""Closeout: the 60-day notice, the COR's scenario, and the removal of access."""

import datetime

from django.conf import settings
from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition

from muster import clock
from muster.timeline.copies import DueCopy
from muster.validators import LONG_TEXT_MAX

USER = settings.AUTH_USER_MODEL


class Scenario(models.IntegerChoices):
    REAWARD_INCUMBENT = 1, "Re-awarded to the incumbent"
    OTHER_CONTRACTOR = 2, "Awarded to another contractor"
    NO_AWARD = 3, "Ends with no new award"
    EXTENSION = 4, "Period of performance extended"


class Closeout(FSMModelMixin, models.Model):
    """One closeout cycle of a contract: opened by the 60-day notice, answered by the COR's
    scenario, ended by the removal of access (or by an extension, which starts a new cycle).

    Its status changes only through the transitions below (the field is protected;
    `FSMModelMixin` lets `refresh_from_db` reload it)."""

    class Status(models.TextChoices):
        NOTICE_SENT = "notice_sent", "Waiting for the COR's scenario"
        SCENARIO_CHOSEN = "scenario_chosen", "Scenario chosen"
        ACCESS_REMOVED = "access_removed", "Access removed"
        CARRIED_OVER = "carried_over", "Access carried over to the new contract"
        EXTENDED = "extended", "Extended"

    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.CASCADE, related_name="closeouts",
        db_index=False,  # one_closeout_per_pop_end (contract, pop_end) serves lookups by it
    )
    pop_end = models.DateField(help_text="The end of performance this cycle is about.")
    status = FSMField(max_length=16, choices=Status.choices, default=Status.NOTICE_SENT,
                      db_index=True, protected=True)
    notice_sent_at = models.DateTimeField(default=clock.now)
    scenario = models.PositiveSmallIntegerField(choices=Scenario.choices, null=True, blank=True)
    answers = models.JSONField(default=dict, blank=True,
                               help_text="What the scenario asked for, as the COR gave it.")
    chosen_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    chosen_at = models.DateTimeField(null=True, blank=True)
    access_removed_on = models.DateField(
        null=True, blank=True, help_text="When every grant was revoked (the sweep does it)."
    )
    removal_confirmed_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True,
                                             blank=True, related_name="+")
    removal_confirmed_at = models.DateTimeField(null=True, blank=True)
    data_archived_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="+")
    data_archived_at = models.DateTimeField(null=True, blank=True)
    archive_note = models.TextField(blank=True, max_length=LONG_TEXT_MAX)
    successor = models.ForeignKey(
        "contracts.Contract", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="predecessor_closeouts",
        help_text="The new contract record (re-award) or the new contractor's contract.",
    )

    # A copy of the due date of the timeline step an open closeout waits on (DUE; None when
    # it is not open), kept by save() and by the timeline's services (timeline/copies.py,
    # checked by manage.py check_work_dues): My work sorts by it with an index.
    due = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-notice_sent_at"]
        indexes = [
            models.Index(fields=["due", "notice_sent_at", "id"],
                         condition=models.Q(status__in=["notice_sent", "scenario_chosen"]),
                         name="open_closeout_by_due"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["contract", "pop_end"],
                                    name="one_closeout_per_pop_end"),
        ]

    def __str__(self) -> str:
        return f"Closeout of {self.contract} (POP end {self.pop_end})"

    def save(self, *args, **kwargs):
        DUE.before_save(self, kwargs)
        super().save(*args, **kwargs)

    # notice sent → scenario chosen (again, while it may change) → extended, or, on the last
    # day of performance, access removed or carried over; a re-award undone goes back to
    # notice sent. The end also comes to a closeout nobody answered, and to an extended one
    # whose contract was given its old end date again.
    OPEN = [Status.NOTICE_SENT, Status.SCENARIO_CHOSEN]

    @transition(field=status, source=OPEN, target=Status.SCENARIO_CHOSEN)
    def choose(self, scenario: int, answers: dict, by) -> None:
        self.scenario, self.answers = scenario, answers
        self.chosen_by, self.chosen_at = by, clock.now()

    @transition(field=status, source=Status.SCENARIO_CHOSEN, target=Status.EXTENDED)
    def extend(self) -> None:
        pass

    @transition(field=status, source=[*OPEN, Status.EXTENDED], target=Status.ACCESS_REMOVED)
    def remove_access(self, day: datetime.date) -> None:
        self.access_removed_on = day

    @transition(field=status, source=[*OPEN, Status.EXTENDED], target=Status.CARRIED_OVER)
    def carry_over(self, day: datetime.date) -> None:
        self.access_removed_on = day

    @transition(field=status, source=Status.SCENARIO_CHOSEN, target=Status.NOTICE_SENT)
    def undo_choice(self) -> None:
        """A re-award undone: the COR chooses again, from nothing."""
        self.scenario, self.answers, self.successor = None, {}, None
        self.chosen_by, self.chosen_at = None, None


# The timeline step an open closeout waits on: the COR's scenario, then the removal of
# access (muster/closeout/steps.py names the same keys).
DUE = DueCopy({Closeout.Status.NOTICE_SENT: "closeout-scenario",
               Closeout.Status.SCENARIO_CHOSEN: "remove-access"})


class SweepRun(models.Model):
    """One run of the daily sweep, for the team to see it ran and what it did."""

    day = models.DateField(db_index=True)
    started_at = models.DateTimeField(default=clock.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    report = models.JSONField(default=dict)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Sweep of {self.day}"


class CalendarFeed(models.Model):
    """A person's private, revocable iCalendar link."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="calendar_feeds")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=clock.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"


def refresh_due(contract_id: int) -> None:
    """Recompute the stored `due` of the contract's open Closeout rows after its step due
    dates moved (registered with timeline.services.register_due_copy in apps.py)."""
    DUE.refresh(Closeout.objects.all(), contract_id)
