"""Sending the deliveries: at least once, signed, with backoff.

A run claims a small batch of due deliveries (the outbox's pattern: `select_for_update(
skip_locked=True)` on PostgreSQL, compare-and-set on `claimed_at`), renews the claim and
counts the attempt just before each POST, and records the answer in its own commit. A
worker that dies leaves its claims; after CLAIM_TIMEOUT another run takes them over and
sends again, with the same delivery id. A 2xx answer is delivered; anything else (another
status, a refused connection, a timeout, a redirect, which is not followed) waits
BACKOFF[attempt] and is tried again, until MAX_ATTEMPTS, then it is given up. Once an
endpoint fails in a run, its other deliveries of that run wait for its next attempt, so a
slow or dead receiver costs one timeout per run and never holds up the others.

HTTP is the standard library's urllib.request: `requests` is not one of Muster's
dependencies (only of its test tools), and a POST with a timeout, no redirects and no
proxies from the environment needs nothing more.
"""

import datetime
import http.client
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import F, Min, Q

from muster import clock

from . import signing
from .addresses import url_problem
from .models import Attempt, Delivery

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
# After attempt n fails, the next waits BACKOFF[n - 1] (the last one repeats).
BACKOFF = [
    datetime.timedelta(minutes=1), datetime.timedelta(minutes=5),
    datetime.timedelta(minutes=30), datetime.timedelta(hours=2), datetime.timedelta(hours=6),
    datetime.timedelta(hours=12), datetime.timedelta(hours=24),
]
MAX_ATTEMPTS = 8  # 1 + 7 retries: the last about 45 hours after the first
# Longer than one send can take (the timeout, twice: connect and read), or a slow send
# could be taken over and repeated while it is still going.
CLAIM_TIMEOUT = datetime.timedelta(seconds=60)
BATCH_SIZE = 10
EXCERPT_BYTES = 2048
EXCERPT_CHARS = 500
USER_AGENT = "Muster-Webhooks/1"


def backoff(attempts: int) -> datetime.timedelta:
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def body_bytes(delivery: Delivery) -> bytes:
    """The body exactly as sent (and signed): compact JSON, keys in a fixed order."""
    return json.dumps(delivery.payload, cls=DjangoJSONEncoder, separators=(",", ":"),
                      sort_keys=True).encode()


@dataclass
class Report:
    delivered: int = 0
    retrying: int = 0
    gave_up: int = 0


@dataclass
class Answer:
    status_code: int | None = None
    excerpt: str = ""
    error: str = ""
    duration_ms: int = 0

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


# --- HTTP ----------------------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a new address: it fails the attempt (a receiver
    cannot send Muster's signed body somewhere else)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


# No ProxyHandler from the environment, no redirects, no file:// or ftp://.
_OPENER = urllib.request.OpenerDirector()
for _handler in (urllib.request.HTTPHandler, urllib.request.HTTPSHandler, _NoRedirects,
                 urllib.request.HTTPDefaultErrorHandler, urllib.request.HTTPErrorProcessor):
    _OPENER.add_handler(_handler())


