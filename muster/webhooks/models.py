"""Webhook endpoints the team registers, and the deliveries Muster queues for them.

A delivery is a row written in the same transaction as the change it reports (the audit
record's listener, events.py), so a change that rolls back sends nothing; the worker sends
it after the commit (sending.py), signed, with retries. Delivery is at least once: the same
delivery id (its `Muster-Delivery` header) on every attempt and every replay.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse

from muster import clock

URL_MAX_LENGTH = 500
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh signing secret: 256 random bits, prefixed so a leaked one is recognizable."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


class EventType(models.TextChoices):
    REQUEST_SUBMITTED = "request.submitted", "Request submitted"
    REQUEST_DECIDED = "request.decided", "Request decided"
    REQUEST_CANCELLED = "request.cancelled", "Request cancelled or withdrawn"
    GRANT_ACTIVE = "grant.active", "Access grant active"
    GRANT_PAUSED = "grant.paused", "Access grant paused"
    GRANT_REVOKED = "grant.revoked", "Access grant revoked"
    DUA_LAPSED = "dua.lapsed", "Data Use Agreement lapsed"
    CONTRACT_CLOSING = "contract.closing", "Contract closing"
    CONTRACT_CLOSED = "contract.closed", "Contract closed"


class Endpoint(models.Model):
    url = models.URLField("URL", max_length=URL_MAX_LENGTH)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list, help_text="EventType values it wants.")
    is_active = models.BooleanField(default=True)
    # Stored as it is, not hashed: signing is an HMAC keyed with the secret itself, so
    # Muster needs the secret (not a digest of it) on every send. The pages show it once
    # (at creation and rotation); the database's own protection guards it at rest.
    secret = models.CharField(max_length=100, default=new_secret)
    secret_rotated_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["url", "id"]

    def __str__(self) -> str:
        return self.description or self.url

    def get_absolute_url(self) -> str:
        return reverse("webhooks:endpoint", args=[self.pk])

    def wants(self, event_type: str) -> bool:
        return self.is_active and event_type in self.event_types

    def event_type_labels(self) -> list[str]:
        return [EventType(t).label for t in self.event_types if t in EventType.values]


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed: will be tried again"
        GAVE_UP = "gave_up", "Given up"

    endpoint = models.ForeignKey(
        Endpoint, on_delete=models.CASCADE, related_name="deliveries",
        db_index=False,  # (endpoint, created_at) serves lookups by it
    )
    event_type = models.CharField(max_length=40, choices=EventType.choices)
    audit_event = models.ForeignKey(
        "audit.AuditEvent", on_delete=models.PROTECT, related_name="+",
    )
    # Sent in the Muster-Delivery header and the payload's "id": the same on every attempt
    # and replay, so a receiver can tell a repeat.
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payload = models.JSONField(help_text="The JSON body as sent.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Attempts since it was queued or last replayed: the backoff and the give-up count
    # these; every attempt ever made is an Attempt row.
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=clock.now)
    # A worker's claim while it sends (sending.py); another worker takes over a stale one.
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_response_excerpt = models.CharField(max_length=500, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    replayed_at = models.DateTimeField(null=True, blank=True)  # the team's last "Send again"

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["next_attempt_at"],
                         condition=models.Q(status__in=["pending", "failed"]),
                         name="webhook_due"),
            models.Index(fields=["endpoint", "-created_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "audit_event", "event_type"],
                                    name="webhook_one_delivery_per_event"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint.url} ({self.delivery_id})"

    def get_absolute_url(self) -> str:
        return reverse("webhooks:delivery", args=[self.pk])

    @property
    def waiting(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.FAILED)


class Attempt(models.Model):
    """One try at sending a delivery: what the receiver answered (or why it could not)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        answer = self.status_code or self.error
        return f"{self.delivery_id} at {self.at:%Y-%m-%d %H:%M:%S}: {answer}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
