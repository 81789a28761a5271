"""Trigram indexes for the contract list's search (issue 17), on PostgreSQL only.

The search matches words anywhere in a contract's name, number and task order number and
in its organization's name and HARP name: Django's `icontains`, on PostgreSQL
`UPPER(column::text) LIKE UPPER('%words%')`. A B-tree cannot answer that; a GIN index of
the upper-cased column's trigrams (pg_trgm) can, so the search's count no longer reads
every contract. SQLite runs this migration too and skips it: it searches by scanning.

pg_trgm is a trusted extension (PostgreSQL 13 and later): a database owner, or any user
with CREATE on the database, creates it. A user who cannot is stopped here with one line
saying what to do (docs/deploy.md): the search would still work without the indexes, but
slowly, and silently.

The indexes are not in the models' Meta: SQLite cannot build them, and the models' state
does not need them.
"""

from django.core.management.base import CommandError
from django.db import DatabaseError, migrations

INDEXES = (  # (name, table, column)
    ("contract_name_trgm", "contracts_contract", "name"),
    ("contract_number_trgm", "contracts_contract", "contract_number"),
    ("contract_task_order_trgm", "contracts_contract", "task_order_number"),
    ("organization_name_trgm", "contracts_organization", "name"),
    ("organization_harp_name_trgm", "contracts_organization", "harp_name"),
)

CANNOT_CREATE = (
    "contracts 0015: the database user cannot create the pg_trgm extension ({error}). "
    "Have the database's owner or a superuser run CREATE EXTENSION pg_trgm; in this "
    "database, then run migrate again (docs/deploy.md)."
)


def create_extension(cursor) -> None:
    cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
    if cursor.fetchone() is not None:
        return
    try:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as error:
        # CommandError: migrate prints this one line, without a traceback.
        reason = str(error).strip().splitlines()[0]
        raise CommandError(CANNOT_CREATE.format(error=reason)) from error


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        create_extension(cursor)
        for name, table, column in INDEXES:
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
                           f"USING gin (UPPER({column}) gin_trgm_ops)")


def drop_indexes(apps, schema_editor):
    """The indexes go; the extension stays (something else may use it)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name, _table, _column in INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ("contracts", "0014_backfill_next_step"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
