"""Prometheus metrics (prometheus-client): request latency by view, and Muster's own gauges.

- Request latency: a histogram labelled by the view's name (the URL pattern's, never the
  raw path: no ids, tokens or personal data in a label, and a bounded number of series),
  the method and the status class, recorded by `RequestMetrics` for every request.
- Muster's gauges (`MusterCollector`) are computed when Prometheus scrapes, from the
  database, with a fixed handful of indexed queries however large the site.
- Under gunicorn, each worker process keeps its own counts: with PROMETHEUS_MULTIPROC_DIR
  set (before the process starts) they are written to files there and every scrape adds
  them up, whichever worker answers. gunicorn's `child_exit` hook
  (muster/operations/gunicorn_hooks.py) tidies a dead worker's files.
"""

import datetime
import logging
import time

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Exists, Min, OuterRef, Q
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from muster import clock
from muster.access.queries import EXPIRING_SOON_DAYS
from muster.closeout.models import SweepRun
from muster.contracts.models import Contract, DataUseAgreement
from muster.contracts.queries import OPEN_STAGES
from muster.notifications import heartbeat
from muster.notifications.models import OutboxEmail
from muster.timeline import queries as timeline

log = logging.getLogger("muster.requests")

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# Not in prometheus-client's default registry: each scrape builds its own (exposition()),
# from this process's histogram or, under gunicorn, from every worker's files.
REQUEST_SECONDS = Histogram(
    "muster_http_request_duration_seconds",
    "Time to answer a request, by view (URL pattern name), method and status class.",
    ["view", "method", "status"],
    registry=None,
)


def view_label(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or "unnamed"
    if request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return "static"
    return "unmatched"


class RequestMetrics:
    """Times each request into REQUEST_SECONDS and, with LOG_REQUESTS on, logs one line
    for it (view, method, status, milliseconds: no path, no query string). Near the top of
    MIDDLEWARE, so it times the other middleware too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        view = view_label(request)
        method = request.method if request.method in METHODS else "other"
        REQUEST_SECONDS.labels(view, method, f"{response.status_code // 100}xx").observe(seconds)
        if settings.LOG_REQUESTS:
            log.info("%s %s %s %.0fms", method, view, response.status_code, seconds * 1000,
                     extra={"view": view, "method": method, "status": response.status_code,
                            "duration_ms": round(seconds * 1000, 1)})
        return response


def _timestamp(moment: datetime.datetime | None) -> float:
    return moment.timestamp() if moment else 0.0


def _gauge(name: str, documentation: str, value: float | None) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(name, documentation)
    if value is not None:
        gauge.add_metric([], value)
    return gauge


class MusterCollector:
    """Muster's own gauges, read at scrape time: five queries. If the database does not
    answer, the scrape still succeeds with muster_database_up 0 (the request metrics are
    what one wants to see then)."""

    def describe(self):
        return []  # no queries when the collector is registered

    def collect(self):
        try:
            gauges = list(self._gauges())
        except DatabaseError as error:
            log.warning("Metrics: the database did not answer (%s)", type(error).__name__)
            yield _gauge("muster_database_up", "1 when the database answered the scrape.", 0)
            return
        yield _gauge("muster_database_up", "1 when the database answered the scrape.", 1)
        yield from gauges

    def _gauges(self):
        now, today = clock.now(), clock.today()
        waiting = Q(status__in=[OutboxEmail.Status.PENDING, OutboxEmail.Status.SENDING])
        emails = OutboxEmail.objects.aggregate(
            pending=Count("pk", filter=waiting),
            failed=Count("pk", filter=Q(status=OutboxEmail.Status.FAILED)),
            oldest=Min("created_at", filter=waiting),
        )
        yield _gauge("muster_emails_pending", "Emails waiting to be sent (or being sent).",
                     emails["pending"])
        yield _gauge("muster_emails_failed", "Emails Muster gave up on: the team must act.",
                     emails["failed"])
        oldest = emails["oldest"]
        yield _gauge("muster_emails_oldest_pending_seconds",
                     "Age of the oldest email not yet sent (0 when none waits).",
                     max((now - oldest).total_seconds(), 0) if oldest else 0)

        overdue = timeline.overdue(today).filter(contract__stage__in=OPEN_STAGES).count()
        yield _gauge("muster_steps_overdue", "Open steps past their due date, on open "
                     "contracts (the timeline's 'Overdue').", overdue)

        # SweepRun records when each run started and finished: its duration is the gap.
        last = (SweepRun.objects.filter(finished_at__isnull=False)
                .order_by("-finished_at").only("started_at", "finished_at").first())
        finished = last.finished_at if last else None
        yield _gauge("muster_sweep_last_finished_timestamp_seconds",
                     "When the last daily sweep finished (Unix time; 0: never).",
                     _timestamp(finished))
        yield _gauge("muster_sweep_last_duration_seconds", "How long the last daily sweep took.",
                     (finished - last.started_at).total_seconds() if last and finished else None)

        yield _gauge("muster_duas_expiring_soon",
                     f"Open contracts whose Data Use Agreement expires within "
                     f"{EXPIRING_SOON_DAYS} days, with no valid one lasting longer.",
                     self._duas_expiring(today))

        seen = heartbeat.last_seen()
        yield _gauge("muster_worker_last_seen_seconds",
                     "Seconds since a background worker was last seen alive (absent: never).",
                     max((now - seen).total_seconds(), 0) if seen else None)

    @staticmethod
    def _duas_expiring(today: datetime.date) -> int:
        horizon = today + datetime.timedelta(days=EXPIRING_SOON_DAYS)
        valid = DataUseAgreement.objects.filter(
            contract=OuterRef("pk"), invalidated_at__isnull=True, intake_draft=False)
        return Contract.objects.filter(
            Exists(valid.filter(expiry_date__gte=today, expiry_date__lte=horizon)),
            ~Exists(valid.filter(expiry_date__gt=horizon)),
            stage__in=OPEN_STAGES,
        ).count()


def registry() -> CollectorRegistry:
    """What one scrape reports: every process's request metrics, and Muster's gauges."""
    scrape = CollectorRegistry(auto_describe=False)
    if settings.PROMETHEUS_MULTIPROC_DIR:
        MultiProcessCollector(scrape, path=settings.PROMETHEUS_MULTIPROC_DIR)
    else:
        scrape.register(REQUEST_SECONDS)
    scrape.register(MusterCollector())
    return scrape


def exposition() -> tuple[bytes, str]:
    return generate_latest(registry()), CONTENT_TYPE_LATEST

