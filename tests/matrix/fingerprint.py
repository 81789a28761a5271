"""What a request could have changed, in one comparable value: every table in the database,
with its row count and a digest of its rows. If a GET, a HEAD, a refused POST or a POST
without a CSRF token leaves this equal, it wrote nothing that stayed, anywhere (any table,
any column, audited or not; a table Muster adds later is watched as soon as it exists).

No table is left out: Django's own (sessions, permissions, content types, migrations) are
in too, since a signed-in GET saves no session and creates no permission. The database
computes each table's text in one query, so the matrix's ~4,500 fingerprints stay cheap.
"""

import hashlib

from django.db import connection

_SQL: dict[str, str] = {}  # per database: the one query (the schema is fixed during tests)


def _row_text_sql(cursor, table: str) -> str:
    """SELECT table, row count, its rows as one text in a stable order."""
    q = connection.ops.quote_name
    if connection.vendor == "postgresql":
        return (f"SELECT '{table}', COUNT(*), COALESCE(string_agg(x::text, E'\\n' "
                f"ORDER BY x::text), '') FROM {q(table)} AS x")
    # SQLite: quote() keeps NULL, '' and blobs apart; the subquery fixes the order.
    columns = connection.introspection.get_table_description(cursor, table)
    row = " || char(31) || ".join(f"quote({q(c.name)})" for c in columns)
    return (f"SELECT '{table}', COUNT(*), COALESCE(group_concat(r, char(30)), '') FROM "
            f"(SELECT {row} AS r FROM {q(table)} ORDER BY r)")


def _sql() -> str:
    key = f"{connection.vendor}:{connection.settings_dict['NAME']}"
    if key not in _SQL:
        with connection.cursor() as cursor:
            tables = sorted(connection.introspection.table_names(cursor))
            _SQL[key] = " UNION ALL ".join(_row_text_sql(cursor, t) for t in tables)
    return _SQL[key]


def fingerprint() -> dict[str, tuple[int, str]]:
    """Each table: (how many rows, SHA-256 of its rows)."""
    with connection.cursor() as cursor:
        cursor.execute(_sql())
        rows = cursor.fetchall()
    return {table: (count, hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest())
            for table, count, text in rows}


def changes(before: dict, after: dict) -> list[str]:
    """The tables whose rows differ."""
    return sorted(name for name in before.keys() | after.keys()
                  if before.get(name) != after.get(name))
