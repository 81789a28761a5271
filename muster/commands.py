"""What Muster's management commands share: a problem is told in one clear line with a
non-zero exit code (Django prints a CommandError so and exits 1), never a traceback."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

from muster import clock

# Dates further than this from today are typing mistakes (and the sweep's date arithmetic
# would overflow near the ends of the calendar).
MAX_YEARS_AWAY = 10


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _unapplied_migrations() -> int:
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def database_problem(error: DatabaseError) -> str:
    """One line for an operator: the database cannot be reached, is not migrated, or
    answered with some other error."""
    try:
        unapplied = _unapplied_migrations()
    except DatabaseError:
        return f"Cannot reach the database (check DATABASE_URL): {_first_line(error)}"
    if unapplied:
        return (f"The database is not migrated ({unapplied} migrations not applied): "
                "run `manage.py migrate` first.")
    return f"The database refused the command: {_first_line(error)}"


class Command(BaseCommand):
    """A management command whose database errors end in one line, not a traceback."""

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except DatabaseError as error:
            raise CommandError(database_problem(error)) from error


def parse_day(value: str, option: str) -> datetime.date:
    """A YYYY-MM-DD date within MAX_YEARS_AWAY years of today, or a CommandError."""
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"{option} must be a date like 2026-11-24, not {value!r}.") from error
    today = clock.today()
    if abs((day - today).days) > MAX_YEARS_AWAY * 365:
        raise CommandError(
            f"{option} {day.isoformat()} is more than {MAX_YEARS_AWAY} years from today "
            f"({today.isoformat()}); give a date near today."
        )
    return day
