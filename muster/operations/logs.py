"""Log lines: JSON (one object a line) or plain text, each with its request id, and no
personal data or secrets.

- `RequestContext` (a handler filter, so it sees every record, Django's and gunicorn's
  too) stamps each record with the id of the request, command run or task under way
  (muster.audit.correlation), drops the `request` object Django attaches (its repr holds
  the query string), and on the web servers' loggers masks query strings (searches,
  `?next=`) and the secret part of token links (invitations, calendar feeds, password
  resets) in the message.
- The formatters mask anything shaped like an email address in the finished line,
  tracebacks included (a database error can quote a row's values).
Settings choose one with LOG_FORMAT (json or text); muster/settings.py wires them.
"""

import logging
import re

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from muster.audit import correlation

# An address's domain ends in letters: "muster@1.2.3" (a release) is not one.
EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}\b")
QUERY = re.compile(r"\?[^\s\"']*")
# Paths whose segment is a secret: an invitation, a calendar feed, a password reset key,
# an email confirmation key.
SECRET_SEGMENT = re.compile(
    r"(/invitation/)(?!new/|contracts/)[^/\s\"'?]+"
    r"|(/calendar/)[^/\s\"'?]+"
    r"|(/password/reset/key/)(?!done/)[^/\s\"'?]+"
    r"|(/confirm-email/)[^/\s\"'?]+"
)
WEB_LOGGERS = ("django.request", "django.server", "django.security", "gunicorn")


def scrub_url_parts(text: str) -> str:
    """`text` without query strings and with token segments hidden."""
    text = QUERY.sub("?[hidden]", text)
    return SECRET_SEGMENT.sub(lambda m: next(g for g in m.groups() if g) + "[hidden]", text)


def scrub_emails(text: str) -> str:
    return EMAIL.sub("[email]", text)


class RequestContext(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        request = record.__dict__.pop("request", None)
        if not getattr(record, "request_id", None):
            # Django logs a response's status after the middleware has returned (outside
            # the request's scope): the request itself still knows its id.
            record.request_id = (correlation.current()
                                 or getattr(request, "request_id", None) or None)
        if record.name.startswith(WEB_LOGGERS):
            record.msg = scrub_url_parts(record.getMessage())
            record.args = None
        return True


class JsonFormatter(_JsonFormatter):
    """time (UTC, ISO 8601), level, logger, message, request_id, and any `extra` fields."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", ["levelname", "name", "message", "request_id"])
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")
        # Attributes no line needs (and gunicorn's or runserver's extras).
        kwargs.setdefault("reserved_attrs", [
            *logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys(),
            "message", "asctime", "server_time", "taskName", "color_message",
        ])
        super().__init__(*args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        return scrub_emails(super().format(record))


class TextFormatter(logging.Formatter):
    def __init__(self, fmt=None, *args, **kwargs):
        super().__init__(
            fmt or "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
            *args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = None
        return scrub_emails(super().format(record))
