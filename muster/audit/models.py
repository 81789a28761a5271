"""The append-only audit record.

Rows are only ever inserted: the model refuses to save an existing row or delete one, the
queryset refuses bulk updates and deletes, the admin is read-only, and on PostgreSQL a
trigger refuses UPDATE and DELETE from anyone. Each row carries a SHA-256 hash over its
content and the previous row's hash, so an edit made behind the application's back breaks
the chain, and `manage.py verify_audit` finds it.
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
    )
    before = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["contract", "-id"]),
            models.Index(fields=["object_type", "object_id"]),
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
        payload = {
            "at": self.at.isoformat(),
            "actor": self.actor_id,
            "actor_label": self.actor_label,
            "action": self.action,
            "summary": self.summary,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "contract": self.contract_id,
            "before": self.before,
            "after": self.after,
        }
        canonical = json.dumps(payload, sort_keys=True, cls=DjangoJSONEncoder, default=str)
        return hashlib.sha256((self.prev_hash + canonical).encode()).hexdigest()
