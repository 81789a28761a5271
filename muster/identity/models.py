"""Invitations: the single-use link that lets a person Muster named set a password."""

import hashlib

from django.conf import settings
from django.db import models

from muster import clock


def token_digest(token: str) -> str:
    """Only a digest of an invitation's token is stored: the link is the person's alone."""
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def pending(self, now=None) -> "InvitationQuerySet":
        """Sent, not used, not replaced by a newer one, not expired."""
        return self.filter(used_at__isnull=True, withdrawn_at__isnull=True,
                           expires_at__gt=now or clock.now())


class Invitation(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                null=True, blank=True, related_name="+")
    # Why Muster invited them, as the email says it: "the Security Official of Apex Data".
    reason = models.CharField(max_length=300)
    sent_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)  # a newer one replaced it

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["user", "-sent_at"])]

    def __str__(self) -> str:
        return f"Invitation to {self.user} ({self.sent_at:%Y-%m-%d})"
