"""Checks that the database can hold the audit record before a command reads or writes it,
so an operator gets one clear line instead of a traceback."""

from django.core.management.base import CommandError
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor


def first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def require_migrated() -> None:
    """CommandError unless the database answers and has the audit app's migrations."""
    try:
        connection.ensure_connection()
    except DatabaseError as error:
        raise CommandError(f"Cannot reach the database: {first_line(error)}") from None
    try:
        executor = MigrationExecutor(connection)
        targets = [key for key in executor.loader.graph.leaf_nodes() if key[0] == "audit"]
        missing = executor.migration_plan(targets)
    except DatabaseError as error:
        raise CommandError(f"Cannot read the database: {first_line(error)}") from None
    if missing:
        raise CommandError(
            f"The database is not migrated ({len(missing)} migration(s) the audit record "
            "needs are not applied): run manage.py migrate first."
        )
