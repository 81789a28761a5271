"""The operator's commands against a database that is not there or not migrated: one clear
line and exit code 1, never a traceback. Each runs as `manage.py <command>` in its own
process, as an operator or cron would run it."""

import os
import subprocess
import sys

from django.conf import settings

COMMANDS = [
    "sweep", "deliver_outbox", "check_duas", "schedule_sweep", "verify_audit", "audit_checkpoint",
    "worker",
]


def run_each(database_url: str, tmp_path) -> dict:
    """Every command at once (they are independent), as {command: (exit code, output)}."""
    env = {**os.environ, "DATABASE_URL": database_url, "MUSTER_VAR_DIR": str(tmp_path)}
    running = {
        command: subprocess.Popen(
            [sys.executable, "manage.py", command], cwd=settings.BASE_DIR, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for command in COMMANDS
    }
    return {command: (p.wait(120), p.stdout.read()) for command, p in running.items()}


def test_an_unmigrated_database_is_told_in_one_line(tmp_path):
    results = run_each(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path)

    for command, (code, output) in results.items():
        assert code == 1, command
        assert output.count("\n") == 1, output
        assert output.startswith("CommandError: The database is not migrated ("), output
        assert output.endswith("migrations not applied): run `manage.py migrate` first.\n")


def test_an_unreachable_database_is_told_in_one_line(tmp_path):
    results = run_each("postgres://postgres@127.0.0.1:1/muster", tmp_path)

    for command, (code, output) in results.items():
        assert code == 1, command
        assert output.count("\n") == 1, output
        assert output.startswith(
            "CommandError: Cannot reach the database (check DATABASE_URL): connection failed"
        ), output
        assert "Connection refused" in output


def test_a_postgresql_database_without_muster_is_told_in_one_line(tmp_path):
    # PostgreSQL's own maintenance database holds no Muster tables; verify_audit only reads.
    env = {**os.environ, "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres"}
    run = subprocess.run([sys.executable, "manage.py", "verify_audit"], cwd=settings.BASE_DIR,
                         env=env, capture_output=True, text=True, timeout=120)

    assert run.returncode == 1
    assert run.stderr.startswith("CommandError: The database is not migrated ("), run.stderr
    assert run.stderr.count("\n") == 1, run.stderr


def test_a_worker_that_cannot_reach_redis_says_so_in_one_line(tmp_path):
    env = {**os.environ, "TASK_BACKEND": "rq", "REDIS_URL": "redis://127.0.0.1:1/13",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"}
    run = subprocess.run([sys.executable, "manage.py", "worker"], cwd=settings.BASE_DIR,
                         env=env, capture_output=True, text=True, timeout=120)

    assert run.returncode == 1
    assert run.stderr.startswith("CommandError: Cannot reach Redis (check REDIS_URL): "), run.stderr
    assert run.stderr.count("\n") == 1, run.stderr
