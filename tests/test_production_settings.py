"""Production (MUSTER_ENV=production) refuses to start on a setting that would be unsafe,
in one clear line, and passes Django's deployment checks with no warning.

Settings are read once, when the module is imported: each case runs Django in a process of
its own, with the environment an operator would give it."""

import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]

# The variables that shape production settings: none of them leaks in from the test run.
SHAPING = {
    "DEBUG", "SECRET_KEY", "SECRET_KEY_FALLBACKS", "ALLOWED_HOSTS", "AUDIT_CHECKPOINT_KEY",
    "EMAIL_HOST", "MUSTER_ENV", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "OIDC_ISSUER_URL",
}


def production_env(**changes: str | None) -> dict[str, str]:
    """A working production environment (the example docs/deploy.md gives), changed."""
    # DJANGO_*: what the test run sets for itself (the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE,
    # which the deployment checks rightly refuse), never what an operator gives.
    env = {k: v for k, v in os.environ.items()
           if k not in SHAPING and not k.startswith("DJANGO_")}
    env |= {
        "MUSTER_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "AUDIT_CHECKPOINT_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "muster.agency.example.gov",
        "EMAIL_HOST": "127.0.0.1",
    }
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def reachable_database() -> dict[str, str]:
    """The test run's own database, when it is PostgreSQL (SQLite needs none to check)."""
    settings = connection.settings_dict
    if connection.vendor != "postgresql":
        return {}
    user = quote(settings["USER"] or "postgres", safe="")
    if settings["PASSWORD"]:
        user += ":" + quote(settings["PASSWORD"], safe="")
    return {"DATABASE_URL": f"postgres://{user}@{settings['HOST'] or '127.0.0.1'}:"
                            f"{settings['PORT'] or 5432}/{settings['NAME']}"}


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=120,
    )


def test_the_production_environment_passes_the_deployment_checks_with_no_warning(db):
    # On PostgreSQL Django's check of a generated column (the contracts' search text) asks
    # the server its version: the checks run against a database that exists, as they do
    # before `make serve` (which then checks the migrations there too).
    run = manage(production_env(**reachable_database()), "check", "--deploy",
                 "--fail-level", "WARNING")

    assert run.returncode == 0, run.stderr
    assert "System check identified no issues" in run.stdout


@pytest.mark.parametrize(
    ("changes", "told"),
    [
        ({"DEBUG": "1"}, "DEBUG"),
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"SECRET_KEY": "dev-only-insecure-key-never-use-in-production"}, "SECRET_KEY"),
        ({"SECRET_KEY": "too-short-a-key-for-production"}, "SECRET_KEY"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": " , "}, "ALLOWED_HOSTS"),
        ({"EMAIL_HOST": None}, "EMAIL_HOST"),
        ({"AUDIT_CHECKPOINT_KEY": None}, "AUDIT_CHECKPOINT_KEY"),
    ],
    ids=["debug-on", "no-secret-key", "default-secret-key", "short-secret-key",
         "no-allowed-hosts", "blank-allowed-hosts", "file-email-backend", "no-audit-key"],
)
def test_production_refuses_to_start_on_an_unsafe_setting_in_one_line(changes, told):
    run = manage(production_env(**changes), "check")

    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr  # one line, no traceback
    assert lines[0].startswith("ImproperlyConfigured: Production settings: "), lines[0]
    assert told in lines[0]


def test_the_refusal_names_everything_missing_at_once():
    """A newcomer's first try names every variable to set, not one per attempt."""
    env = production_env(SECRET_KEY=None, AUDIT_CHECKPOINT_KEY=None, ALLOWED_HOSTS=None,
                         EMAIL_HOST=None)

    run = manage(env, "check")

    assert run.returncode == 1
    line = run.stderr.strip()
    for name in ("SECRET_KEY", "AUDIT_CHECKPOINT_KEY", "ALLOWED_HOSTS", "EMAIL_HOST"):
        assert name in line
    assert "docs/deploy.md" in line


def test_a_wsgi_server_is_refused_too():
    """gunicorn imports muster.wsgi, not manage.py: the same refusal stops it."""
    run = subprocess.run(
        [sys.executable, "-c", "import muster.wsgi"], cwd=ROOT, env=production_env(DEBUG="1"),
        capture_output=True, text=True, timeout=60,
    )

    assert run.returncode != 0
    assert "ImproperlyConfigured: Production settings: " in run.stderr
    assert "DEBUG" in run.stderr


def test_development_needs_none_of_it():
    # DJANGO_*: what the test run sets for itself (the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE,
    # which the deployment checks rightly refuse), never what an operator gives.
    env = {k: v for k, v in os.environ.items()
           if k not in SHAPING and not k.startswith("DJANGO_")}

    run = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT,
        env=env | {"DJANGO_SETTINGS_MODULE": "muster.settings"}, capture_output=True,
        text=True, timeout=60,
    )

    assert run.returncode == 0, run.stderr


def _setting(env: dict[str, str], expression: str) -> str:
    run = subprocess.run(
        [sys.executable, "-c",
         f"import django; django.setup(); from django.conf import settings; print({expression})"],
        cwd=ROOT, env=env | {"DJANGO_SETTINGS_MODULE": "muster.settings"}, capture_output=True,
        text=True, timeout=60,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


def test_hsts_is_on_for_subdomains_and_preload_unless_the_operator_says_otherwise():
    on = production_env()
    assert _setting(on, "settings.SECURE_HSTS_SECONDS") == "31536000"
    assert _setting(on, "settings.SECURE_HSTS_INCLUDE_SUBDOMAINS") == "True"
    assert _setting(on, "settings.SECURE_HSTS_PRELOAD") == "True"

    off = production_env(SECURE_HSTS_INCLUDE_SUBDOMAINS="0", SECURE_HSTS_PRELOAD="0")
    assert _setting(off, "settings.SECURE_HSTS_INCLUDE_SUBDOMAINS") == "False"
    assert _setting(off, "settings.SECURE_HSTS_PRELOAD") == "False"


def test_old_secret_keys_are_kept_as_fallbacks_while_the_key_rotates():
    old = [secrets.token_urlsafe(50), secrets.token_urlsafe(50)]
    env = production_env(SECRET_KEY_FALLBACKS=f"{old[0]}, {old[1]}")

    assert _setting(env, "settings.SECRET_KEY_FALLBACKS") == repr(old)
    assert _setting(production_env(), "settings.SECRET_KEY_FALLBACKS") == "[]"


def test_a_short_fallback_key_is_refused():
    run = manage(production_env(SECRET_KEY_FALLBACKS="short"), "check")

    assert run.returncode == 1
    assert "SECRET_KEY_FALLBACKS" in run.stderr.strip()


def test_gunicorn_refuses_in_one_line_before_it_forks_a_worker(tmp_path):
    """Started from anywhere with deploy/gunicorn.conf.py, as a service manager starts it."""
    gunicorn = Path(sys.executable).parent / "gunicorn"

    run = subprocess.run(
        [str(gunicorn), "--config", str(ROOT / "deploy" / "gunicorn.conf.py")], cwd=tmp_path,
        env=production_env(DEBUG="1"), capture_output=True, text=True, timeout=60,
    )

    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [run.stderr.strip()], run.stderr
    assert run.stderr.startswith("ImproperlyConfigured: Production settings: turn DEBUG off")
