"""Signed checkpoints of the audit chain's head, so that lost records show.

The hash chain finds a record changed or removed in the middle, but not the newest records
removed, nor all of them (TRUNCATE): what is left still chains. A checkpoint states the head
at a moment (the last record's id and hash, and how many records there were up to it),
signed with an HMAC key kept outside the database (settings.AUDIT_CHECKPOINT_KEY). It is
written to the log, emailed to AUDIT_EMAIL when set, and kept in `AuditCheckpoint` for
convenience. `verify_audit` checks the record against the newest stored checkpoint and
against any copy given to it (from the log or the email), which is what finds a table that
was rewritten together with its checkpoints.
"""

import datetime
import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from typing import NoReturn

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal

from muster import clock

from . import correlation
from .models import AuditCheckpoint, AuditEvent
from .services import GENESIS_HASH, lock_chain

log = logging.getLogger(__name__)

# Sent inside the transaction that stores a checkpoint (so an email queued by a receiver
# commits with it), with `checkpoint`, `token` and `accepted_loss` (findings overridden).
checkpoint_written = Signal()
# Sent when a new checkpoint was refused because records the previous one covers are gone,
# with `findings` (a list of Finding).
loss_found = Signal()

TOKEN_PREFIX = "muster-audit-checkpoint"
_TIME_FORMAT = "%Y%m%dT%H%M%SZ"
_TOKEN = re.compile(
    TOKEN_PREFIX + r":(\d{1,10}):(\d{1,19}):(\d{1,19}):([0-9a-f]{64}):(\d{8}T\d{6}Z):([0-9a-f]{64})"
)


class LossFound(Exception):
    """The record lacks records an earlier checkpoint covers."""

    def __init__(self, findings: list["Finding"]):
        super().__init__(" ".join(f.detail for f in findings))
        self.findings = findings


@dataclass(frozen=True)
class Head:
    """One checkpoint, as stored or as copied from the log or an email."""

    number: int
    last_event_id: int
    event_count: int
    head_hash: str
    at: datetime.datetime
    signature: str

    @classmethod
    def of(cls, checkpoint: AuditCheckpoint) -> "Head":
        return cls(checkpoint.number, checkpoint.last_event_id, checkpoint.event_count,
                   checkpoint.head_hash, checkpoint.at, checkpoint.signature)

    @property
    def token(self) -> str:
        return (f"{TOKEN_PREFIX}:{self.number}:{self.last_event_id}:{self.event_count}:"
                f"{self.head_hash}:{self.at.astimezone(datetime.UTC):{_TIME_FORMAT}}:"
                f"{self.signature}")

    @property
    def label(self) -> str:
        when = self.at.astimezone(datetime.UTC)
        return (f"checkpoint {self.number} (record {self.last_event_id}, "
                f"{self.event_count} records, {when:%Y-%m-%d %H:%M} UTC)")

    def is_signed(self) -> bool:
        expected = sign(self.number, self.last_event_id, self.event_count, self.head_hash,
                        self.at)
        return hmac.compare_digest(expected, self.signature)


def sign(number: int, last_event_id: int, event_count: int, head_hash: str,
         at: datetime.datetime) -> str:
    message = (f"{TOKEN_PREFIX}:v1:{number}:{last_event_id}:{event_count}:{head_hash}:"
               f"{at.astimezone(datetime.UTC):{_TIME_FORMAT}}")
    return hmac.new(settings.AUDIT_CHECKPOINT_KEY.encode(), message.encode(),
                    hashlib.sha256).hexdigest()


def parse(text: str) -> list[Head]:
    """Every checkpoint token in `text` (one token, a log file, a saved email)."""
    heads = []
    for number, last_id, count, head_hash, at, signature in _TOKEN.findall(text):
        moment = datetime.datetime.strptime(at, _TIME_FORMAT).replace(tzinfo=datetime.UTC)
        heads.append(Head(int(number), int(last_id), int(count), head_hash, moment, signature))
    return heads


@dataclass(frozen=True)
class Finding:
    summary: str  # a few words, for the command's last line
    detail: str  # the whole sentence, for the log, the email and the operator

    def __str__(self) -> str:
        return self.detail


