"""The evidence package's format, shared by what writes it (package.py) and what checks it
offline (verify.py): its file names, the key its manifest is signed with, and an audit
event as a line of `audit_events.jsonl` and back. Nothing here reads the database.

docs/evidence.md describes the package for auditors.
"""

import datetime
import hashlib
import hmac

from django.conf import settings

from muster.audit.models import AuditEvent

FORMAT = "muster-evidence-package"
VERSION = 1

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
REPORT = "report.pdf"
EVENTS = "audit_events.jsonl"
CHECKPOINT = "checkpoint.txt"
# The manifest lists every file but itself and its signature.
UNLISTED = frozenset({MANIFEST, SIGNATURE})

# What a line of audit_events.jsonl holds: every field the event's hash is computed from
# (AuditEvent.content_digest), then its id, prev_hash and hash.
EVENT_FIELDS = ("id", "at", "actor", "actor_label", "action", "summary", "object_type",
                "object_id", "object_repr", "contract", "before", "after", "request_id",
                "channel", "prev_hash", "hash")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def signing_key() -> bytes:
    """The manifest's key, derived from AUDIT_CHECKPOINT_KEY: a manifest signature is
    never a checkpoint's, nor the other way round."""
    return hmac.new(settings.AUDIT_CHECKPOINT_KEY.encode(), b"muster-evidence",
                    hashlib.sha256).digest()


def sign(manifest: bytes) -> str:
    return hmac.new(signing_key(), manifest, hashlib.sha256).hexdigest()


def is_signed(manifest: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(manifest), signature.strip())


def event_line(event: AuditEvent) -> dict:
    return {
        "id": event.pk, "at": event.at.isoformat(), "actor": event.actor_id,
        "actor_label": event.actor_label, "action": event.action, "summary": event.summary,
        "object_type": event.object_type, "object_id": event.object_id,
        "object_repr": event.object_repr, "contract": event.contract_id,
        "before": event.before, "after": event.after, "request_id": event.request_id,
        "channel": event.channel, "prev_hash": event.prev_hash, "hash": event.hash,
    }


def event_from(line: dict) -> AuditEvent:
    """An unsaved AuditEvent from a line, whose `content_digest()` is the audit record's
    own computation of its hash (one implementation, in muster/audit)."""
    missing = [name for name in EVENT_FIELDS if name not in line]
    if missing:
        raise ValueError(f"lacks {', '.join(missing)}")
    return AuditEvent(
        id=line["id"], at=datetime.datetime.fromisoformat(line["at"]),
        actor_id=line["actor"], actor_label=line["actor_label"], action=line["action"],
        summary=line["summary"], object_type=line["object_type"],
        object_id=line["object_id"], object_repr=line["object_repr"],
        contract_id=line["contract"], before=line["before"], after=line["after"],
        request_id=line["request_id"], channel=line["channel"],
        prev_hash=line["prev_hash"], hash=line["hash"],
    )
