"""Every write of the webhooks: the team's endpoints (register, change, disable, rotate the
secret, delete), the deliveries the audit record's listener queues, and a replay. One
function each, taking the actor, in one transaction with its audit record."""

import uuid

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from muster import after_commit, clock
from muster.accounts import permissions
from muster.audit import services as audit
from muster.audit.models import AuditEvent
from muster.errors import DomainError, NotAllowed

from . import events, sending
from .addresses import url_problem
from .models import Delivery, Endpoint, EventType, new_secret
from .tasks import kick_worker

DESCRIPTION_MAX_LENGTH = 200


class WebhookError(DomainError):
    """A webhook action that is not possible (the message tells why)."""


def _require(actor) -> None:
    if not permissions.may_manage_webhooks(actor):
        raise NotAllowed("Only the onboarding team, its lead and administrators manage "
                         "webhooks.")


# --- Endpoints ---------------------------------------------------------------------------


def _clean(url: str, description: str, event_types) -> tuple[str, str, list[str]]:
    url, description = url.strip(), " ".join(description.split())
    problem = url_problem(url)
    if problem:
        raise WebhookError(problem, "url")
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise WebhookError("Keep the description to 200 characters.", "description")
    chosen = [t for t in EventType.values if t in set(event_types)]
    if not chosen or len(chosen) != len(set(event_types)):
        raise WebhookError("Choose at least one event type.", "event_types")
    return url, description, chosen


def _snapshot(endpoint: Endpoint) -> dict:
    # Never the secret: the audit record is read by more people than the team.
    return {"url": endpoint.url, "description": endpoint.description,
            "event_types": endpoint.event_types, "is_active": endpoint.is_active}


@transaction.atomic
def register(actor, *, url: str, description: str, event_types) -> tuple[Endpoint, str]:
    """A new endpoint, active, with a fresh signing secret: (endpoint, secret). The
    secret is shown to the person once, now."""
    _require(actor)
    url, description, chosen = _clean(url, description, event_types)
    now = clock.now()
    endpoint = Endpoint.objects.create(
        url=url, description=description, event_types=chosen, created_by=actor,
        created_at=now, updated_at=now, secret_rotated_at=now,
    )
    audit.record(actor, "webhooks.endpoint_registered", endpoint,
                 f"Registered webhook endpoint {url}", after=_snapshot(endpoint))
    return endpoint, endpoint.secret


def _locked(endpoint: Endpoint) -> Endpoint:
    return Endpoint.objects.select_for_update().get(pk=endpoint.pk)


@transaction.atomic
def update(actor, endpoint: Endpoint, *, url: str, description: str,
           event_types) -> Endpoint:
    _require(actor)
    endpoint = _locked(endpoint)
    before = _snapshot(endpoint)
    endpoint.url, endpoint.description, endpoint.event_types = _clean(url, description,
                                                                      event_types)
    old, new = audit.changed(before, _snapshot(endpoint))
    if not new:
        return endpoint
    endpoint.updated_at = clock.now()
    endpoint.save()
    audit.record(actor, "webhooks.endpoint_changed", endpoint,
                 f"Changed webhook endpoint {endpoint.url}: {', '.join(new)}",
                 before=old, after=new)
    return endpoint


@transaction.atomic
def set_active(actor, endpoint: Endpoint, active: bool) -> Endpoint:
    """Enable or disable. A disabled endpoint gets no new deliveries; those already queued
    wait (sending skips them) and go out once it is enabled again."""
    _require(actor)
    endpoint = _locked(endpoint)
    if endpoint.is_active == active:
        return endpoint
    endpoint.is_active, endpoint.updated_at = active, clock.now()
    endpoint.save(update_fields=["is_active", "updated_at"])
    verb = "Enabled" if active else "Disabled"
    audit.record(actor, f"webhooks.endpoint_{verb.lower()}", endpoint,
                 f"{verb} webhook endpoint {endpoint.url}",
                 before={"is_active": not active}, after={"is_active": active})
    if active:
        transaction.on_commit(kick_worker)
    return endpoint


@transaction.atomic
def rotate_secret(actor, endpoint: Endpoint) -> str:
    """A new signing secret, used from the next attempt on (the old one stops at once):
    returns it, to be shown once."""
    _require(actor)
    endpoint = _locked(endpoint)
    endpoint.secret, endpoint.secret_rotated_at = new_secret(), clock.now()
    endpoint.updated_at = endpoint.secret_rotated_at
    endpoint.save(update_fields=["secret", "secret_rotated_at", "updated_at"])
    audit.record(actor, "webhooks.secret_rotated", endpoint,
                 f"Rotated the signing secret of webhook endpoint {endpoint.url}")
    return endpoint.secret


