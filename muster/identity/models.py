"""Invitations: the single-use link that lets a person Muster named set a password."""

import hashlib
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
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
                             related_name="invitations",
                             db_index=False)  # (user, -sent_at) serves lookups by it
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


class Session(AbstractBaseSession):
    """Django's database session, with the signed-in person's id in a column of its own
    (SESSION_ENGINE is muster/identity/sessions.py, which fills it): ending one person's
    sessions is one indexed DELETE, not a decoding of every session. Not a foreign key: a
    session outlives nothing, and a person's deletion needs no cascade through it."""

    user_id = models.BigIntegerField(null=True, blank=True, db_index=True)

    class Meta(AbstractBaseSession.Meta):
        db_table = "identity_session"

    @classmethod
    def get_session_store_class(cls):
        return import_module(settings.SESSION_ENGINE).SessionStore
