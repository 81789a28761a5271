"""Who works on what: one assignment per assigned work item (muster/work/items.py)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from muster import clock

USER = settings.AUTH_USER_MODEL

# The item an assignment is about: exactly one of these is set.
ITEM_FIELDS = ("onboarding_request", "service_request", "grant", "closeout")


def _exactly_one_item() -> Q:
    condition = Q()
    for field in ITEM_FIELDS:
        only = Q(**{f"{field}__isnull": False})
        for other in ITEM_FIELDS:
            if other != field:
                only &= Q(**{f"{other}__isnull": True})
        condition |= only
    return condition


class Assignment(models.Model):
    """A team member working on one item: an onboarding request, an additional-service
    request, a grant waiting for confirmation or a closeout. Unassigning deletes the row
    (the audit record keeps who had it)."""

    onboarding_request = models.OneToOneField(
        "onboarding.OnboardingRequest", on_delete=models.CASCADE, null=True, blank=True,
        related_name="work_assignment")
    service_request = models.OneToOneField(
        "access.AdditionalServiceRequest", on_delete=models.CASCADE, null=True, blank=True,
        related_name="work_assignment")
    grant = models.OneToOneField(
        "access.AccessGrant", on_delete=models.CASCADE, null=True, blank=True,
        related_name="work_assignment")
    closeout = models.OneToOneField(
        "closeout.Closeout", on_delete=models.CASCADE, null=True, blank=True,
        related_name="work_assignment")
    assignee = models.ForeignKey(USER, on_delete=models.PROTECT,
                                 related_name="work_assignments",
                                 db_index=False)  # (assignee, assigned_at) serves it
    assigned_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-assigned_at"]
        constraints = [
            models.CheckConstraint(condition=_exactly_one_item(),
                                   name="assignment_names_one_item"),
        ]
        indexes = [models.Index(fields=["assignee", "assigned_at"])]

    def __str__(self) -> str:
        return f"{self.item} → {self.assignee}"

    @property
    def item(self):
        for field in ITEM_FIELDS:
            if getattr(self, f"{field}_id") is not None:
                return getattr(self, field)
        return None
