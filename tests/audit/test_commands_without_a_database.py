"""`verify_audit` and `audit_checkpoint` on a database that is not there or not migrated:
one clear line and a non-zero exit code, never a traceback (real processes)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def manage(database_url: str, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def one_clear_line(run: subprocess.CompletedProcess, says: str) -> None:
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert says in lines[0]


@pytest.mark.parametrize("command", ["verify_audit", "audit_checkpoint"])
def test_an_unreachable_database_is_one_clear_line(command):
    # Port 1: nothing listens there, so the connection is refused at once.
    run = manage("postgres://postgres@127.0.0.1:1/muster", command)
    one_clear_line(run, "CommandError: Cannot reach the database: ")


@pytest.mark.parametrize("command", ["verify_audit", "audit_checkpoint"])
def test_an_unmigrated_database_is_one_clear_line(command, tmp_path):
    run = manage(f"sqlite:///{tmp_path / 'empty.sqlite3'}", command)
    one_clear_line(run, "The database is not migrated (")
    assert "run manage.py migrate first" in run.stderr


def test_an_unmigrated_postgresql_database_is_one_clear_line():
    # PostgreSQL's own maintenance database holds no Muster tables; only read here.
    probe = manage("postgres://postgres@127.0.0.1:5432/postgres", "verify_audit")
    if "Cannot reach the database" in probe.stderr:
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    one_clear_line(probe, "The database is not migrated (")
