"""SQL building blocks the KPI engine shares between PostgreSQL and the embedded SQLite.

Every helper runs one query whatever the number of BRMs, teams or clients: aggregates are
computed by the database over the events of the period and returned per subject.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models import (
    Aggregate,
    BigIntegerField,
    BooleanField,
    Case,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)


class _Difference(Func):
    """``end`` minus ``start`` in the unit of each database's template: PostgreSQL subtracts
    (``postgresql_template`` around ``end - start``), SQLite calls its date functions."""

    postgresql_template = "(%(expressions)s)"
    sqlite_template = ""
    sqlite_joiner = ", "

    def __init__(self, end, start):
        super().__init__(end, start)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template=self.sqlite_template,
            arg_joiner=self.sqlite_joiner,
            **extra,
        )

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template=self.postgresql_template, arg_joiner=" - ", **extra
        )


class Seconds(_Difference):
    """Seconds from ``start`` to ``end`` (datetimes), exact to the microsecond on both
    databases so that medians agree to the last digit."""

    output_field = FloatField()
    postgresql_template = "CAST(EXTRACT(EPOCH FROM (%(expressions)s)) AS double precision)"
    # Django registers django_timestamp_diff on every SQLite connection: microseconds.
    sqlite_template = "(django_timestamp_diff(%(expressions)s) / 1000000.0)"


class DaysBetween(_Difference):
    """Whole days from ``start`` to ``end`` (dates)."""

    output_field = IntegerField()
    sqlite_template = "CAST(ROUND(julianday(%(expressions)s)) AS INTEGER)"
    sqlite_joiner = ") - julianday("


def boolean(condition: Q) -> ExpressionWrapper:
    """``condition`` as a boolean column (an annotation or a value)."""
    return ExpressionWrapper(condition, output_field=BooleanField())


class AnyBits(Aggregate):
    """Bitwise OR of the rows' masks (each a power of two): ``BIT_OR`` on PostgreSQL, the sum
    of the distinct powers on SQLite, which has no ``BIT_OR``."""

    function = "BIT_OR"
    output_field = BigIntegerField()
    allow_distinct = True

    def as_sqlite(self, compiler, connection, **extra):
        clone = self.copy()
        clone.distinct = True
        return clone.as_sql(compiler, connection, function="SUM", **extra)


class _Segment(Func):
    """``Segments.index``: on PostgreSQL one ``width_bucket`` call (a binary search in C over
    the bounds, passed as one array: the number of bounds at or before ``field``), elsewhere
    the same search as nested ``CASE`` (``search``), one comparison per level."""

    output_field = BigIntegerField()

    def __init__(self, field: str, bounds: list, search: Case, *, bit: bool):
        super().__init__(F(field), search)
        self.bounds, self.bit = bounds, bit

    def as_sql(self, compiler, connection, **extra):
        return compiler.compile(self.get_source_expressions()[1])

    def as_postgresql(self, compiler, connection, **extra):
        field, params = compiler.compile(self.get_source_expressions()[0])
        segment = f"COALESCE(width_bucket({field}, %s), 0)"
        if self.bit:
            segment = f"({ONE} << {segment})"
        return segment, (*params, list(self.bounds))


# A 64-bit one to shift: PostgreSQL's literal 1 is a 32-bit integer.
ONE = "CAST(1 AS bigint)"


def bit_run(low: str, end: str) -> str:
    """SQL of the mask whose bits ``low`` to ``end - 1`` are set (0 when ``end <= low``), both
    SQL integer expressions below 63."""
    return f"(({ONE} << {end}) - ({ONE} << {low}))"


def lookup(index: str, values: list[int]) -> str:
    """SQL of ``values[index]`` for the SQL integer expression ``index`` (0 to
    ``len(values) - 1``, or NULL: NULL): on PostgreSQL an array subscript, one step per row
    where a join to a ``VALUES`` table is a hash probe; elsewhere a ``CASE``."""
    if connection.vendor == "postgresql":
        return f"(CAST(ARRAY[{', '.join(map(str, values))}] AS bigint[]))[{index} + 1]"
    whens = " ".join(f"WHEN {i} THEN {value}" for i, value in enumerate(values))
    return f"(CASE {index} {whens} END)"


def any_bits(expression: str) -> str:
    """SQL of ``AnyBits`` over ``expression`` (each row a power of two or 0)."""
    if connection.vendor == "postgresql":
        return f"BIT_OR({expression})"
    return f"SUM(DISTINCT {expression})"


class Segments:
    """The instants (or days) where some window starts or ends, sorted: an event's segment is
    how many of them are at or before it, so every window's span ``[a, b)`` between two of
    them is a run of segments, and "some event in the span" is a bit test on the OR of the
    events' ``1 << segment`` (``bit``)."""

    # Bits of a signed 64-bit integer a mask may use.
    MAX_BITS = 63

    def __init__(self, bounds: Sequence):
        self.bounds = sorted(set(bounds))

    def index(self, field: str, *, bit: bool = False) -> Func | Value:
        """The segment of ``field`` (or ``1 << segment`` with ``bit``), as a binary search over
        the bounds: a few comparisons per row, whatever the number of windows. A null
        ``field`` is in segment 0."""
        value: Callable[[int], int] = (lambda segment: 1 << segment) if bit else int

        def search(low: int, high: int) -> Case | Value:
            if low == high:
                return Value(value(low), output_field=BigIntegerField())
            middle = (low + high + 1) // 2
            return Case(
                When(**{f"{field}__gte": self.bounds[middle - 1]}, then=search(middle, high)),
                default=search(low, middle - 1),
                output_field=BigIntegerField(),
            )

        if not self.bounds:
            return search(0, 0)
        return _Segment(field, self.bounds, search(0, len(self.bounds)), bit=bit)

    def sql_index(self, column: str, *, strict: bool = False) -> tuple[str, list]:
        """``index`` as SQL over the date ``column`` of a hand-written statement (the bounds
        are days), with its parameters. ``strict`` counts the bounds before the value instead
        of those at or before it: the index of the first bound a span from the value covers."""
        adapt = connection.ops.adapt_datefield_value
        operator = ">" if strict else ">="
        params: list = []

        def search(low: int, high: int) -> str:
            if low == high:
                return str(low)
            middle = (low + high + 1) // 2
            params.append(adapt(self.bounds[middle - 1]))
            then, otherwise = search(middle, high), search(low, middle - 1)
            return f"CASE WHEN {column} {operator} %s THEN {then} ELSE {otherwise} END"

        return search(0, len(self.bounds)), params

    def sql_bit(self, column: str) -> tuple[str, list]:
        """``bit`` as SQL over the date ``column`` of a hand-written statement."""
        index, params = self.sql_index(column)
        return f"({ONE} << {index})", params

    def sql_covered(self, first: str, until: str) -> tuple[str, list]:
        """SQL of the mask whose bit ``k`` is set when the ``k``-th bound (a day) is in
        ``[first, until)``, date columns of a hand-written statement (``until`` NULL: no end);
        an empty span gives 0. Spans that never overlap (one history's successive entries)
        have masks whose sum is their union."""
        low, low_params = self.sql_index(first, strict=True)
        high, high_params = self.sql_index(until, strict=True)
        end = f"CASE WHEN {until} IS NULL THEN {len(self.bounds)} ELSE {high} END"
        return bit_run(low, end), [*high_params, *low_params]

    def bit(self, field: str) -> Func | Value:
        """``1 << segment`` of ``field``."""
        if len(self.bounds) >= self.MAX_BITS:
            raise ValueError("Too many window bounds for one mask: split the windows.")
        return self.index(field, bit=True)

    def of(self, first, until) -> range:
        """The segments of ``[first, until)`` (both among the bounds)."""
        return range(bisect_right(self.bounds, first), bisect_right(self.bounds, until))

    def mask(self, first, until) -> int:
        """The bits of the segments of ``[first, until)``."""
        return sum(1 << segment for segment in self.of(first, until))


