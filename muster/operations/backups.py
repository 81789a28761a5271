"""Backup and restore of Muster's database and uploaded files (`manage.py backup DIR`,
`manage.py restore DIR`; docs/deploy.md, "Backups").

A backup is a folder of parts and a manifest:
- `database.dump`: PostgreSQL's own dump in its custom format (pg_dump -Fc), or for the
  SQLite demo `database.sqlite3`, a copy made with SQLite's online backup API;
- `files.tar`: every stored file, read through Django's storage API, so the same code
  copies a local MEDIA_ROOT or an S3 bucket (the sweep's scratch folder is left out);
- `manifest.json`, written last: Muster's version, the migrations applied, the head of
  the audit chain, and each part's size and SHA-256. A folder without it is incomplete.

The database is dumped before the files are read: uploads are stored before the change
that names them commits and are never deleted, so every file the dump refers to is in the
tar (files added meanwhile are harmless extras).

Restore refuses a damaged or incomplete backup, a backup from a newer Muster, and any
target database that already has tables: it restores only into a new, empty database
(dropping a database is an operator's deliberate act, never a side effect of Muster's).
"""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage, storages
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from muster import clock
from muster.audit.models import AuditEvent
from muster.closeout.pending import FOLDER as SCRATCH_FOLDER

FORMAT = 1
MANIFEST = "manifest.json"
POSTGRESQL_PART = "database.dump"
SQLITE_PART = "database.sqlite3"
FILES_PART = "files.tar"
PG_TIMEOUT_SECONDS = 6 * 60 * 60


class BackupError(Exception):
    """A backup or restore that cannot go on; its message is one line for the operator."""


# --- What both directions share ---------------------------------------------------------


def muster_version() -> str:
    try:
        with open(settings.BASE_DIR / "pyproject.toml", "rb") as f:
            return str(tomllib.load(f)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _part(directory: Path, name: str, **extra) -> dict[str, Any]:
    path = directory / name
    os.chmod(path, 0o600)  # personal data: readable by the operator's account only
    return {"name": name, "bytes": path.stat().st_size, "sha256": sha256_of(path), **extra}


def _vendor_label(vendor: str) -> str:
    return {"postgresql": "PostgreSQL", "sqlite": "SQLite"}.get(vendor, vendor)


def _pg_environment() -> dict[str, str]:
    """The connection's parameters as libpq's variables: no password on a command line."""
    db = connection.settings_dict
    names = {"HOST": "PGHOST", "PORT": "PGPORT", "USER": "PGUSER", "PASSWORD": "PGPASSWORD",
             "NAME": "PGDATABASE"}
    environment = {**os.environ}
    environment.update({variable: str(db[key]) for key, variable in names.items() if db.get(key)})
    for option, variable in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT"),
                             ("sslcert", "PGSSLCERT"), ("sslkey", "PGSSLKEY")):
        if db.get("OPTIONS", {}).get(option):
            environment[variable] = str(db["OPTIONS"][option])
    return environment


def _run_pg(program: str, arguments: list[str]) -> None:
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(f"{program} is not installed: install PostgreSQL's client tools "
                          "(Debian: apt-get install postgresql-client) of the server's "
                          "major version or newer.")
    # A fixed program; its arguments are the backup's own paths and the database's name.
    run = subprocess.run([executable, "--no-password", *arguments],  # noqa: S603
                         env=_pg_environment(),
                         capture_output=True, text=True, timeout=PG_TIMEOUT_SECONDS)
    if run.returncode != 0:
        lines = [line for line in run.stderr.splitlines() if line.strip()]
        raise BackupError(f"{program} failed: {lines[0] if lines else 'no message'}")


def _applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def unapplied_migrations() -> int:
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def _audit_head() -> dict[str, Any]:
    last = AuditEvent.objects.order_by("-id").values("id", "hash").first()
    return {"events": AuditEvent.objects.count(),
            "last_event_id": last["id"] if last else None,
            "last_hash": last["hash"] if last else None}


