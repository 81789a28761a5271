"""The append-only audit record.

Rows are only ever inserted: the model refuses to save an existing row or delete one, the
queryset refuses bulk updates and deletes, the admin is read-only, and on PostgreSQL a
trigger refuses UPDATE, DELETE and TRUNCATE. Each row carries a SHA-256 hash over its
content and the previous row's hash, so an edit made behind the application's back breaks
the chain, and `manage.py verify_audit` finds it. Signed checkpoints of the chain's head
(`AuditCheckpoint`, copied to the log and by email) make the loss of the newest rows, or of
all of them, detectable too (docs/adr/0002-append-only-audit.md).
"""

import hashlib
import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove an audit record."""


class AuditQuerySet(models.QuerySet):
    def update(self, *args, **kwargs):
        raise AppendOnlyError("Audit records cannot be changed.")

    def bulk_update(self, *args, **kwargs):
        raise AppendOnlyError("Audit records cannot be changed.")

    def delete(self):
        raise AppendOnlyError("Audit records cannot be deleted.")


class AuditEvent(models.Model):
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when the system acted (the daily sweep, say).",
    )
    actor_label = models.CharField(max_length=200)
    action = models.CharField(max_length=80, db_index=True)
    summary = models.CharField(max_length=300)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200)
    contract = models.ForeignKey(
        "contracts.Contract",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
        db_index=False,  # Meta's (contract, -id) index serves every lookup by contract
    )
    before = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    request_id = models.CharField(
        max_length=64, blank=True, default="", db_default="",
        help_text="The request, command run or task that caused the event: events of one "
        "action share it.",
    )
    channel = models.CharField(
        max_length=10, blank=True, default="", db_default="",
        help_text="The door the action came through when not a page: api or scim.",
    )
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        # Declared here, not as unique=True/db_index=True on the fields: those add, on
        # PostgreSQL, a second index for LIKE that no query of the hash or the request id
        # uses, and each index costs every append (a third of a CSV import's 20,000).
        indexes = [
            models.Index(fields=["contract", "-id"]),
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["request_id"], name="audit_event_request_id"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["hash"], name="audit_event_hash_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label}: {self.summary}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Audit records cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit records cannot be deleted.")

    def content_digest(self) -> str:
        """The hash this row should carry, from its content and the previous hash."""
        return content_digest(
            self.prev_hash, at=self.at, actor=self.actor_id, actor_label=self.actor_label,
            action=self.action, summary=self.summary, object_type=self.object_type,
            object_id=self.object_id, object_repr=self.object_repr,
            contract=self.contract_id, before=self.before, after=self.after,
            request_id=self.request_id, channel=self.channel,
        )


def content_digest(prev_hash: str, *, at, actor: int | None, actor_label: str, action: str,
                   summary: str, object_type: str, object_id: str, object_repr: str,
                   contract: int | None, before: dict, after: dict, request_id: str,
                   channel: str) -> str:
    """The hash of an audit row (`AuditEvent.content_digest`), from its values (ids for
    the actor and the contract) and the previous row's hash: the one rule, shared by the
    model and the writers that append many rows without an instance per row."""
    payload = {
        "at": at.isoformat(),
        "actor": actor,
        "actor_label": actor_label,
        "action": action,
        "summary": summary,
        "object_type": object_type,
        "object_id": object_id,
        "object_repr": object_repr,
        "contract": contract,
        "before": before,
        "after": after,
    }
    if request_id:
        # Only when set: rows written before request ids existed keep their hashes.
        payload["request_id"] = request_id
    if channel:
        # Likewise: only rows that came through the API or SCIM carry it.
        payload["channel"] = channel
    canonical = json.dumps(payload, sort_keys=True, cls=DjangoJSONEncoder, default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


class AuditCheckpoint(models.Model):
    """A signed statement of the chain's head at a moment: the last record's id and hash,
    and how many records there were up to it. Kept here for convenience; the copies in the
    log and the audit mailbox are what a database administrator cannot rewrite."""

    number = models.PositiveIntegerField(help_text="1, 2, 3... in the order they were made.")
    at = models.DateTimeField()
    last_event_id = models.BigIntegerField(help_text="0 when the record was empty.")
    event_count = models.BigIntegerField()
    head_hash = models.CharField(max_length=64)
    signature = models.CharField(max_length=64, unique=True)
    request_id = models.CharField(max_length=64, blank=True, default="")

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"Checkpoint {self.number} at record {self.last_event_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Audit checkpoints cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit checkpoints cannot be deleted.")