def findings(head: Head) -> list[Finding]:
    """What in the record contradicts `head` (empty: the record still holds what it covers)."""
    n = head.number
    if not head.is_signed():
        return [Finding(f"checkpoint {n} is not signed with this server's key",
                        f"Checkpoint {n} is not signed with this server's AUDIT_CHECKPOINT_KEY: "
                        "it was forged or altered, or made with another key.")]
    if head.event_count == 0:
        return []
    if not AuditEvent.objects.exists():
        return [Finding(f"the audit record is empty, but checkpoint {n} covers "
                        f"{head.event_count} records",
                        f"The audit record is empty, but {head.label} covers "
                        f"{head.event_count} records.")]
    kept = AuditEvent.objects.filter(pk__lte=head.last_event_id).count()
    stored_hash = (AuditEvent.objects.filter(pk=head.last_event_id)
                   .values_list("hash", flat=True).first())
    if stored_hash is None or kept < head.event_count:
        last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
        gone = "is gone" if stored_hash is None else "is there"
        return [Finding(f"records missing after checkpoint {n}",
                        f"Records missing after checkpoint {n}: {head.label} covers "
                        f"{head.event_count} records up to record {head.last_event_id}; that "
                        f"record {gone}, {kept} records up to it remain, and the record now "
                        f"ends at record {last}.")]
    if stored_hash != head.head_hash:
        return [Finding(f"record {head.last_event_id} does not match checkpoint {n}",
                        f"Record {head.last_event_id} does not match {head.label}: the record "
                        "was rewritten up to there.")]
    return []


def latest() -> AuditCheckpoint | None:
    return AuditCheckpoint.objects.order_by("-number", "-id").first()


def make(*, accept_loss: bool = False) -> AuditCheckpoint:
    """Sign and store the chain's head now; log it and announce it once committed.

    Refused (LossFound, after logging an error and sending `loss_found`) when records the
    previous checkpoint covers are gone, unless accept_loss: after a restore from a backup
    older than the last checkpoint, say, where the loss is known and accounted for."""
    with transaction.atomic():
        lock_chain()
        previous = latest()
        found = findings(Head.of(previous)) if previous else []
        if not found or accept_loss:
            return _store(previous, found)
    _raise_alarm(found)


def _store(previous: AuditCheckpoint | None, accepted_loss: list[Finding]) -> AuditCheckpoint:
    head = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
    last_id, head_hash = head or (0, GENESIS_HASH)
    count = AuditEvent.objects.count()
    at = clock.now().astimezone(datetime.UTC).replace(microsecond=0)
    number = previous.number + 1 if previous else 1
    checkpoint = AuditCheckpoint.objects.create(
        number=number, at=at, last_event_id=last_id, event_count=count,
        head_hash=head_hash, signature=sign(number, last_id, count, head_hash, at),
        request_id=correlation.current(),
    )
    token = Head.of(checkpoint).token
    checkpoint_written.send(sender=AuditCheckpoint, checkpoint=checkpoint, token=token,
                            accepted_loss=accepted_loss)
    # Only a committed checkpoint may reach the log: a rolled-back one (a simulated sweep)
    # would later read as records missing.
    transaction.on_commit(lambda: _log(checkpoint, token, accepted_loss))
    return checkpoint


def _log(checkpoint: AuditCheckpoint, token: str, accepted_loss: list[Finding]) -> None:
    if accepted_loss:
        log.warning("Audit checkpoint %s made over a known loss: %s", checkpoint.number,
                    " ".join(f.detail for f in accepted_loss))
    log.info("Audit checkpoint %s (record %s, %s records): %s", checkpoint.number,
             checkpoint.last_event_id, checkpoint.event_count, token)


def _raise_alarm(found: list[Finding]) -> NoReturn:
    for finding in found:
        log.error("Audit checkpoint refused: %s", finding.detail)
    # Its own transaction (or savepoint): the alarm email stays though no checkpoint does.
    with transaction.atomic():
        loss_found.send(sender=AuditCheckpoint, findings=found)
    raise LossFound(found)