def stored_names(storage: Storage, folder: str = "") -> list[str]:
    """Every file in the storage, walked through its API (local folders or bucket keys)."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a local MEDIA_ROOT nothing was ever stored in
        return []
    names = [f"{folder}/{name}" if folder else name for name in files]
    for sub in folders:
        path = f"{folder}/{sub}" if folder else sub
        if path != SCRATCH_FOLDER:
            names += stored_names(storage, path)
    return sorted(names)


# --- Backup ------------------------------------------------------------------------------


def backup_files(storage: Storage, path: Path) -> int:
    """Every stored file into one tar at `path`, under its storage name. Returns how many."""
    names = stored_names(storage)
    with tarfile.open(path, "w") as tar:
        for name in names:
            with storage.open(name, "rb") as stored:
                content = stored.read()
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(content), 0o600, int(clock.now().timestamp())
            tar.addfile(info, io.BytesIO(content))
    return len(names)


def _dump_database(directory: Path) -> dict[str, Any]:
    vendor = connection.vendor
    if vendor == "postgresql":
        _run_pg("pg_dump", ["--format=custom", f"--file={directory / POSTGRESQL_PART}"])
        return _part(directory, POSTGRESQL_PART, vendor=vendor)
    if vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(directory / SQLITE_PART)
        try:
            connection.connection.backup(target)  # a consistent copy, even while in use
        finally:
            target.close()
        return _part(directory, SQLITE_PART, vendor=vendor)
    raise BackupError(f"Muster backs up PostgreSQL and SQLite, not {vendor}.")


def backup(directory: Path, *, files: bool = True) -> dict[str, Any]:
    """Write a backup into `directory` (new or empty); returns its manifest."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupError(f"{directory} is not an empty folder: give a new folder for each "
                          "backup, so none is overwritten.")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    started = clock.now()
    manifest: dict[str, Any] = {
        "format": FORMAT, "muster_version": muster_version(),
        "created_at": started.isoformat(),
        "migrations": _applied_migrations(), "audit": _audit_head(),
    }
    manifest["database"] = _dump_database(directory)
    if files:
        count = backup_files(default_storage, directory / FILES_PART)
        manifest["files"] = _part(directory, FILES_PART, count=count,
                                  storage=type(storages["default"]).__name__)
    else:
        manifest["files"] = None
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    os.chmod(directory / MANIFEST, 0o600)
    return manifest


# --- Restore -----------------------------------------------------------------------------


@dataclass
class Restored:
    manifest: dict[str, Any]
    files: int
    newer_migrations: int


