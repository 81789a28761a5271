"""Writing to the audit record. Every service that changes something calls `record`."""

import datetime
import json
from collections.abc import Iterable
from typing import NamedTuple

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction

from muster import bulk, clock

from . import correlation, listeners
from .models import AuditEvent, content_digest

GENESIS_HASH = "0" * 64
# Any fixed 64-bit number: the PostgreSQL advisory lock that serializes the hash chain.
_CHAIN_LOCK_ID = 0x6D757374_65720001


def _json_safe(value: dict) -> dict:
    # Store exactly what was hashed: dates and decimals become the strings JSON keeps.
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict:
    """The named fields of obj as JSON-safe values (foreign keys by id)."""
    values = {}
    for name in fields:
        field = obj._meta.get_field(name)
        if not isinstance(field, models.Field):  # a reverse relation holds no value here
            raise TypeError(f"{name} is not a field of {type(obj).__name__}")
        values[name] = getattr(obj, field.attname)
    return _json_safe(values)


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose values differ, for a readable record."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def record(
    actor,
    action: str,
    obj: models.Model,
    summary: str,
    *,
    contract=None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Append one event, chained to the previous one. Call inside the change's transaction.

    No savepoint of its own: an event that cannot be written fails the change with it (a
    sweep's action records several events, each a SAVEPOINT and a RELEASE otherwise)."""
    with transaction.atomic(savepoint=False):
        last = _chain_head()
        event = AuditEvent(
            at=clock.now().astimezone(datetime.UTC),
            actor=actor if getattr(actor, "pk", None) else None,
            actor_label=_actor_label(actor),
            action=action,
            summary=summary[:300],
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            object_repr=str(obj)[:200],
            contract=contract,
            before=_json_safe(before or {}),
            after=_json_safe(after or {}),
            request_id=correlation.current(),
            channel=correlation.channel(),
            prev_hash=last,
        )
        event.hash = event.content_digest()
        event.save()
        _remember_head(event.hash)
        listeners.notify(event)
    return event


def lock_chain() -> None:
    """Serialize appends (and checkpoints) until the transaction ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_ID])


def _chain_head() -> str:
    """The last hash, with appends serialized until the transaction ends. Read once per
    transaction: its later appends (a sweep's action records several events) chain to the
    head this transaction left, which nobody else can move while it holds the lock."""
    known = _head_left_here()
    if known is not None:
        return known
    lock_chain()
    last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    return last or GENESIS_HASH


# record_many's columns, in the model's order after the id (see _event).
_COLUMNS = ("at", "actor_id", "actor_label", "action", "summary", "object_type", "object_id",
            "object_repr", "contract_id", "before", "after", "request_id", "channel",
            "prev_hash", "hash")


class _HeadLeftHere:
    """The hash this transaction appended last (and holds the chain's lock since). Kept in
    the connection's commit callbacks (as a callback that does nothing): Django drops the
    ones registered inside a savepoint that rolls back, exactly as the database drops
    that savepoint's events, so the last one left is always the true head."""

    __slots__ = ("hash",)

    def __init__(self, value: str):
        self.hash = value

    def __call__(self) -> None:
        pass


def _head_left_here() -> str | None:
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        return None
    for entry in reversed(conn.run_on_commit):
        if isinstance(entry[1], _HeadLeftHere):
            return entry[1].hash
    return None


def _remember_head(value: str) -> None:
    transaction.on_commit(_HeadLeftHere(value))


class Entry(NamedTuple):
    """One event of a batch (`record_many`), its object named by type, id and text."""

    action: str
    object_type: str
    object_id: object
    object_repr: str
    summary: str
    after: dict
    before: dict | None = None
    contract: models.Model | None = None  # None: the batch's contract


def entry(action: str, obj: models.Model, summary: str, *, contract=None,
          before: dict | None = None, after: dict | None = None) -> Entry:
    """The event `record` would write about obj, for `record_many` to append."""
    return Entry(action, obj._meta.label_lower, obj.pk, str(obj), summary, after or {},
                 before, contract)


def record_many(actor, contract, entries: Iterable[tuple]) -> None:
    """Append many events at once (a whole CSV import, a sweep's pauses), chained exactly
    as `record` chains them, one after the other. Entries are `Entry`s, or tuples of its
    first six fields; an entry's own contract, if any, stands for the batch's.

    The rows are hashed and inserted from plain values (no instance per event until they
    are written: tens of thousands of instances cost more than the hashing); the listeners
    then get each event as a saved instance, in order, as `record` gives them."""
    events = [Entry(*e) for e in entries]
    if not events:
        return
    with transaction.atomic(savepoint=False):
        prev = _chain_head()
        at = clock.now().astimezone(datetime.UTC)
        label = _actor_label(actor)
        request_id = correlation.current()
        channel = correlation.channel()
        actor_id = actor.pk if getattr(actor, "pk", None) else None
        rows: list[tuple] = []
        for e in events:
            summary, object_id, object_repr = e.summary[:300], str(e.object_id), e.object_repr[:200]
            about = e.contract or contract
            contract_id = about.pk if about is not None else None
            before = _json_safe(e.before) if e.before else {}
            after = _json_safe(e.after)
            digest = content_digest(
                prev, at=at, actor=actor_id, actor_label=label, action=e.action,
                summary=summary, object_type=e.object_type, object_id=object_id,
                object_repr=object_repr, contract=contract_id, before=before, after=after,
                request_id=request_id, channel=channel,
            )
            rows.append((at, actor_id, label, e.action, summary, e.object_type, object_id,
                         object_repr, contract_id, before, after, request_id, channel, prev,
                         digest))
            prev = digest
        ids = bulk.insert(AuditEvent, _COLUMNS, rows)
        _remember_head(prev)
        for pk, row in zip(ids, rows, strict=True):
            listeners.notify(_event(pk, row))


def _event(pk: int, row: tuple) -> AuditEvent:
    """A written row as a saved instance (positional: the model's fields in order)."""
    return AuditEvent.from_db(connection.alias, ("id", *_COLUMNS), (pk, *row))


def _actor_label(actor) -> str:
    if actor is None or not getattr(actor, "pk", None):
        return "Muster (system)"
    return f"{actor.get_full_name()} <{actor.email}>"[:200]


def verify_chain() -> list[AuditEvent]:
    """Events whose hash does not match their content or their predecessor (empty = intact)."""
    broken = []
    expected_prev = GENESIS_HASH
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != expected_prev or event.content_digest() != event.hash:
            broken.append(event)
        expected_prev = event.hash
    return broken