def when(*flags: str, value: str = "1") -> str:
    """``SUM`` of ``value`` over rows where every boolean column in ``flags`` is true (a count
    for ``1``); ``NULL`` rather than 0 for a sum over no row."""
    condition = " AND ".join(flags)
    if value == "1":
        return f"COUNT(*) FILTER (WHERE {condition})"
    return f"SUM({value}) FILTER (WHERE {condition})"


@contextmanager
def planner_settings(values: dict[str, str]) -> Iterator[None]:
    """PostgreSQL's settings ``values`` (name -> value, e.g. ``{"enable_hashjoin": "off"}``)
    for the statements run inside, in a transaction (a savepoint inside another), then
    restored to what they were for the rest of an enclosing transaction; an error rolls them
    back with the savepoint. Where a plan PostgreSQL's cost model misjudges is measured
    (docs/kpis-implementation.md). SQLite has no such settings: nothing is run there."""
    if not values or connection.vendor != "postgresql":
        yield
        return
    names = list(values)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(["current_setting(%s)"] * len(names)), names)
        before = dict(zip(names, cursor.fetchone(), strict=True))
        _set_configs(cursor, values)
        yield
        _set_configs(cursor, before)


def _set_configs(cursor, values: dict[str, str]) -> None:
    """Each of ``values`` (name -> value) for the current transaction, as ``SET LOCAL``."""
    cursor.execute(
        "SELECT " + ", ".join(["set_config(%s, %s, true)"] * len(values)),
        [each for name, value in values.items() for each in (name, value)],
    )


