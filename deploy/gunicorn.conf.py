"""gunicorn's settings for Muster in production (`make serve`, and every instance behind the
load balancer):

    MUSTER_ENV=production ... .venv/bin/gunicorn -c deploy/gunicorn.conf.py

Read from the environment (docs/deploy.md has the whole table):
  GUNICORN_BIND              address(es) to listen on, comma-separated (127.0.0.1:8000);
                             an internal address only: the load balancer ends TLS and sets
                             X-Forwarded-Proto, which Muster trusts
  GUNICORN_WORKERS           worker processes (else WEB_CONCURRENCY; else 2 x cores + 1, at
                             most 8: each holds a database connection)
  GUNICORN_TIMEOUT           seconds a request may take before its worker is restarted (30)
  GUNICORN_GRACEFUL_TIMEOUT  seconds a stopping worker has to finish its requests (30)
  GUNICORN_ACCESS_LOG        gunicorn's own access log ("-": standard output; "off", the
                             default: Muster logs each request itself, as JSON, LOG_REQUESTS)
  PROMETHEUS_MULTIPROC_DIR   where the workers keep their metrics (var/prometheus)
"""

import os
import re
import sys
from pathlib import Path

from gunicorn.glogging import Logger

# The project folder, wherever gunicorn is started from.
chdir = str(Path(__file__).resolve().parents[1])
sys.path.insert(0, chdir)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "muster.settings")
# Several worker processes: each writes its request metrics to this folder and a scrape
# adds them up (prometheus-client reads the variable when first imported, in the workers).
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(
    Path(os.environ.get("MUSTER_VAR_DIR", Path(chdir) / "var")) / "prometheus"))
wsgi_app = "muster.wsgi:application"

# Refuse unsafe production settings here, in the master, in one line, instead of every
# worker failing to boot with a traceback (muster/settings.py says what it refuses).
from django.conf import settings  # noqa: E402
from django.core.exceptions import ImproperlyConfigured  # noqa: E402

try:
    settings.SECRET_KEY  # noqa: B018 (reading a setting imports the settings module)
except ImproperlyConfigured as error:
    sys.exit(f"ImproperlyConfigured: {error}")

MAX_DEFAULT_WORKERS = 8

bind = [a.strip() for a in os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
        if a.strip()]
workers = int(
    os.environ.get("GUNICORN_WORKERS")
    or os.environ.get("WEB_CONCURRENCY")
    or min(2 * (os.cpu_count() or 1) + 1, MAX_DEFAULT_WORKERS)
)
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On SIGTERM (a deploy rolling this instance) workers finish the requests they hold.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# Longer than a load balancer's idle reuse of its connections to the instance.
keepalive = 5
# No control socket: its default path is one per user ($HOME/.gunicorn), which a second
# instance on the machine would take over; instances are managed with signals (HUP, TERM).
control_socket_disable = True

_access_log = os.environ.get("GUNICORN_ACCESS_LOG", "off")
accesslog = None if _access_log == "off" else _access_log
errorlog = "-"
# The path without its query string (searches carry names: personal data), no referrer
# (the previous page's query) and no user agent; the request id ties a line to the
# application's own log and audit events.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms %({x-request-id}o)s'

# A path segment that looks like a secret (an invitation, password-reset or calendar-feed
# token: 20+ URL-safe characters with letters and digits) is logged as "[token]".
_TOKEN = re.compile(r"(?<=/)(?=[A-Za-z0-9_-]*[0-9])(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{20,}")


def redact_path(path: str) -> str:
    return _TOKEN.sub("[token]", path)


class RedactingLogger(Logger):
    """gunicorn's logger, with tokens in paths redacted and never the query string."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = redact_path(atoms["U"] or "")
        atoms["r"] = f"{atoms['m']} {atoms['U']} {atoms['H']}"
        atoms["q"] = atoms["f"] = "-"
        return atoms


logger_class = RedactingLogger

# gunicorn's own lines (booting, a worker timing out) in the application's format: JSON
# lines in production, with the request id where there is one.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "muster.operations.logs.RequestContext"}},
    "formatters": {"chosen": {"()": (
        "muster.operations.logs.JsonFormatter" if settings.LOG_FORMAT == "json"
        else "muster.operations.logs.TextFormatter")}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "chosen",
                             "filters": ["request_context"], "stream": "ext://sys.stderr"}},
    "loggers": {name: {"handlers": ["console"], "level": "INFO", "propagate": False}
                for name in ("gunicorn.error", "gunicorn.access")},
}

# Metrics: forget a previous run's samples before the first worker, drop a dead worker's
# live gauges (muster/operations/gunicorn_hooks.py).
from muster.operations.gunicorn_hooks import child_exit, on_starting  # noqa: E402, F401
