"""Lost audit records show: PostgreSQL refuses TRUNCATE, and signed checkpoints of the
chain's head (stored, logged, emailed) let `verify_audit` find records removed from the end
of the chain, or all of them, even when the table was rewritten with its checkpoints."""

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from muster.audit import checkpoints
from muster.audit import services as audit
from muster.audit.models import AuditCheckpoint, AuditEvent
from muster.contracts import services as contract_services
from muster.notifications.models import OutboxEmail

from ..factories import UserFactory, make_contract

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the TRUNCATE trigger is PostgreSQL's"
)
ROOT = Path(__file__).resolve().parents[2]
AUDITOR = "audit-office@agency.example.gov"


@pytest.fixture
def events():
    # Staff: a person with no role would be deactivated by the sweep, one more record.
    actor = UserFactory(full_name="Avery Actor", email="avery@example.com", is_staff=True)
    contract = make_contract(actor, name="Audited")
    contract_services.update_contract(actor, contract, name="Audited again")
    audit.record(None, "test.system", contract, "The system did something", contract=contract)
    return list(AuditEvent.objects.order_by("id"))


def raw(sql, params=()):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and sql.startswith("TRUNCATE"):
            # The test's own inserts left deferred foreign-key checks, which TRUNCATE
            # refuses to run ahead of ("pending trigger events"): run them first.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(sql, params)


def behind_the_triggers(sql, params=()):
    """What a database superuser can do: switch triggers off for one statement."""
    if connection.vendor == "postgresql":
        raw("SET LOCAL session_replication_role = replica")
    raw(sql, params)
    if connection.vendor == "postgresql":
        raw("SET LOCAL session_replication_role = origin")


def empty_table(table):
    # CASCADE: what refers to the table (webhook deliveries refer to audit events) goes too.
    sql = f"TRUNCATE {table} CASCADE" if connection.vendor == "postgresql" else \
        f"DELETE FROM {table}"
    behind_the_triggers(sql)


