"""Inserting many rows at once without a model instance per row (a whole CSV import's
users, roles, grants, invitations, emails and audit events).

`bulk_create` spends its time on each object (building the instance, asking each field of
each instance for its value, then sending and parsing one parameter per value); here the
caller gives plain tuples, and each column's value is prepared by its field only when the
field needs it. On PostgreSQL the rows go in through COPY, with ids taken from the table's
sequence first: a third of the time of bulk_create's INSERTs, on the client and on the
server, for the CSV import's 20,000 audit events. Elsewhere (SQLite) they go in as
multi-row `INSERT ... VALUES ... RETURNING id` statements, in bulk_create's batches.

Like `bulk_create`, it calls no `save()` and sends no signals. Columns left out take their
field's default (evaluated once: the same in every row); a field that sets its own value
on save (`auto_now`, `auto_now_add`, `clock.ChangedAt`) must be given.
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models

BATCH = 2000  # rows per statement (SQLite), as the callers' bulk_create(batch_size=2000)

# Fields whose database value is the Python value itself (for values of the right type):
# no need to ask the field for each row.
_AS_IS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.AutoField,
    models.BigAutoField,
    models.ForeignKey,
)


_PLAIN_PRE_SAVE = (models.Field.pre_save, models.DateField.pre_save, models.DateTimeField.pre_save)


def _sets_itself(field: models.Field) -> bool:
    """A field that stamps its own value when saved (auto_now, clock.ChangedAt...)."""
    return (
        getattr(field, "auto_now", False)
        or getattr(field, "auto_now_add", False)
        or type(field).pre_save not in _PLAIN_PRE_SAVE
    )


def _preparer(field: models.Field) -> Callable[[Any], Any] | None:
    """How a value of `field` becomes its database value (None: it already is)."""
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    if isinstance(field, _AS_IS) and isinstance(target, _AS_IS):
        return None
    # A batch repeats the same value (one moment, one empty list) in every row: the
    # same object is prepared once.
    last: list = [_NOTHING, None]

    def prepare(value):
        if value is not last[0]:
            last[:] = value, field.get_db_prep_save(value, connection)
        return last[1]

    return prepare


_NOTHING = object()


def insert(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence]
) -> list[int]:
    """Insert `rows` (tuples of values for `columns`, field names or attnames such as
    "user_id") into `model`'s table; return the new rows' ids, in order."""
    if not rows:
        return []
    meta = model._meta
    given = [meta.get_field(name) for name in columns]
    given_names = {f.attname for f in given if isinstance(f, models.Field)}
    fields: list[models.Field] = [f for f in given if isinstance(f, models.Field)]
    if len(fields) != len(given) or len(given_names) != len(given):
        raise ValueError(f"{columns} are not distinct concrete fields of {meta.label}")
    # The rest of the table's columns take their defaults (the same in every row).
    defaults: list = []
    for field in meta.concrete_fields:
        if field.attname in given_names or field.primary_key:
            continue
        if _sets_itself(field):
            raise ValueError(f"{meta.label}.{field.name} sets itself on save: give it")
        fields.append(field)
        defaults.append(field.get_db_prep_save(field.get_default(), connection))
    preparers = [_preparer(f) for f in fields[: len(given)]]
    prepared = [
        column if prepare is None else [prepare(v) for v in column]
        for column, prepare in zip(zip(*rows, strict=True), preparers, strict=True)
    ]
    table = Table(meta.db_table, str(meta.pk.column), [str(f.column) for f in fields], defaults)
    if connection.vendor == "postgresql":
        ids = _copy(table, prepared, len(rows))
    else:
        ids = _values(table, prepared, len(rows), fields)
    if len(ids) != len(rows):
        raise RuntimeError(f"{len(rows)} rows inserted into {meta.db_table}, {len(ids)} ids")
    return ids


@dataclass
class Table:
    name: str
    pk: str
    columns: list[str]  # the given ones, then those taking their defaults
    defaults: list  # the defaults' database values


def _copy(table: Table, prepared: Sequence[Sequence], count: int) -> list[int]:
    """PostgreSQL: the ids taken from the table's sequence first (one query), then the rows
    with their ids through COPY (one statement, no SQL to parse per row)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [quote(table.name), table.pk, count],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
        sql = (
            f"COPY {quote(table.name)} ({quote(table.pk)}, "
            f"{', '.join(quote(c) for c in table.columns)}) FROM STDIN"
        )
        start = time.monotonic()
        with cursor.cursor.copy(sql) as copy:
            for pk, *values in zip(ids, *prepared, strict=True):
                copy.write_row((pk, *values, *table.defaults))
        if connection.queries_logged:  # counted, as Django counts the queries it runs
            connection.queries_log.append(
                {"sql": f"{sql} -- {count} rows", "time": f"{time.monotonic() - start:.3f}"}
            )
    return ids


def _values(
    table: Table, prepared: Sequence[Sequence], count: int, fields: list[models.Field]
) -> list[int]:
    """Other databases (SQLite): multi-row INSERT ... RETURNING statements, as bulk_create
    writes them, in the same batches."""
    ops = connection.ops
    columns_sql = ", ".join(ops.quote_name(c) for c in table.columns)
    row_sql = "(" + ", ".join(["%s"] * len(table.columns)) + ")"
    prefix = f"INSERT INTO {ops.quote_name(table.name)} ({columns_sql}) VALUES "  # noqa: S608
    suffix = f" RETURNING {ops.quote_name(table.pk)}"
    batch = max(1, min(BATCH, ops.bulk_batch_size(fields, range(count))))
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, count, batch):
            params: list = []
            rows = 0
            for values in zip(*(c[start : start + batch] for c in prepared), strict=True):
                params.extend(values)
                params.extend(table.defaults)
                rows += 1
            cursor.execute(prefix + ", ".join([row_sql] * rows) + suffix, params)
            ids.extend(row[0] for row in cursor.fetchall())
    return ids
