"""Closeout: the 60-day notice, the COR's scenario, and the removal of access."""

from django.conf import settings
from django.db import models

from muster import clock
from muster.validators import LONG_TEXT_MAX

USER = settings.AUTH_USER_MODEL


class Scenario(models.IntegerChoices):
    REAWARD_INCUMBENT = 1, "Re-awarded to the incumbent"
    OTHER_CONTRACTOR = 2, "Awarded to another contractor"
    NO_AWARD = 3, "Ends with no new award"
    EXTENSION = 4, "Period of performance extended"


class Closeout(models.Model):
    """One closeout cycle of a contract: opened by the 60-day notice, answered by the COR's
    scenario, ended by the removal of access (or by an extension, which starts a new cycle)."""

    class Status(models.TextChoices):
        NOTICE_SENT = "notice_sent", "Waiting for the COR's scenario"
        SCENARIO_CHOSEN = "scenario_chosen", "Scenario chosen"
        ACCESS_REMOVED = "access_removed", "Access removed"
        CARRIED_OVER = "carried_over", "Access carried over to the new contract"
        EXTENDED = "extended", "Extended"

    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.CASCADE, related_name="closeouts"
    )
    pop_end = models.DateField(help_text="The end of performance this cycle is about.")
    status = models.CharField(max_length=16, choices=Status.choices,
                              default=Status.NOTICE_SENT, db_index=True)
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

    class Meta:
        ordering = ["-notice_sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "pop_end"],
                                    name="one_closeout_per_pop_end"),
        ]

    def __str__(self) -> str:
        return f"Closeout of {self.contract} (POP end {self.pop_end})"


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
