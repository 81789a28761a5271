"""A query a page runs on every request, built by the ORM once per process and database,
then run as SQL with each call's values: as rows (`rows`, `count`), as the dicts a
`values()` query set gives (`dicts`) or as the model instances iterating the query set
gives (`objects`).

Building a small query is most of its cost: about a thousand Python calls (1 to 2 ms on
this project's machine) against a fifth of a millisecond for the database to answer it.
For queries whose SQL does not depend on the values, which go in as parameters only: a
value the built SQL does not carry as a parameter as given (say, wrapped in `%...%` by a
`contains` lookup) is refused when the query is built. Rows go through the ORM's own
converters for their columns (SQLite hands dates back as text).
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet, prefetch_related_objects
from django.db.models.query import ModelIterable, get_related_populators


class Limit(int):
    """The kind of a value a query takes as a slice's bound (`[start:stop]`). It stays written in
    the SQL, as Django writes it: PostgreSQL's plan kept for a prepared statement is
    costed for that LIMIT (with a parameter it assumes a tenth of the rows, and plans the
    query afresh each time instead). Each distinct value is built once, up to
    MAX_LIMITS of them per query."""


MAX_LIMITS = 16

# What each value is while the query is built: a value no call passes, found again among
# the built query's parameters.
_STAND_INS: dict[type, Callable[[int], Any]] = {
    int: lambda n: -(10**15) - n,
    str: lambda n: f"\x00compiled-value-{n}\x00",
    datetime.date: lambda n: datetime.date(1, 1, 1) + datetime.timedelta(days=n),
}


class Compiled:
    """`build(**values)` returns the query set; `kinds` names each value's type (int, str
    or datetime.date). `rows(**values)`, `count(**values)` and `objects(**values)` run
    it: one query each (and `objects` the query set's prefetches)."""

    def __init__(self, build: Callable[..., QuerySet], **kinds: type):
        self._build = build
        self._kinds = kinds
        self._limits = [name for name, kind in kinds.items() if kind is Limit]
        self._built: dict[tuple, _Built] = {}

    # Each call looks the connection up once (_db) and hands it down: each use of
    # django.db.connection looks it up again (about 9 Python calls; a contract page's
    # 25 runs used it some 150 times).

    def rows(self, **values) -> list[tuple]:
        db = _db()
        return self._rows(self._sql(values, db), values, db)

    def count(self, **values) -> int:
        """How many rows: a COUNT around the built SQL as it is, its columns and its order
        (build `.order_by().values("pk")` to count as QuerySet.count() does)."""
        db = _db()
        counted = self._run(self._sql(values, db),
                            ("SELECT COUNT(*) FROM (", ") AS compiled_rows"), values, db)
        return counted[0][0] if counted else 0

    def dicts(self, **values) -> list[dict]:
        """The dicts iterating a `values()` query set gives: each row by its names."""
        db = _db()
        built = self._sql(values, db)
        return [dict(zip(built.names, row, strict=True))
                for row in self._rows(built, values, db)]

    def objects(self, **values) -> list[Model]:
        """The model instances iterating the query set gives: its fields (those `only`
        chose), what `select_related` follows, its annotations, then its prefetches."""
        db = _db()
        built = self._sql(values, db)
        made = built.instances_of(self._rows(built, values, db))
        if built.prefetch and made:
            prefetch_related_objects(made, *built.prefetch)
        return made

    def gives_instances(self, **values) -> bool:
        """Whether the query set gives model instances (else a values() query set's rows)."""
        built = self._sql(values, _db())
        return built.instances is not None or (built.nothing and not built.names)

    def _rows(self, built: "_Built", values: dict, db) -> list[tuple]:
        rows = self._run(built, ("", ""), values, db)
        if not built.converters:
            return rows
        converters = list(built.converters.items())
        return [_converted(row, converters, db) for row in rows]

    def _run(self, built: "_Built", around: tuple[str, str], values: dict,
             db) -> list[tuple]:
        if built.nothing:
            return []
        params = [_as_parameter(self._kinds[name], values[name], db) if name else fixed
                  for name, fixed in built.slots]
        with db.cursor() as cursor:
            cursor.execute(around[0] + built.sql + around[1], params)
            return cursor.fetchall()

    def _sql(self, values: dict, db) -> "_Built":
        """The SQL, for each parameter the value's name (None: fixed by the query), the
        converters of the columns that have any, and how rows become instances."""
        if values.keys() != self._kinds.keys():
            raise TypeError(f"give {sorted(self._kinds)}, not {sorted(values)}")
        limits = {name: int(values[name]) for name in self._limits}
        key = (db.alias, db.vendor, *limits.values())
        built = self._built.get(key)
        if built is None:  # read and kept whole: another thread may clear the dict
            built = self._built_anew(values, limits, db)
            if len(self._built) >= MAX_LIMITS:  # a query's pages, each visited: start over
                self._built.clear()
            self._built[key] = built
        return built

    def _built_anew(self, values: dict, limits: dict, db) -> "_Built":
        """The query set built with stand-ins for the values (and the limits as given),
        compiled, and each parameter traced back to its value."""
        stand_ins = {name: _STAND_INS[kind](n)
                     for n, (name, kind) in enumerate(self._kinds.items()) if kind is not Limit}
        by_value = {(type(p), p): name for name, p in (
            (name, _as_parameter(self._kinds[name], v, db)) for name, v in stand_ins.items())}
        queryset: Any = self._build(**stand_ins, **limits)  # its private parts: below
        compiler = queryset.query.get_compiler(db.alias)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # `[:0]`, say: no rows, whatever the values
            return _Built("", [], {}, None, (), (), nothing=True)
        slots = [(by_value.get((type(p), p)), p) for p in params]
        unused = set(stand_ins) - {name for name, _ in slots}
        if unused:
            raise ValueError(f"the query does not carry {sorted(unused)} as given")
        columns = [column for column, _, _ in compiler.select[:compiler.col_count]]
        query = queryset.query  # a values() query set's names, as ValuesIterable reads them
        names = (*query.extra_select, *query.values_select, *query.annotation_select)
        return _Built(sql, slots, compiler.get_converters(columns),
                      _Instances.of(queryset, compiler, db.alias),
                      tuple(queryset._prefetch_related_lookups), names)


class Pages:
    """A Compiled query's rows as Django's Paginator reads them: `count()` (the `counted`
    query, with `counted_values`) and a page, a slice (the `shown` query, with `values`
    and the slice's `start` and `stop` as Limits): its instances, or its dicts for a
    `values()` query set."""

    def __init__(self, shown: Compiled, counted: Compiled, values: dict,
                 counted_values: dict):
        self.shown, self.counted = shown, counted
        self.values, self.counted_values = values, counted_values

    def count(self) -> int:
        return self.counted.count(**self.counted_values)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, page: slice) -> list[Model] | list[dict]:
        values = {**self.values, "start": page.start or 0, "stop": page.stop}
        if self.shown.gives_instances(**values):
            return self.shown.objects(**values)
        return self.shown.dicts(**values)


