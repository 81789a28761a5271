"""Backup and restore (`manage.py backup DIR`, `manage.py restore DIR`), as an operator runs
them: a backup of a Muster in use restores into a new database where `verify_audit` passes,
a contract page renders and the signed DUA downloads as it was uploaded. On the database
the suite runs on: PostgreSQL (pg_dump, pg_restore) or SQLite (its backup API). A backup is
checked before anything is touched, and a database that has tables is never restored into.
"""

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import uuid

import psycopg
import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from muster.contracts import services as contract_services
from muster.contracts.models import ContractService
from muster.operations import backups
from tests.factories import TODAY, make_contract, pdf_bytes, pdf_upload, signed_in

ON_POSTGRESQL = connection.vendor == "postgresql"

# Run as the operator would, in a process whose DATABASE_URL names the new database:
# `restore`, then `verify_audit`; then the COR opens the contract page and downloads the
# DUA. One process, as each start of Django costs seconds on a busy machine.
RESTORE_AND_CHECK = """
import hashlib, io, json, os
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from muster.accounts.models import User
from muster.contracts.models import Contract, DataUseAgreement
restored, verified = io.StringIO(), io.StringIO()
call_command("restore", os.environ["BACKUP"], stdout=restored)
call_command("verify_audit", stdout=verified)
contract = Contract.objects.get(pk=int(os.environ["CONTRACT"]))
dua = DataUseAgreement.objects.get(contract=contract)
client = Client()
client.force_login(User.objects.get(email=os.environ["PERSON"]))
page = client.get(contract.get_absolute_url())
document = client.get(reverse("access:dua_document", args=[contract.pk, dua.pk]))
print("RESULT", json.dumps({
    "restore": restored.getvalue(), "verify_audit": verified.getvalue(),
    "page": page.status_code, "named": contract.name in page.content.decode(),
    "document": document.status_code,
    "sha256": hashlib.sha256(b"".join(document.streaming_content)).hexdigest(),
}))
"""


@pytest.fixture
def new_database(tmp_path):
    """DATABASE_URL of a new, empty database of the suite's kind (dropped afterwards)."""
    if not ON_POSTGRESQL:
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    db = connection.settings_dict
    name = f"muster_storage_restore_{uuid.uuid4().hex[:10]}"
    server = {"host": db["HOST"], "port": db["PORT"] or 5432, "user": db["USER"],
              "password": db["PASSWORD"] or None, "dbname": "postgres", "autocommit": True}
    with psycopg.connect(**server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield (f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:"
           f"{db['PORT'] or 5432}/{name}")
    with psycopg.connect(**server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# Other processes (pg_dump) must see the rows, so they are committed; the seeded catalog
# comes back from the serialized copy after the flush.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_backup_restores_into_a_new_database_where_the_audit_verifies_and_pages_render(
        client, people, freeze_today, tmp_path, new_database):
    freeze_today(TODAY)
    mine, content = people["mine"], pdf_bytes()
    mine.services.update(status=ContractService.Status.APPROVED)
    signed_in(client, people["so"])
    assert client.post(reverse("access:dua_upload", args=[mine.pk]), {
        "number": "DUA-9", "effective_date": "2026-11-20", "expiry_date": "2027-11-30",
        "services": [mine.services.get().service_id],
        "document": pdf_upload("signed.pdf", content)}).status_code == 302
    call_command("audit_checkpoint", stdout=io.StringIO())
    contract_services.update_contract(people["cor"], make_contract(name="Later"),
                                      name="Later, renamed")

    out = io.StringIO()
    call_command("backup", str(tmp_path / "backup"), stdout=out)
    assert f"Backed up to {tmp_path / 'backup'}." in out.getvalue()
    assert "Files: 1 in files.tar" in out.getvalue()

    env = {**os.environ, "DATABASE_URL": new_database, "MUSTER_VAR_DIR": str(tmp_path),
           "MEDIA_ROOT": str(tmp_path / "restored-media"), "CONTRACT": str(mine.pk),
           "PERSON": people["cor"].email, "BACKUP": str(tmp_path / "backup")}
    run = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", RESTORE_AND_CHECK],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.split("RESULT ", 1)[1])
    assert "audit records, 1 files." in result.pop("restore")
    verified = result.pop("verify_audit")
    assert "The audit record is intact." in verified
    assert "It holds everything checkpoint 1" in verified
    assert result == {"page": 200, "named": True, "document": 200,
                      "sha256": hashlib.sha256(content).hexdigest()}


# Committed, as a command sees it: SQLite's backup API waits forever on a connection that
# holds a write transaction (the `db` fixture's).
committed = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def made(tmp_path):
    """A backup of the test database, in tmp_path/backup."""
    call_command("backup", str(tmp_path / "backup"), stdout=io.StringIO())
    return tmp_path / "backup"


def restore_refusal(directory) -> str:
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(directory), stdout=io.StringIO())
    message = str(refused.value)
    assert "\n" not in message
    return message


@committed
def test_a_backup_is_checked_before_anything_is_touched(made, tmp_path):
    manifest = json.loads((made / "manifest.json").read_text())
    assert manifest["muster_version"] == backups.muster_version() != "unknown"
    assert "0001_initial" in manifest["migrations"]["contracts"]
    part = made / manifest["database"]["name"]
    assert manifest["database"]["sha256"] == backups.sha256_of(part)
    assert oct(part.stat().st_mode & 0o777) == "0o600"

    # The database the suite runs on has Muster's tables: never restored into.
    assert restore_refusal(made).startswith(
        f"The database {connection.settings_dict['NAME']} already has ")
    assert "restore only into a new, empty database" in restore_refusal(made)

    assert restore_refusal(tmp_path / "nowhere").endswith(
        "holds no manifest.json: it is not a Muster backup, or the backup did not finish.")

    future = {**manifest, "migrations": {**manifest["migrations"],
                                         "contracts": ["0999_from_the_future"]}}
    (made / "manifest.json").write_text(json.dumps(future))
    assert restore_refusal(made) == (
        "The backup was made by a newer Muster (migration contracts.0999_from_the_future is "
        "unknown here): restore it with that version or a later one.")

    with open(made / "files.tar", "r+b") as tar:
        tar.seek(100)
        tar.write(b"X")
    assert restore_refusal(made) == (
        "files.tar does not match its SHA-256 in manifest.json: the backup is damaged or "
        "was altered.")


@committed
def test_a_backup_never_writes_over_another(made):
    before = (made / "manifest.json").read_text()
    with pytest.raises(CommandError, match="is not an empty folder: give a new folder"):
        call_command("backup", str(made), stdout=io.StringIO())
    assert (made / "manifest.json").read_text() == before


def test_a_files_part_naming_a_path_outside_the_storage_is_refused(tmp_path, settings):
    archive = tmp_path / "files.tar"
    with tarfile.open(archive, "w") as tar:
        info = tarfile.TarInfo("contracts/../../outside.pdf")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"PDF"))
    settings.MEDIA_ROOT = tmp_path / "media"
    with pytest.raises(backups.BackupError, match="which is no stored file's name"):
        backups.restore_files(default_storage, archive)
    assert not (tmp_path / "outside.pdf").exists()


def test_a_folder_that_cannot_be_made_is_told_in_one_line(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(CommandError) as refused:
        call_command("backup", str(tmp_path / "a-file" / "backup"), stdout=io.StringIO())
    assert str(refused.value) == (
        f"Cannot write the backup ({tmp_path / 'a-file' / 'backup'}): Not a directory.")