def checkpoint() -> str:
    """Run `manage.py audit_checkpoint`; the token it prints (also logged and emailed)."""
    out = io.StringIO()
    call_command("audit_checkpoint", stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def verify(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("verify_audit", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def verify_fails(*args) -> tuple[str, str]:
    err = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("verify_audit", *args, stdout=io.StringIO(), stderr=err)
    return str(failure.value), err.getvalue()


@pytest.fixture
def production_database():
    """This test's transaction sees the database as production does: not disposable (the
    test suite marks its test database disposable so that it can reset it)."""
    raw("SET LOCAL muster.disposable_database = 'off'")


# --- PostgreSQL refuses TRUNCATE ----------------------------------------------------------


@on_postgresql
@pytest.mark.parametrize("sql", [
    # CASCADE: webhook deliveries refer to their audit event, and without it PostgreSQL
    # refuses for that reason before the trigger is asked.
    "TRUNCATE audit_auditevent CASCADE",
    "TRUNCATE contracts_contract CASCADE",  # would take the audit table along
    "TRUNCATE audit_auditcheckpoint",
    "DELETE FROM audit_auditcheckpoint",
    "UPDATE audit_auditcheckpoint SET event_count = 0",
])
def test_postgresql_refuses_truncate_and_changing_checkpoints(
    events, production_database, sql
):
    checkpoint()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw(sql)
    assert AuditEvent.objects.count() == 3
    assert AuditCheckpoint.objects.count() == 1
    assert "The audit record is intact." in verify()[0]


@on_postgresql
def test_manage_py_flush_cannot_erase_the_audit_record(events, production_database):
    with pytest.raises(CommandError, match="couldn't be flushed"):
        call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.count() == 3


# --- Lost records show --------------------------------------------------------------------


def test_the_newest_records_deleted_behind_the_triggers_are_found(events):
    checkpoint()
    behind_the_triggers("DELETE FROM audit_auditevent WHERE id >= %s", [events[1].pk])
    assert audit.verify_chain() == []  # what is left still chains

    summary, detail = verify_fails()
    assert summary == "Records missing after checkpoint 1."
    assert (f"checkpoint 1 (record {events[2].pk}, 3 records" in detail
            and f"the record now ends at record {events[0].pk}" in detail)


def test_an_emptied_record_reads_empty_and_missing_not_intact(events):
    token = checkpoint()
    empty_table("audit_auditevent")

    summary, detail = verify_fails()
    assert summary == "The audit record is empty, but checkpoint 1 covers 3 records."
    assert "intact" not in summary + detail

    # Emptied together with its checkpoints: the table alone no longer tells...
    empty_table("audit_auditcheckpoint")
    out, _ = verify()
    assert "The audit record is empty." in out and "intact" not in out
    # ...but the checkpoint copied from the log or the email does.
    summary, _ = verify_fails("--head", token)
    assert summary == "The audit record is empty, but checkpoint 1 covers 3 records."


def test_a_table_rewritten_with_its_checkpoints_is_found_by_the_logged_copy(
    events, caplog, django_capture_on_commit_callbacks, tmp_path
):
    with caplog.at_level(logging.INFO, logger="muster.audit.checkpoints"), \
            django_capture_on_commit_callbacks(execute=True):
        token = checkpoint()
    logged = [r.getMessage() for r in caplog.records if r.name == "muster.audit.checkpoints"]
    assert logged == [f"Audit checkpoint 1 (record {events[2].pk}, 3 records): {token}"]
    log_file = tmp_path / "muster.log"
    log_file.write_text("INFO other lines\n" + "\n".join(logged) + "\nINFO more\n")

    # A database administrator removes the newest record and the checkpoints, then the
    # next checkpoint signs what is left: the table is consistent with itself.
    behind_the_triggers("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])
    empty_table("audit_auditcheckpoint")
    checkpoint()
    assert "The audit record is intact." in verify()[0]

    for args in (["--head", token], ["--head-file", str(log_file)]):
        summary, _ = verify_fails(*args)
        assert summary == "Records missing after checkpoint 1."


def test_a_rewrite_that_recomputes_the_hashes_is_found(events):
    checkpoint()
    # Change a record and rehash it and every later one, so the chain verifies again.
    behind_the_triggers("UPDATE audit_auditevent SET summary = 'Nothing happened' WHERE id = %s",
                        [events[1].pk])
    previous = events[0].hash
    for event in AuditEvent.objects.filter(pk__gte=events[1].pk).order_by("id"):
        event.prev_hash = previous
        previous = event.content_digest()
        behind_the_triggers("UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
                            [event.prev_hash, previous, event.pk])
    assert audit.verify_chain() == []

    summary, _ = verify_fails()
    assert summary == f"Record {events[2].pk} does not match checkpoint 1."


def test_a_forged_checkpoint_is_found(events):
    token = checkpoint()
    number, last_id, count, head_hash, at, signature = token.split(":")[1:]
    forged = ":".join(["muster-audit-checkpoint", number, last_id, "2", head_hash, at, signature])
    summary, _ = verify_fails("--head", forged)
    assert summary == "Checkpoint 1 is not signed with this server's key."

    behind_the_triggers(
        "INSERT INTO audit_auditcheckpoint (number, at, last_event_id, event_count, head_hash,"
        " signature, request_id) VALUES (2, %s, %s, 3, %s, %s, '')",
        [AuditCheckpoint.objects.get().at, last_id, head_hash, "f" * 64])
    summary, _ = verify_fails()
    assert summary == "Checkpoint 2 is not signed with this server's key."


def test_a_head_from_the_command_line_that_is_not_a_checkpoint_is_one_clear_line(events, tmp_path):
    with pytest.raises(CommandError, match="--head takes one checkpoint"):
        verify("--head", "42:42:abc")
    with pytest.raises(CommandError, match="No audit checkpoint in"):
        (tmp_path / "empty.log").write_text("nothing here\n")
        verify("--head-file", str(tmp_path / "empty.log"))
    with pytest.raises(CommandError, match="Cannot read .*nowhere.log: No such file"):
        verify("--head-file", str(tmp_path / "nowhere.log"))


def test_an_intact_record_names_the_checkpoints_it_was_checked_against(events):
    token = checkpoint()
    audit.record(None, "test.later", events[0].contract, "Later", contract=events[0].contract)
    out, err = verify("--head", token)
    assert "The audit record is intact." in out
    assert "4 records; the hash chain verifies." in out
    assert f"It holds everything checkpoint 1 (record {events[2].pk}, 3 records" in out
    assert err == ""


# --- Checkpoints: made regularly, refused over a loss -------------------------------------


def test_the_daily_sweep_checkpoints_and_emails_the_audit_address(events, settings):
    settings.AUDIT_EMAIL = [AUDITOR]
    out = io.StringIO()
    call_command("sweep", stdout=out)
    assert "audit checkpoint: 1" in out.getvalue()

    email = OutboxEmail.objects.get(template="audit_checkpoint")
    assert email.to == [AUDITOR]
    assert email.subject == f"Audit record checkpoint 1 (record {events[2].pk})"
    token = checkpoints.Head.of(AuditCheckpoint.objects.get()).token
    assert f"manage.py verify_audit --head {token}" in email.body
    assert "intact" in verify("--head", token)[0]


def test_without_an_audit_address_no_email(events, settings):
    settings.AUDIT_EMAIL = []
    checkpoint()
    assert not OutboxEmail.objects.filter(template="audit_checkpoint").exists()


def test_a_checkpoint_is_refused_after_a_loss_and_the_alarm_raised(events, settings, caplog):
    settings.AUDIT_EMAIL = [AUDITOR]
    checkpoint()
    behind_the_triggers("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])

    err = io.StringIO()
    with caplog.at_level(logging.ERROR), pytest.raises(CommandError, match="No checkpoint made"):
        call_command("audit_checkpoint", stdout=io.StringIO(), stderr=err)
    assert "Records missing after checkpoint 1" in err.getvalue()
    assert any(r.levelno == logging.ERROR and "Records missing after checkpoint 1"
               in r.getMessage() for r in caplog.records)
    assert AuditCheckpoint.objects.count() == 1
    alarm = OutboxEmail.objects.get(template="audit_loss")
    assert alarm.to == [AUDITOR]
    assert "Records missing after checkpoint 1" in alarm.body

    # The daily sweep goes on, and says it made no checkpoint.
    out = io.StringIO()
    call_command("sweep", stdout=out)
    assert "audit checkpoint: 0" in out.getvalue()

    # Once the loss is accounted for, the operator checkpoints the record as it is.
    out = io.StringIO()
    call_command("audit_checkpoint", "--accept-loss", stdout=out)
    assert f"Audit checkpoint 2 (record {events[1].pk}, 2 records" in out.getvalue()
    assert AuditCheckpoint.objects.count() == 2
    assert "The audit record is intact." in verify()[0]


def test_a_rolled_back_checkpoint_never_reaches_the_log(
    events, caplog, django_capture_on_commit_callbacks
):
    with (caplog.at_level(logging.INFO, logger="muster.audit.checkpoints"),
          django_capture_on_commit_callbacks(execute=True),
          pytest.raises(RuntimeError), transaction.atomic()):
        checkpoints.make()
        raise RuntimeError("simulated sweep, rolled back")
    assert not [r for r in caplog.records if r.name == "muster.audit.checkpoints"]
    assert AuditCheckpoint.objects.count() == 0


# --- Settings -----------------------------------------------------------------------------


def test_production_refuses_to_start_without_a_checkpoint_key():
    env = {**os.environ, "MUSTER_ENV": "production", "SECRET_KEY": "s" * 50,
           "ALLOWED_HOSTS": "muster.example.gov", "EMAIL_HOST": "127.0.0.1",
           "DJANGO_SETTINGS_MODULE": "muster.settings"}
    env.pop("AUDIT_CHECKPOINT_KEY", None)
    code = "import django; django.setup()"
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    assert "set AUDIT_CHECKPOINT_KEY" in run.stderr

    env["AUDIT_CHECKPOINT_KEY"] = "k" * 40
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