@transaction.atomic
def delete(actor, endpoint: Endpoint) -> None:
    """Remove the endpoint and its deliveries; the audit record keeps that it existed."""
    _require(actor)
    endpoint = _locked(endpoint)
    count = endpoint.deliveries.count()
    audit.record(actor, "webhooks.endpoint_deleted", endpoint,
                 f"Deleted webhook endpoint {endpoint.url} and its {count} deliveries",
                 before=_snapshot(endpoint))
    endpoint.delete()


# --- Deliveries --------------------------------------------------------------------------


def queue_deliveries(event: AuditEvent) -> list[Delivery]:
    """The audit record's listener: one delivery per active endpoint that wants the event's
    type, written in the change's own transaction (it commits or rolls back with the
    change); the worker is kicked once the transaction commits."""
    event_type = events.classify(event)
    if event_type is None:
        return []
    endpoints = [e for e in _active_endpoints() if e.wants(event_type)]
    if not endpoints:
        return []
    common = events.body(event, event_type)
    now = clock.now()
    deliveries = []
    for endpoint in endpoints:
        delivery_id = uuid.uuid4()
        deliveries.append(Delivery(
            endpoint=endpoint, event_type=event_type, audit_event=event,
            delivery_id=delivery_id, payload={"id": str(delivery_id), **common},
            next_attempt_at=now, created_at=now, updated_at=now,
        ))
    Delivery.objects.bulk_create(deliveries)
    _kick_after_commit()
    return deliveries


class _EndpointsReadHere:
    """The active endpoints this transaction read (the daily sweep records hundreds of
    events, each would read them again). Kept in the connection's commit callbacks, as the
    audit record keeps its chain head: it goes with the transaction (commit or rollback),
    and with a savepoint that rolls back. A write of an endpoint empties it."""

    __slots__ = ("endpoints",)

    def __init__(self, endpoints: list[Endpoint] | None):
        self.endpoints = endpoints

    def __call__(self) -> None:
        pass


def _read_here() -> list[_EndpointsReadHere]:
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        return []
    return [entry[1] for entry in conn.run_on_commit if isinstance(entry[1], _EndpointsReadHere)]


def _active_endpoints() -> list[Endpoint]:
    """The active endpoints, read once per transaction (each event outside one reads them)."""
    for kept in reversed(_read_here()):
        if kept.endpoints is not None:
            return kept.endpoints
    endpoints = list(Endpoint.objects.filter(is_active=True))
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_EndpointsReadHere(endpoints))
    return endpoints


@receiver(post_save, sender=Endpoint, dispatch_uid="webhooks-endpoints-read-again")
@receiver(post_delete, sender=Endpoint, dispatch_uid="webhooks-endpoints-read-again-deleted")
def _read_again(**kwargs) -> None:
    """An endpoint written in this transaction: its next event reads them afresh."""
    for kept in _read_here():
        kept.endpoints = None


def _kick_after_commit() -> None:
    """One delivery run per transaction, however many deliveries it queued."""
    after_commit.once(kick_worker)


@transaction.atomic
def replay(actor, delivery: Delivery) -> Delivery:
    """Send the delivery again, now, with the same delivery id and body (and a fresh count
    of attempts). Refused while a worker is sending it."""
    _require(actor)
    delivery = Delivery.objects.select_for_update().select_related("endpoint").get(
        pk=delivery.pk)
    now = clock.now()
    if delivery.claimed_at is not None and delivery.claimed_at > now - sending.CLAIM_TIMEOUT:
        raise WebhookError("This delivery is being sent right now: look again in a minute.")
    if not delivery.endpoint.is_active:
        raise WebhookError("This endpoint is disabled: enable it first, then send again.")
    before = {"status": delivery.status, "attempts": delivery.attempts}
    delivery.status, delivery.attempts = Delivery.Status.PENDING, 0
    delivery.next_attempt_at = delivery.updated_at = delivery.replayed_at = now
    delivery.claimed_at = None
    delivery.save()
    audit.record(actor, "webhooks.delivery_replayed", delivery,
                 f"Asked to send {delivery.event_type} delivery {delivery.delivery_id} again "
                 f"to {delivery.endpoint.url}", contract=delivery.audit_event.contract,
                 before=before, after={"status": delivery.status})
    transaction.on_commit(kick_worker)
    return delivery
