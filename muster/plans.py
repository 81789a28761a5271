"""What keeps PostgreSQL's kept plans good with prepared statements (DB_PREPARED_STATEMENTS).

A prepared statement's generic plan is made without its parameters' values. A fixed value
(the open statuses of a kind of work item) passed as a parameter then hides from it what
the value is: it cannot use a partial index whose condition names that value, nor the
value's statistics, so PostgreSQL keeps planning the query afresh (7 ms for My work's
unassigned grants, to run it in 0.4 ms). `ConstantIn` writes such values into the SQL.
"""

import re
from collections.abc import Iterable

from django.db.models import BooleanField, F, Func

# Only such values are written into the SQL: no quoting needed, nothing a person typed.
_PLAIN = re.compile(r"[a-z0-9_]{1,64}")


class ConstantIn(Func):
    """`column IN ('a', 'b')` with the values (code's own constants: lowercase letters,
    digits and underscores) written into the SQL."""

    output_field = BooleanField()

    def __init__(self, field: str, values: Iterable[str]):
        self.values = tuple(str(value) for value in values)  # a TextChoices member: its value
        if not self.values or not all(_PLAIN.fullmatch(v) for v in self.values):
            raise ValueError(f"not plain constants: {self.values!r}")
        super().__init__(F(field))

    def as_sql(self, compiler, connection, function=None, template=None, arg_joiner=None,
               **extra_context):
        column, params = compiler.compile(self.get_source_expressions()[0])
        listed = ", ".join(f"'{value}'" for value in self.values)
        return f"{column} IN ({listed})", tuple(params)