def _excerpt(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="replace")
    text = "".join(c if c.isprintable() or c in "\n\t" else " " for c in text)
    return text[:EXCERPT_CHARS]


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to `url`: what came back (status and the start of the body), or why
    nothing did."""
    problem = url_problem(url)
    if problem:
        return Answer(error=f"Not sent: {problem}")
    # url_problem allowed http and https only, and the opener has no other handlers.
    request = urllib.request.Request(url, data=body, method="POST", headers={  # noqa: S310
        "Content-Type": "application/json", "User-Agent": USER_AGENT, **headers})
    started = time.monotonic()
    answer = Answer()
    try:
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
            answer.status_code = response.status
            answer.excerpt = _excerpt(response.read(EXCERPT_BYTES))
    except urllib.error.HTTPError as error:  # an answer all the same: 3xx, 4xx, 5xx
        answer.status_code = error.code
        try:
            answer.excerpt = _excerpt(error.read(EXCERPT_BYTES))
        except (OSError, http.client.HTTPException):
            pass
        finally:
            error.close()
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as error:
        reason = getattr(error, "reason", error)
        answer.error = f"{type(error).__name__}: {reason}"[:EXCERPT_CHARS]
    answer.duration_ms = int((time.monotonic() - started) * 1000)
    return answer


def headers_for(delivery: Delivery, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Muster-Event": delivery.event_type,
        "Muster-Delivery": str(delivery.delivery_id),
        signing.HEADER: signing.header(delivery.endpoint.secret, timestamp, body),
    }


# --- Claims --------------------------------------------------------------------------------


def _due(now) -> Q:
    waiting = Q(status__in=[Delivery.Status.PENDING, Delivery.Status.FAILED],
                next_attempt_at__lte=now, endpoint__is_active=True)
    return waiting & (Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))


def _claim(now, limit: int) -> list[int]:
    """Mark due deliveries as this run's; concurrent runs skip them. `now` is the claim."""
    with transaction.atomic(durable=True):
        rows = Delivery.objects.filter(_due(now)).order_by("next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        ids = list(rows.values_list("id", flat=True)[:limit])
        if not ids:
            return []
        Delivery.objects.filter(id__in=ids).filter(_due(now)).update(claimed_at=now)
        return list(Delivery.objects.filter(id__in=ids, claimed_at=now)
                    .order_by("next_attempt_at", "id").values_list("id", flat=True))


def _start_attempt(delivery: Delivery, claimed_at) -> datetime.datetime | None:
    """Renew the claim and count the attempt just before sending; None when another run
    has taken the delivery over (this one must not send it)."""
    renewed = clock.now()
    taken = Delivery.objects.filter(pk=delivery.pk, claimed_at=claimed_at).update(
        claimed_at=renewed, attempts=F("attempts") + 1)
    if not taken:
        return None
    delivery.attempts += 1
    return renewed


# --- A run ---------------------------------------------------------------------------------


def deliver_due(limit: int = 1000, on_claim=None) -> Report:
    """Send what is due now, a batch at a time, up to `limit` deliveries. `on_claim(at)`
    is called after each batch is claimed (the task schedules its takeover there)."""
    report = Report()
    failed_endpoints: dict[int, datetime.datetime] = {}
    handled = 0
    while handled < limit:
        now = clock.now()
        ids = _claim(now, min(BATCH_SIZE, limit - handled))
        if not ids:
            break
        if on_claim is not None:
            on_claim(now)
        handled += len(ids)
        deliveries = Delivery.objects.select_related("endpoint").in_bulk(ids)
        for delivery_id in ids:
            delivery = deliveries[delivery_id]
            if delivery.endpoint_id in failed_endpoints:
                _postpone(delivery, now, failed_endpoints[delivery.endpoint_id])
                continue
            retry_at = _deliver_one(delivery, now, report)
            if retry_at is not None:
                failed_endpoints[delivery.endpoint_id] = retry_at
    return report


def _postpone(delivery: Delivery, claimed_at, until: datetime.datetime) -> None:
    """Its endpoint just failed: wait for the endpoint's next attempt, no attempt counted."""
    Delivery.objects.filter(pk=delivery.pk, claimed_at=claimed_at).update(
        claimed_at=None, next_attempt_at=max(until, delivery.next_attempt_at))


def _deliver_one(delivery: Delivery, claimed_at, report: Report) -> datetime.datetime | None:
    """Send one delivery and record the answer; when it failed, when it is tried again
    (None: delivered, given up, or not this run's to send)."""
    if delivery.attempts >= MAX_ATTEMPTS:  # workers stopped while sending it every time
        _record(delivery, claimed_at, Answer(error="A worker stopped while sending this "
                                                   f"delivery {MAX_ATTEMPTS} times."), report)
        return None
    claimed_at = _start_attempt(delivery, claimed_at)
    if claimed_at is None:
        return None
    body = body_bytes(delivery)
    timestamp = int(clock.now().timestamp())
    answer = post(delivery.endpoint.url, body, headers_for(delivery, body, timestamp))
    return _record(delivery, claimed_at, answer, report)


def _record(delivery: Delivery, claimed_at, answer: Answer,
            report: Report) -> datetime.datetime | None:
    now = clock.now()
    fields: dict = {"claimed_at": None, "updated_at": now,
                    "last_status_code": answer.status_code,
                    "last_response_excerpt": answer.excerpt, "last_error": answer.error}
    retry_at = None
    if answer.delivered:
        fields.update(status=Delivery.Status.DELIVERED, delivered_at=now)
        report.delivered += 1
    elif delivery.attempts >= MAX_ATTEMPTS:
        fields.update(status=Delivery.Status.GAVE_UP)
        report.gave_up += 1
    else:
        retry_at = now + backoff(delivery.attempts)
        fields.update(status=Delivery.Status.FAILED, next_attempt_at=retry_at)
        report.retrying += 1
    with transaction.atomic(durable=True):
        Delivery.objects.filter(pk=delivery.pk, claimed_at=claimed_at).update(**fields)
        # Locked (or gone): the team may have deleted the endpoint while this was sent.
        if Delivery.objects.select_for_update().filter(pk=delivery.pk).exists():
            Attempt.objects.create(delivery=delivery, at=now, status_code=answer.status_code,
                                   error=answer.error, duration_ms=answer.duration_ms)
    if not answer.delivered:
        log.warning("Webhook delivery %s to endpoint %s failed (attempt %s): %s",
                    delivery.delivery_id, delivery.endpoint_id, delivery.attempts,
                    answer.status_code or answer.error)
    return retry_at


def next_retry_at() -> datetime.datetime | None:
    """When a run should look again: the first waiting delivery of an active endpoint, or
    the first claim left by a run that stopped (due once it times out)."""
    live = Delivery.objects.filter(endpoint__is_active=True,
                                   status__in=[Delivery.Status.PENDING, Delivery.Status.FAILED])
    found = live.aggregate(waiting=Min("next_attempt_at", filter=Q(claimed_at__isnull=True)),
                           stuck=Min("claimed_at"))
    candidates = [at for at in (found["waiting"],
                                found["stuck"] and found["stuck"] + CLAIM_TIMEOUT) if at]
    return min(candidates) if candidates else None