class Related:
    """One instance's reverse foreign key (`name` on `model`: a contract's `roles`), its
    rows read by a query built once per process and kept where prefetch_related keeps
    them: `instance.<name>.all()` answers them with no query, each row knows its parent
    (reading it reads nothing), and a filter on the relation reads the database as it
    would with no prefetch. `build(parent)` gives the rows' query set for the parent's pk
    (a subquery of it may use the pk too); the relation's own filter is added here.
    prefetch_related builds its queries on every call (a thousand and more Python calls
    each)."""

    def __init__(self, model: type[Model], name: str, build: Callable[[int], QuerySet]):
        self.name = name
        self._key = model._meta.get_field(name).field  # type: ignore[union-attr]
        self._cache_name = self._key.remote_field.cache_name
        self._compiled = Compiled(
            lambda parent: build(parent).filter(**{self._key.attname: parent}), parent=int)

    def prefetch(self, instance: Model) -> None:
        rows = self._compiled.objects(parent=instance.pk)
        for row in rows:
            self._key.set_cached_value(row, instance)
        kept = instance.__dict__.setdefault("_prefetched_objects_cache", {})
        kept.pop(self._cache_name, None)  # so the manager gives the relation's query set
        queryset = getattr(instance, self.name).get_queryset()  # its filter, deferred
        queryset._result_cache, queryset._prefetch_done = rows, True
        kept[self._cache_name] = queryset


def _db():
    """The default database's connection in this thread."""
    return connections[DEFAULT_DB_ALIAS]


def _as_parameter(kind: type, value: Any, db) -> Any:
    """A value as the built query carries it (SQLite takes dates as text)."""
    if kind is datetime.date:
        return db.ops.adapt_datefield_value(value)
    return kind(value)


@dataclass(frozen=True)
class _Instances:
    """How a row becomes a model instance, as Django's ModelIterable makes it, worked out
    once: the model's columns, the related objects' populators, the annotations."""

    model: type[Model]
    fields: slice
    names: list[str]
    related: list
    annotations: dict[str, int]
    fetch_mode: Any
    db: str  # the connection's alias

    @classmethod
    def of(cls, queryset: Any, compiler, alias: str) -> "_Instances | None":  # private parts
        if queryset._iterable_class is not ModelIterable or queryset._known_related_objects:
            return None  # values(), or a related manager's set: rows() only
        info, select = compiler.klass_info, compiler.select
        start, end = info["select_fields"][0], info["select_fields"][-1] + 1
        return cls(info["model"], slice(start, end),
                   [column[0].target.attname for column in select[start:end]],
                   get_related_populators(info, select, alias, queryset._fetch_mode),
                   dict(compiler.annotation_col_map), queryset._fetch_mode, alias)

    def make(self, row: tuple) -> Model:
        made = self.model.from_db(self.db, self.names, row[self.fields],
                                  fetch_mode=self.fetch_mode)
        for populator in self.related:
            populator.populate(row, made)
        for name, position in self.annotations.items():
            setattr(made, name, row[position])
        return made


@dataclass(frozen=True)
class _Built:
    sql: str
    slots: list[tuple[str | None, Any]]
    converters: dict[int, tuple[list[Callable], Any]]  # position: (converters, column)
    instances: "_Instances | None"
    prefetch: tuple
    names: tuple[str, ...]  # a values() query set's: its rows' names
    nothing: bool = False  # the query can have no rows

    def instances_of(self, rows: list[tuple]) -> list[Model]:
        if self.nothing:
            return []
        if self.instances is None:
            raise TypeError("a values() query set has rows, not instances: use rows()")
        return [self.instances.make(row) for row in rows]


def _converted(row: tuple, converters: list, wrapper) -> tuple:
    """The row with each column's converters applied, as the ORM applies them."""
    values = list(row)
    for position, (functions, column) in converters:
        for convert in functions:
            values[position] = convert(values[position], column, wrapper)
    return tuple(values)
