"""API v1: the audit record.

- A contract's events (`/contracts/{id}/events`, on the contracts router): what its history
  page shows, to whom it shows it (Action.VIEW_HISTORY), newest first, cursor-paged.
- The stream of every event since a cursor (`/events?after=`), oldest first, for the
  agency's SIEM: for those who see every contract (the onboarding team, its lead and
  administrators). A poller keeps `next` and asks again from it. Ids are a stable cursor:
  every append takes the chain's lock (audit.services.lock_chain) until its transaction
  ends, so events become visible in the order of their ids and a poll never skips one
  that commits later. Each answer carries the latest signed checkpoint of the chain.
"""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import ValidationError
from ninja.pagination import paginate

from muster.accounts import permissions
from muster.accounts.permissions import Action
from muster.audit import checkpoints, correlation
from muster.audit.models import AuditCheckpoint, AuditEvent
from muster.contracts import queries

from ..problems import COMMON, WITH_OBJECT
from .contracts import router as contracts_router
from .schemas import Cursors

router = Router(tags=["events"])


class Event(Schema):
    """One audit event. `hash` is SHA-256 over its content and `prev_hash`, the previous
    event's hash: an edited or missing event breaks the chain."""

    id: int
    at: datetime.datetime
    actor: str  # name and email, or "Muster (system)"
    actor_id: int | None
    action: str  # e.g. "timeline.step_completed"
    summary: str
    object_type: str  # app.model, e.g. "timeline.contractstep"
    object_id: str
    object_repr: str
    contract_id: int | None
    before: dict[str, Any]
    after: dict[str, Any]
    channel: str  # "" (a page, a command, a task), "api" or "scim"
    request_id: str  # the request or run that caused it: events of one action share it
    hash: str
    prev_hash: str

    @staticmethod
    def resolve_actor(obj: AuditEvent) -> str:
        return obj.actor_label


# --- A contract's events -------------------------------------------------------------------


@contracts_router.get(
    "/{contract_id}/events", response={200: list[Event], **WITH_OBJECT},
    operation_id="list_contract_events", url_name="list_contract_events", tags=["events"],
    summary="A contract's audit events, newest first")
@paginate(Cursors, ordering=("-id",))
def list_contract_events(request: HttpRequest, contract_id: int,
                         request_id: str | None = Query(
                             None, max_length=correlation.MAX_LENGTH,
                             description="Only the events of one action (an event's "
                                         "`request_id`)")):
    """For those the contract's history page is for: its COR, the onboarding team, its
    lead and administrators."""
    contract = permissions.contract_for(request.user, contract_id, Action.VIEW_HISTORY)
    if request_id is not None and not correlation.is_sane(request_id):
        raise ValidationError([{"loc": ("query", "request_id"),
                                "msg": "A request id is 8 to 64 letters, digits and . _ : -"}])
    return queries.history(contract, request_id or "")


# --- The stream, for the SIEM ------------------------------------------------------------


class Checkpoint(Schema):
    """A signed statement of the chain's head (audit/checkpoints.py): `token` is what the
    log and the audit mailbox keep; `manage.py verify_audit` checks the record against it."""

    number: int
    at: datetime.datetime
    last_event_id: int
    event_count: int
    head_hash: str
    signature: str
    token: str

    @staticmethod
    def resolve_token(obj: AuditCheckpoint) -> str:
        return checkpoints.Head.of(obj).token


class Stream(Schema):
    events: list[Event]
    next: int  # ask again with after=next
    more: bool  # more events wait past this answer: ask again at once
    checkpoint: Checkpoint | None  # the latest, if one was made


@router.get("", response={200: Stream, **COMMON}, operation_id="audit_stream",
            url_name="audit_stream", summary="Every audit event since a cursor (for a SIEM)")
def audit_stream(request: HttpRequest,
                 after: int = Query(0, ge=0, description="The last id you have (0: from the "
                                                         "start)"),
                 limit: int = Query(100, ge=1, le=1000)):
    """Oldest first. For the onboarding team, its lead and administrators."""
    # Those who see every contract: the stream holds every contract's events.
    if not permissions.sees_every_contract(request.user):
        raise PermissionDenied("The audit stream is for the onboarding team, its lead and "
                               "administrators.")
    found = list(AuditEvent.objects.filter(id__gt=after).order_by("id")[:limit + 1])
    events = found[:limit]
    return {"events": events, "next": events[-1].pk if events else after,
            "more": len(found) > limit, "checkpoint": checkpoints.latest()}