def read_manifest(directory: Path) -> dict[str, Any]:
    """The backup's manifest, once every part it lists matches its SHA-256."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{directory} holds no {MANIFEST}: it is not a Muster backup, or "
                          "the backup did not finish.") from None
    except (OSError, ValueError) as error:
        raise BackupError(f"Cannot read {directory / MANIFEST}: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{directory / MANIFEST} is not a manifest this Muster reads "
                          f"(format {FORMAT}).")
    for part in (manifest.get("database"), manifest.get("files")):
        if part is None:
            continue
        path = directory / part["name"]
        if not path.is_file():
            raise BackupError(f"{path} is missing: the backup is incomplete.")
        if path.stat().st_size != part["bytes"] or sha256_of(path) != part["sha256"]:
            raise BackupError(f"{path.name} does not match its SHA-256 in {MANIFEST}: the "
                              "backup is damaged or was altered.")
    return manifest


def _check_compatible(manifest: dict[str, Any]) -> None:
    """Refuse a backup of another kind of database, or from a newer Muster."""
    vendor = connection.vendor
    if manifest["database"]["vendor"] != vendor:
        raise BackupError(
            f"This backup is of a {_vendor_label(manifest['database']['vendor'])} database; "
            f"DATABASE_URL names a {_vendor_label(vendor)} one."
        )
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    in_backup = {(app, name) for app, names in manifest["migrations"].items() for name in names}
    unknown = sorted(in_backup - known)
    if unknown:
        app, name = unknown[0]
        raise BackupError(f"The backup was made by a newer Muster (migration {app}.{name} is "
                          "unknown here): restore it with that version or a later one.")


def _require_empty_database() -> None:
    tables = connection.introspection.table_names()
    if tables:
        name = connection.settings_dict["NAME"]
        raise BackupError(
            f"The database {name} already has {len(tables)} tables: restore only into a new, "
            "empty database (create one, point DATABASE_URL at it, run restore again)."
        )


def _members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """The tar's files; a name that could leave the storage's root refuses the backup."""
    members = [member for member in tar.getmembers() if member.isfile()]
    for member in members:
        if member.name.startswith("/") or ".." in member.name.split("/"):
            raise BackupError(f"{FILES_PART} holds {member.name!r}, which is no stored "
                              "file's name: the backup was altered.")
    return members


def _refuse_conflicts(storage: Storage, path: Path) -> None:
    """Refuse, before anything is written, if the storage holds a name of the tar with
    other content."""
    conflicts = []
    with tarfile.open(path) as tar:
        for member in _members(tar):
            if storage.exists(member.name):
                with storage.open(member.name, "rb") as stored:
                    ours = hashlib.sha256(stored.read()).hexdigest()
                theirs = hashlib.sha256(tar.extractfile(member).read()).hexdigest()  # type: ignore[union-attr]
                if ours != theirs:
                    conflicts.append(member.name)
    if conflicts:
        raise BackupError(f"{len(conflicts)} stored files differ from the backup's (first: "
                          f"{conflicts[0]}): restore the files into an empty storage.")


def restore_files(storage: Storage, path: Path) -> int:
    """Put each file of the tar back under its own name; one the storage already holds with
    the same content is left as it is; any other already there refuses the whole restore
    before anything is written. Returns how many files the tar holds."""
    _refuse_conflicts(storage, path)
    with tarfile.open(path) as tar:
        members = _members(tar)
        for member in members:
            if storage.exists(member.name):
                continue
            content = tar.extractfile(member).read()  # type: ignore[union-attr]
            saved = storage.save(member.name, ContentFile(content))
            if saved != member.name:
                raise BackupError(f"The storage saved {member.name} as {saved}: restore the "
                                  "files into an empty storage.")
    return len(members)


def _load_database(directory: Path, manifest: dict[str, Any]) -> None:
    part = directory / manifest["database"]["name"]
    if connection.vendor == "postgresql":
        # Into the database DATABASE_URL names, owned by whoever connects; all or nothing.
        _run_pg("pg_restore", ["--no-owner", "--no-privileges", "--exit-on-error",
                               "--single-transaction",
                               f"--dbname={connection.settings_dict['NAME']}", str(part)])
    else:
        connection.ensure_connection()
        source = sqlite3.connect(part)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    connection.close()  # the next query sees the restored schema afresh


def _check_audit_head(manifest: dict[str, Any]) -> None:
    if _audit_head() != manifest["audit"]:
        expected = manifest["audit"]
        raise BackupError(
            f"The restored audit record does not end where the backup's did (expected "
            f"{expected['events']} records up to record {expected['last_event_id']}): "
            "the restore is not complete."
        )


def restore(directory: Path, *, files: bool = True) -> Restored:
    """Check the backup and the target, then load the database and put the files back."""
    manifest = read_manifest(directory)
    _check_compatible(manifest)
    _require_empty_database()
    if files and manifest.get("files"):
        _refuse_conflicts(default_storage, directory / FILES_PART)
    _load_database(directory, manifest)
    _check_audit_head(manifest)
    count = 0
    if files and manifest.get("files"):
        count = restore_files(default_storage, directory / FILES_PART)
    return Restored(manifest, count, unapplied_migrations())
