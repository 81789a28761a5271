"""API tokens: a person's, for the REST API, or a provisioning client's, for SCIM.

A token is shown once, when made; Muster keeps its public prefix (to find it and to show
in lists) and the SHA-256 of the whole secret. The secret has 256 bits of randomness, so a
fast hash is enough (as GitHub and Stripe keep theirs): no password hashing per call.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from muster import clock


class ApiToken(models.Model):
    class Scope(models.TextChoices):
        READ = "read", "Read only"
        READ_WRITE = "read_write", "Read and write"
        # A provisioning client's (Okta, Entra ID, ServiceNow): reads /scim/v2/ only.
        SCIM = "scim", "SCIM provisioning (read only)"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
        related_name="api_tokens",
        help_text="The person the token acts as; empty for a provisioning client's token.",
    )
    name = models.CharField(max_length=100, help_text="What the token is for, in words.")
    scope = models.CharField(max_length=10, choices=Scope.choices)
    prefix = models.CharField(max_length=16, unique=True, help_text="Its public part.")
    digest = models.CharField(max_length=64, help_text="SHA-256 of the whole token.")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        help_text="Who made it: the person, or the team member who issued a client's token.",
    )
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="api_token_person_or_client",
                condition=(Q(scope="scim", user__isnull=True)
                           | (~Q(scope="scim") & Q(user__isnull=False))),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > clock.now()

    @property
    def may_write(self) -> bool:
        return self.scope == self.Scope.READ_WRITE
