"""Errors to Sentry (sentry-sdk) when SENTRY_DSN is set; settings.py calls `init`.

Sentry is told nothing personal: send_default_pii off (no user, no IP, no cookies from the
SDK's side), no local variables of stack frames (they would hold names, emails, contract
data), and `before_send` removes whatever the request still carries (cookies, headers,
query string, body) and any email address left in messages and exception values. The
request id (a tag) ties an event to the log lines and audit events of the same request.
"""

from typing import Any

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration

from muster.audit import correlation

from .logs import scrub_emails, scrub_url_parts

_REQUEST_KEEPS = ("method", "url")


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_emails(value)
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def before_send(event: dict, hint: dict | None = None) -> dict:
    request = event.get("request")
    if request:
        event["request"] = {k: scrub_url_parts(str(request[k]))
                            for k in _REQUEST_KEEPS if request.get(k)}
    user = event.get("user")
    if user:
        event["user"] = {"id": user["id"]} if user.get("id") else {}
    action_id = correlation.current()
    if action_id:
        event.setdefault("tags", {})["request_id"] = action_id
    return _scrub(event)


def before_breadcrumb(crumb: dict, hint: dict | None = None) -> dict:
    if crumb.get("category") == "http" or "url" in crumb.get("data", {}):
        crumb["data"] = {k: scrub_url_parts(str(v)) if isinstance(v, str) else v
                         for k, v in crumb.get("data", {}).items()}
    return _scrub(crumb)


def init(dsn: str, *, environment: str, release: str | None,
         traces_sample_rate: float) -> None:
    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        environment=environment,
        release=release or None,
        traces_sample_rate=traces_sample_rate,
        before_send=before_send,  # type: ignore[arg-type]
        before_send_transaction=before_send,  # type: ignore[arg-type]
        before_breadcrumb=before_breadcrumb,
    )