def statement(queryset: QuerySet) -> tuple[str, tuple]:
    """The queryset as SQL to nest in a CTE. Its columns must all be named
    (``values(name=expr)``)."""
    sql, params = queryset.order_by().query.sql_with_params()
    return sql, tuple(params)


def grouped(
    sql: str,
    params: list | tuple,
    keys: list[str],
    aggregates: dict[str, str],
    *,
    where: str = "",
) -> list[dict]:
    """Aggregate the rows of the statement ``sql`` grouped by ``keys``, only those meeting
    the condition ``where`` (SQL over its columns) when given.

    Used where one scan of the clients feeds aggregates grouped by different owners (at the
    period's start, at its end): the database evaluates each row's flags once, Python adds
    each group's sums to the owner they belong to.
    """
    columns = ", ".join(keys)
    selected = ", ".join(f"{expression} AS {name}" for name, expression in aggregates.items())
    condition = f"WHERE {where}" if where else ""
    query = f"SELECT {columns}, {selected} FROM ({sql}) rows_ {condition} GROUP BY {columns}"
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def values_table(name: str, columns: dict[str, str], rows: list[tuple]) -> tuple[str, list]:
    """``name(columns) AS (VALUES ...)`` for a CTE, with its parameters: ``columns`` maps each
    column to its kind, ``"int"`` (written into the statement), ``"date"`` or ``"instant"``
    (bound, typed on PostgreSQL, as strings on SQLite). Used to join many windows' bounds to
    the events in one statement."""
    postgres = connection.vendor == "postgresql"
    ops = connection.ops
    casts = {"date": "CAST(%s AS date)", "instant": "CAST(%s AS timestamptz)"}
    adapt = {"date": ops.adapt_datefield_value, "instant": ops.adapt_datetimefield_value}
    params: list = []
    lines = []
    for row in rows:
        cells = []
        for kind, value in zip(columns.values(), row, strict=True):
            if kind == "int":
                cells.append(str(int(value)))
            else:
                cells.append(casts[kind] if postgres else "%s")
                params.append(adapt[kind](value))
        lines.append(f"({', '.join(cells)})")
    return f"{name}({', '.join(columns)}) AS (VALUES {', '.join(lines)})", params
