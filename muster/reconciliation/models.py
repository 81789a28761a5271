"""What the daily check has seen: one row per finding (its kind and key, findings.py), so the
sweep emails the team only what is new. A finding that stays is not reported again; one
that was resolved (not found on a later day) and comes back is new again."""

from django.db import models

KIND_MAX = 32
KEY_MAX = 120


class SeenFinding(models.Model):
    kind = models.CharField(max_length=KIND_MAX)
    key = models.CharField(max_length=KEY_MAX, unique=True)
    first_seen = models.DateField(help_text="The day the daily check first found it (again, "
                                            "after it was resolved).")
    last_seen = models.DateField()
    resolved_on = models.DateField(null=True, blank=True,
                                   help_text="The first day the daily check no longer found it.")

    class Meta:
        ordering = ["kind", "key"]
        indexes = [models.Index(fields=["resolved_on"])]

    def __str__(self) -> str:
        state = f"resolved {self.resolved_on}" if self.resolved_on else "open"
        return f"{self.key} (first seen {self.first_seen}, {state})"
