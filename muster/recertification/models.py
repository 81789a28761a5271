"""A recertification campaign and its items: one per grant that was live (requested,
active or paused) on a contract in scope when the campaign opened. Grants added later are
not in it. Each item carries the SO's decision: still needed, or remove."""

from django.conf import settings
from django.db import models
from django.urls import reverse

from muster import clock
from muster.validators import NAME_MAX, VISIBLE_ONLY

USER = settings.AUTH_USER_MODEL


class Scope(models.TextChoices):
    ALL = "all", "Every active contract"
    CHOSEN = "chosen", "Chosen contracts"


class Decision(models.TextChoices):
    KEEP = "keep", "Still needed"
    REMOVE = "remove", "Remove"


class Campaign(models.Model):
    name = models.CharField(max_length=NAME_MAX, validators=VISIBLE_ONLY)
    due_date = models.DateField(db_index=True)
    scope = models.CharField(max_length=8, choices=Scope.choices)
    opened_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-opened_at", "-pk"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("recertification:campaign", kwargs={"pk": self.pk})


class CampaignItem(models.Model):
    """One grant to certify. `contract` repeats the grant's, so a campaign's contracts and
    their progress are read from this table alone."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="items",
        db_index=False,  # one_item_per_grant (campaign, grant) serves lookups by it
    )
    contract = models.ForeignKey("contracts.Contract", on_delete=models.CASCADE,
                                 related_name="+")
    grant = models.ForeignKey("access.AccessGrant", on_delete=models.CASCADE,
                              related_name="recertification_items")
    decision = models.CharField(max_length=8, choices=Decision.choices, blank=True)
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    # When the due date's sweep paused the grant because this item had no decision.
    paused_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["contract", "grant__user__full_name", "grant__service__order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "grant"], name="one_item_per_grant"),
        ]
        indexes = [
            models.Index(fields=["campaign", "contract", "decision"]),
            models.Index(fields=["decision", "campaign"]),
        ]

    def __str__(self) -> str:
        return f"{self.campaign}: {self.grant}"
