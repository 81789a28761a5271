"""`make serve`: Muster as in production on this machine, run as an operator runs it
(`make serve`, its install step taken as done), on a database of its own: production
settings, no unapplied migration, static files collected and served by WhiteNoise under
hashed names, gunicorn with deploy/gunicorn.conf.py and the worker beside it."""

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PORT = _free_port()


def serve_env(folder: Path, **changes: str | None) -> dict[str, str]:
    """The example production environment of docs/deploy.md, on a SQLite file in `folder`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SECURE_", "GUNICORN_", "MUSTER_", "OIDC_", "EMAIL_", "MAKE",
                                "DJANGO_"))
           and k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "AUDIT_CHECKPOINT_KEY",
                         "SECRET_KEY_FALLBACKS", "HOST", "MFLAGS"}}
    env |= {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "AUDIT_CHECKPOINT_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(_free_port()),  # nothing listens: emails wait in the outbox
        "SECURE_SSL_REDIRECT": "0",  # plain http on 127.0.0.1, as docs/deploy.md tries it
        "GUNICORN_BIND": f"127.0.0.1:{PORT}",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_ACCESS_LOG": "-",  # off by default (Muster logs each request itself)
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "MUSTER_VAR_DIR": str(folder / "var"),
    }
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def make_serve(env: dict[str, str], **popen) -> subprocess.Popen:
    # `-o install`: the environment is installed already (never re-synced by a test).
    return subprocess.Popen(["make", "--no-print-directory", "-o", "install", "serve"],
                            cwd=ROOT, env=env, start_new_session=True, text=True, **popen)


def refusal(env: dict[str, str]) -> str:
    """What `make serve` says when it will not start (its first line of stderr)."""
    process = make_serve(env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode != 0, stderr
    return stderr.splitlines()[0]


def get(path: str, **headers: str) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("make-serve")
    env = serve_env(folder)
    migrated = subprocess.run([sys.executable, "manage.py", "migrate", "--no-input"], cwd=ROOT,
                              env=env | {"MUSTER_ENV": "production"}, capture_output=True,
                              text=True, timeout=300)
    assert migrated.returncode == 0, migrated.stderr
    log = folder / "serve.log"
    with log.open("w") as out:
        process = make_serve(env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180  # collectstatic first: about 15 s
        while True:
            assert process.poll() is None, log.read_text()
            try:
                get("/accounts/login/")
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        yield {"process": process, "log": log, "folder": folder}
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # make's group: gunicorn and the worker
            process.wait(timeout=60)


def test_pages_are_served_by_gunicorn_with_production_settings(served):
    status, headers, body = get("/accounts/login/")

    assert status == 200
    assert "Sign in" in body.decode()
    assert headers["Content-Security-Policy"].startswith("default-src 'self'")
    # Secure cookies: a browser keeps them on http://127.0.0.1 (a secure context).
    assert "Secure" in headers["Set-Cookie"] and "csrftoken=" in headers["Set-Cookie"]
    # Production shows Muster's own error page, never Django's debug page.
    status, _, body = get("/no-such-page/")
    assert status == 404 and b"URLconf" not in body


def test_behind_tls_the_answers_carry_hsts(served):
    _, headers, _ = get("/accounts/login/", **{"X-Forwarded-Proto": "https"})

    assert headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )


def test_static_files_are_the_collected_hashed_ones_cached_for_good(served):
    _, _, page = get("/accounts/login/")
    css = re.search(rb'href="(/static/uswds/css/uswds\.min\.[0-9a-f]{12}\.css)"', page)
    assert css, page[:2000]

    status, headers, body = get(css.group(1).decode(), **{"Accept-Encoding": "br, gzip"})

    assert status == 200
    assert headers["Content-Encoding"] == "br"  # compressed once, by collectstatic
    assert "immutable" in headers["Cache-Control"]
    assert (served["folder"] / "var" / "static" / "staticfiles.json").exists()


def test_the_worker_runs_beside_gunicorn(served):
    session = os.getsid(served["process"].pid)
    commands = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if os.getsid(int(proc.name)) == session:
                    commands.append((proc / "cmdline").read_bytes().replace(b"\0", b" "))
            except (OSError, ProcessLookupError):
                continue
    assert any(b"manage.py worker" in c for c in commands), commands
    assert sum(b"gunicorn" in c for c in commands) >= 3, commands  # the master and 2 workers


def log_messages(path: Path) -> str:
    """The log's lines, each JSON line (production's format) as its message."""
    lines = []
    for line in path.read_text().splitlines():
        try:
            lines.append(json.loads(line)["message"])
        except (ValueError, KeyError, TypeError):
            lines.append(line)
    return "\n".join(lines)


def test_the_access_log_leaves_out_query_strings_and_tokens(served):
    get("/accounts/login/?next=/contracts/%3Fq%3DJane%2BSmith")
    get("/invitation/4fQxa9ZrT2mLw8NcJ3hYs6FdG1aEu5oKi0/")

    deadline = time.monotonic() + 10
    # The access line comes after the response, so after Django's own "Not Found" line.
    while '"GET /invitation/' not in (log := log_messages(served["log"])):
        assert time.monotonic() < deadline, log
        time.sleep(0.1)
    assert "Smith" not in served["log"].read_text()
    assert re.search(r'"GET /accounts/login/ HTTP/1.1" 200 \d+ \d+ms [0-9a-f-]+', log), log
    # The access log writes a token as [token]; Muster's log lines then hide any left.
    assert re.search(r'"GET /invitation/\[(token|hidden)\]/ HTTP/1.1"', log), log
    access = [line for line in log.splitlines() if re.search(r'\] "[A-Z]+ /', line)]
    assert not [line for line in access if "Smith" in line or "4fQxa9ZrT2" in line], access


def test_unsafe_or_missing_settings_are_named_in_one_line(tmp_path):
    env = serve_env(tmp_path, SECRET_KEY=None, AUDIT_CHECKPOINT_KEY=None, ALLOWED_HOSTS=None)

    line = refusal(env)

    assert line.startswith("ImproperlyConfigured: Production settings: "), line
    for name in ("SECRET_KEY", "AUDIT_CHECKPOINT_KEY", "ALLOWED_HOSTS"):
        assert name in line


def test_a_database_not_migrated_is_refused_in_one_line(tmp_path):
    line = refusal(serve_env(tmp_path))

    assert line == ("make serve: the database has migrations not applied: run `make migrate` "
                    "(with the same DATABASE_URL) first.")
