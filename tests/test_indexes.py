"""Every write updates each index of its table: Muster's tables keep none that another
index already answers (a column alone that leads a composite index), so a CSV import or a
sweep pays only for indexes some query reads (issue 17)."""

import pytest
from django.apps import apps
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="PostgreSQL's catalog (pg_index); SQLite's indexes differ"),
]

# Kept on purpose, each with its reason.
KEPT = {
    # FSM state columns filtered with IN (...) on their own; their LIKE twin answers "=".
    ("contracts_contract", ("stage",)),
    ("onboarding_onboardingrequest", ("status",)),
    # Django's own table for a many-to-many field (DUA services): not declared by Muster.
    ("contracts_datauseagreement_services", ("datauseagreement_id",)),
}

INDEXES = """
SELECT t.relname, i.relname, x.indisunique, x.indpred IS NOT NULL,
       x.indexprs IS NOT NULL, pg_get_indexdef(x.indexrelid),
       ARRAY(SELECT a.attname FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(n, o)
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n ORDER BY k.o)
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
WHERE t.relname = ANY(%s)
"""


def test_no_index_of_a_muster_table_is_the_leading_part_of_another():
    tables = [m._meta.db_table for m in apps.get_models()
              if m.__module__.startswith("muster.")]
    with connection.cursor() as cursor:
        cursor.execute(INDEXES, [tables])
        found = cursor.fetchall()
    plain = [(table, name, tuple(columns)) for table, name, unique, partial, expression,
             definition, columns in found
             if not partial and not expression and "pattern_ops" not in definition]
    covered = sorted(
        (table, name, columns)
        for table, name, columns in plain
        for other_table, other, longer in plain
        if table == other_table and len(columns) < len(longer)
        and longer[:len(columns)] == columns
        and not any(u for t, n, u, *_ in found if n == name and u)  # a unique one stays
        and (table, columns) not in KEPT
    )
    assert covered == []
