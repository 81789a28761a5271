"""Probes and metrics: JSON or text for machines, open without signing in, read-only.

/healthz says the process answers (no database); /readyz says whether this instance can
serve (health.readiness); /metrics is Prometheus's, behind a bearer token (metrics.py).
None of them names a person; a GET or HEAD is all they take (405 otherwise)."""

import hmac

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from . import health, metrics


@login_not_required
@never_cache
@require_safe
def healthz(request):
    return JsonResponse({"status": "ok"})


@login_not_required
@never_cache
@require_safe
def readyz(request):
    ready, checks = health.readiness()
    failed = [name for name, answer in checks.items() if answer["ok"] is False]
    response = JsonResponse(
        {"status": "ready" if ready else "not ready", "failed": failed, "checks": checks},
        status=200 if ready else 503,
    )
    # A 503 here is an answer, not a server error: Django would log it as an ERROR (and
    # Sentry report it) on every probe, every few seconds, while the worker is away.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _bearer_matches(request, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode())


@login_not_required
@never_cache
@require_safe
def metrics_view(request):
    """Not public: with no METRICS_TOKEN set there is no such page; with one, the scraper
    must send it (compared in constant time)."""
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404
    if not _bearer_matches(request, token):
        response = HttpResponse("A bearer token is required.\n", status=401,
                                content_type="text/plain; charset=utf-8")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = metrics.exposition()
    return HttpResponse(body, content_type=content_type)
