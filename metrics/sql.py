"""SQL building blocks the KPI engine shares between PostgreSQL and the embedded SQLite.

Every helper runs one query whatever the number of BRMs, teams or clients: aggregates are
computed by the database over the events of the period and returned per subject.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from statistics import median
from typing import Any

from django.db import connection
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

from metrics.subjects import SubjectKey, Subjects


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
        return f"(({ONE} << {end}) - ({ONE} << {low}))", [*high_params, *low_params]

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
    """``SUM`` of ``value`` over rows where every boolean column in ``flags`` is true."""
    return f"SUM(CASE WHEN {' AND '.join(flags)} THEN {value} ELSE 0 END)"


def statement(queryset: QuerySet) -> tuple[str, tuple]:
    """The queryset as SQL to nest in a CTE. Its columns must all be named
    (``values(name=expr)``)."""
    sql, params = queryset.order_by().query.sql_with_params()
    return sql, tuple(params)


def grouped(
    sql: str, params: list | tuple, keys: list[str], aggregates: dict[str, str]
) -> list[dict]:
    """Aggregate the rows of the statement ``sql`` grouped by ``keys``.

    Used where one scan of the clients feeds aggregates grouped by different owners (at the
    period's start, at its end): the database evaluates each row's flags once, Python adds
    each group's sums to the owner they belong to.
    """
    columns = ", ".join(keys)
    selected = ", ".join(f"{expression} AS {name}" for name, expression in aggregates.items())
    query = f"SELECT {columns}, {selected} FROM ({sql}) rows_ GROUP BY {columns}"
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


# One measurement window of a per-subject statement: who is measured, and the half-open
# instants ``[from, until)`` of the events counted (``None``: every event of the queryset).
Group = tuple[Subjects, tuple[datetime, datetime] | None]


def _per_window_sql(
    sql: str,
    groups: list[Group],
    aggregates: str,
) -> tuple[str, list]:
    """One statement returning ``aggregates`` for every BRM, team and the organisation of every
    window, over the CTE ``ev(who, x[, at])``: the events are read once and joined to the
    windows containing their instant ``at``. Teams are joined through their membership pairs
    (per window), so a team's value is computed from its members' records, never from their
    results. Rows are ``(window index, subject type, subject id, *aggregates)``."""
    params: list[Any] = []
    timed = [index for index, (_, bounds) in enumerate(groups) if bounds is not None]
    if timed:
        # Each event carries its segment between the windows' bounds (``_segments``): joined
        # by equality to the windows containing the segment, not tested against every window.
        segments = _segments(groups)
        windows = ", ".join(f"({index})" for index in timed)
        covered = ", ".join(
            f"({segment}, {index})" for index in timed for segment in segments.of(*groups[index][1])
        )
        ctes = [
            f"ev AS ({sql})",
            f"w_(i) AS (VALUES {windows})",
            f"ws(seg, i) AS (VALUES {covered or '(-1, -1)'})",
            "evw AS (SELECT ws.i, ev.who, ev.x FROM ev JOIN ws ON ws.seg = ev.seg)",
        ]
    else:
        ctes = [f"ev AS ({sql})", "w_(i) AS (VALUES (0))", "evw AS (SELECT 0 AS i, ev.* FROM ev)"]
    branches = [f"SELECT i, 'brm', who, {aggregates} FROM evw GROUP BY i, who"]
    # Ids come from the database as integers: written into the statement, they spare
    # thousands of parameters for a long backfill.
    pairs = [
        f"({index}, {int(owner)}, {int(team)})"
        for index, (subjects, _) in enumerate(groups)
        for owner, team in subjects.membership_pairs()
    ]
    if pairs:
        ctes.append(f"tm(i, owner_id, team_id) AS (VALUES {', '.join(pairs)})")
        branches.append(
            f"SELECT evw.i, 'team', tm.team_id, {aggregates} FROM evw "
            "JOIN tm ON tm.i = evw.i AND tm.owner_id = evw.who GROUP BY evw.i, tm.team_id"
        )
    # From the windows, so a window without events still has its organisation's row.
    branches.append(
        f"SELECT w_.i, 'org', 0, {aggregates} FROM w_ LEFT JOIN evw ON evw.i = w_.i GROUP BY w_.i"
    )
    return "WITH " + ", ".join(ctes) + " " + " UNION ALL ".join(branches), params


def _segments(groups: list[Group]) -> Segments:
    return Segments([moment for _, bounds in groups if bounds is not None for moment in bounds])


def _fetch_per_window(
    queryset: QuerySet, groups: list[Group], aggregates: dict[str, str]
) -> list[dict[SubjectKey, dict[str, float]]]:
    """``aggregates`` per subject of each group, over a queryset's events (joined to the
    groups' windows by their instant ``at``)."""
    if any(bounds is not None for _, bounds in groups):
        queryset = queryset.annotate(seg=_segments(groups).index("at"))
    sql, params = statement(queryset)
    query, tail = _per_window_sql(sql, groups, ", ".join(aggregates.values()))
    with connection.cursor() as cursor:
        cursor.execute(query, (*params, *tail))
        rows = cursor.fetchall()
    results: list[dict[SubjectKey, dict[str, float]]] = [{} for _ in groups]
    for index, subject_type, subject_id, *values in rows:
        key = SubjectKey(subject_type, int(subject_id))
        groups[index][0].see(key)
        results[index][key] = {
            name: float(value) if value is not None else None
            for name, value in zip(aggregates, values, strict=True)
        }
    return results


def distinct_per_subject(
    queryset: QuerySet, groups: list[Group], name: str
) -> list[dict[SubjectKey, dict[str, float]]]:
    """``COUNT(DISTINCT x)`` (as ``name``) per subject and window over
    ``queryset.values(who=..., x=..., at=...)``: a team counts a contact two of its members
    both reached once, as the organisation does.

    Each window is a run of the ``Segments`` between the windows' bounds, so one statement
    (per ``_fitting`` group of windows) reduces the events to one row per ``(who, x)``: the
    OR of the bits of the segments ``x`` was reached in (``m``). ``x`` counts in a window when
    that mask meets the window's: a BRM's count is the number of its rows that do; a team's
    and the organisation's, the number of ``x`` whose OR over the members' (everyone's) masks
    does. The events are hashed into ``(who, x)`` pairs, not ``(window, who, x)`` triples:
    a contact reached every month of a 24-month backfill is one row, not 24.
    """
    results: list[dict[SubjectKey, dict[str, float]]] = [{} for _ in groups]
    runs = _fitting(groups)
    for indexes in runs:
        run = [groups[index] for index in indexes]
        events = queryset
        if len(runs) > 1 and all(bounds for _, bounds in run):
            # Only the events of these windows (a long backfill is read in several runs).
            events = queryset.filter(
                at__gte=min(bounds[0] for _, bounds in run),
                at__lt=max(bounds[1] for _, bounds in run),
            )
        rows = _masks_per_subject(events, run)
        for subject_type, subject_id, *counts in rows:
            key = SubjectKey(subject_type, int(subject_id))
            for index, count in zip(indexes, counts, strict=True):
                # Like COUNT(DISTINCT x): every window has its organisation's row, a BRM or a
                # team only where it reached someone.
                if count or subject_type == "org":
                    groups[index][0].see(key)
                    results[index][key] = {name: float(count)}
    return results


def _fitting(groups: list[Group]) -> list[list[int]]:
    """The indexes of ``groups``, in consecutive runs whose bounds fit one mask."""
    runs: list[list[int]] = []
    for index in range(len(groups)):
        run = [*runs[-1], index] if runs else []
        if run and len(_segments([groups[each] for each in run]).bounds) < Segments.MAX_BITS:
            runs[-1] = run
        else:
            runs.append([index])
    return runs


def _masks_per_subject(queryset: QuerySet, groups: list[Group]) -> list[tuple]:
    """Rows ``(subject type, subject id, count in each of groups' windows)`` of
    ``distinct_per_subject``, in one statement. Each event's segment is joined to the
    segments some window covers (``ws``), which gives its bit and leaves out the others."""
    segments = _segments(groups)
    every = range(len(segments.bounds) + 1)
    covers = [segments.of(*bounds) if bounds else every for _, bounds in groups]
    masks = [sum(1 << segment for segment in covered) for covered in covers]
    bits = ", ".join(
        f"({segment}, {1 << segment})" for segment in sorted({s for c in covers for s in c})
    )
    sql, params = statement(queryset.annotate(seg=segments.index("at")))
    version_of, members = _team_versions([subjects for subjects, _ in groups], masks)
    pairs = [
        f"({version}, {int(owner)}, {int(team)}, {mask})"
        for (version, owner, team), mask in members.items()
    ]

    def counts(of_team: bool = False) -> str:
        return ", ".join(
            "COUNT(*) FILTER (WHERE "
            + (f"v = {version_of[index]} AND " if of_team else "")
            + f"(bits & {mask}) <> 0)"
            for index, mask in enumerate(masks)
        )

    # PostgreSQL ORs the pairs' masks again for the teams and the organisation (a small
    # table); SQLite's ``any_bits`` adds distinct powers of two, so it reads the events' bits.
    finer, bit = ("m", "bits") if connection.vendor == "postgresql" else ("evb", "bit")
    ctes = [
        f"ev AS ({sql})",
        f"ws(seg, bit) AS (VALUES {bits or '(-1, 0)'})",
        "evb AS (SELECT ev.who, ev.x, ws.bit FROM ev JOIN ws ON ws.seg = ev.seg)",
        f"m AS (SELECT who, x, {any_bits('bit')} AS bits FROM evb GROUP BY who, x)",
    ]
    branches = [
        f"SELECT 'brm', who, {counts()} FROM m GROUP BY who",
        f"SELECT 'org', 0, {counts()} FROM "
        f"(SELECT x, {any_bits(bit)} AS bits FROM {finer} GROUP BY x) o",
    ]
    if pairs:
        ctes.append(f"tv(v, owner_id, team_id, mask) AS (VALUES {', '.join(pairs)})")
        branches.append(
            f"SELECT 'team', team_id, {counts(of_team=True)} FROM (SELECT tv.v, tv.team_id, "
            f"{finer}.x, {any_bits(f'{finer}.{bit} & tv.mask')} AS bits FROM {finer} "
            f"JOIN tv ON tv.owner_id = {finer}.who GROUP BY tv.v, tv.team_id, {finer}.x) t "
            "GROUP BY v, team_id"
        )
    with connection.cursor() as cursor:
        cursor.execute("WITH " + ", ".join(ctes) + " " + " UNION ALL ".join(branches), params)
        return cursor.fetchall()


def _team_versions(
    groups: list[Subjects], masks: list[int]
) -> tuple[list[int], dict[tuple[int, int, int], int]]:
    """Each window's team version, and per (version, owner, team) the mask of the segments
    where the owner's records count for the team.

    When windows with different members never share a segment (a backfill's months), there is
    one version: an owner's records count for a team in the segments of the windows where
    they were a member, so a team's contacts are one OR per (team, contact) whatever the
    changes of membership. Otherwise (a quarter and a month within it with other members)
    each set of members is a version of its own, whose members count everywhere.
    """
    pairs = [frozenset(subjects.membership_pairs()) for subjects in groups]
    apart = all(
        pairs[one] == pairs[other] or not masks[one] & masks[other]
        for one in range(len(groups))
        for other in range(one)
    )
    members: dict[tuple[int, int, int], int] = defaultdict(int)
    if apart:
        for window, window_pairs in enumerate(pairs):
            for owner, team in window_pairs:
                members[0, owner, team] |= masks[window]
        return [0] * len(groups), dict(sorted(members.items()))
    versions: dict[frozenset, int] = {}
    version_of = [versions.setdefault(each, len(versions)) for each in pairs]
    every = (1 << Segments.MAX_BITS) - 1
    for each, version in versions.items():
        for owner, team in each:
            members[version, owner, team] = every
    return version_of, dict(sorted(members.items()))


def median_per_subject(
    queryset: QuerySet, groups: list[Group], name: str
) -> list[dict[SubjectKey, dict[str, float]]]:
    """Median (and count, as ``<name>_n``) of ``x`` per subject and window over
    ``queryset.values(who=..., x=..., at=...)``.

    PostgreSQL computes ``percentile_cont(0.5)`` in the database. SQLite has no percentile
    function, so the same single query returns the values and Python takes the median of
    each subject's values, with the same interpolation (mean of the two middle values).
    """
    if connection.vendor == "postgresql":
        return _fetch_per_window(
            queryset,
            groups,
            {
                name: "percentile_cont(0.5) WITHIN GROUP (ORDER BY x)",
                f"{name}_n": "COUNT(x)",
            },
        )
    by_owner: list[dict[int, list[float]]] = [defaultdict(list) for _ in groups]
    for owner_id, value, at in queryset.order_by().values_list("who", "x", "at"):
        if value is None:
            continue
        for index, (_, bounds) in enumerate(groups):
            if bounds is None or bounds[0] <= at < bounds[1]:
                by_owner[index][owner_id].append(float(value))
    results = []
    for (subjects, _), owners in zip(groups, by_owner, strict=True):
        by_subject: dict[SubjectKey, list[float]] = defaultdict(list)
        for owner_id, values in owners.items():
            for key in subjects.keys_for_owner(owner_id):
                by_subject[key].extend(values)
        results.append(
            {
                key: {name: median(values), f"{name}_n": float(len(values))}
                for key, values in by_subject.items()
            }
        )
    return results


# Snapshot columns that differ from row to row, with their PostgreSQL types.
SNAPSHOT_COLUMNS = {
    "subject_type": "text",
    "subject_id": "bigint",
    "kpi": "text",
    "breakdown": "text",
    "value": "double precision",
    "numerator": "double precision",
    "denominator": "double precision",
    "sample": "integer",
    "parts": "jsonb",
    "margin_of_error": "double precision",
    "low_sample": "boolean",
    "target": "double precision",
    "tolerance": "double precision",
    "status": "text",
    "formula_version": "smallint",
}
# Columns every row of one period's write shares: sent once, not once per row.
PERIOD_COLUMNS = {
    "grain": "text",
    "period_start": "date",
    "computed_at": "timestamptz",
    "frozen": "boolean",
}


def lock_for_writing(table: str, key: str, number: int) -> None:
    """Hold, until the transaction ends, the right to write ``table``'s rows of one ``key`` and
    ``number`` (e.g. a grain and a period's first day as an ordinal): a second writer of the same
    rows waits here, so a run may read what is stored and then write accordingly.

    PostgreSQL: a transaction-level advisory lock, other periods stay free. SQLite: the database's
    write lock, which a write statement takes even when it changes no row."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s), %s)", [f"{table} {key}", number]
            )
        else:
            cursor.execute(f"UPDATE {table} SET id = id WHERE 0 = 1")


def write_rows(
    table: str,
    rows: list[dict],
    shared: dict,
    *,
    unique: list[str],
    update: list[str] | None,
) -> None:
    """Insert ``rows`` (their ``SNAPSHOT_COLUMNS``; the ``shared`` values give every row its
    ``PERIOD_COLUMNS``) in one statement whatever their number; with ``update`` (the columns to
    overwrite), a row whose ``unique`` key is already stored is updated instead.

    Without ``update`` the statement is a plain insert: no look-up of each row's key before it
    is inserted (the caller knows none is stored, e.g. under ``lock_for_writing``); a stored key
    is an ``IntegrityError``.

    PostgreSQL receives one typed array per column, read back as rows by ``unnest``: parsing a
    JSON document of the rows instead cost 2.5 times as much (11 µs a row, measured). SQLite
    receives the rows as one JSON parameter (``bulk_create`` would split them into batches, its
    statements take at most 999 parameters)."""
    if not rows:
        return
    columns = [*SNAPSHOT_COLUMNS, *PERIOD_COLUMNS]
    names = ", ".join(columns)
    conflict = ""
    if update:
        updates = ", ".join(f"{name} = excluded.{name}" for name in update)
        conflict = f"ON CONFLICT ({', '.join(unique)}) DO UPDATE SET {updates}"
    if connection.vendor == "postgresql":
        # JSON travels as text and is cast row by row: an array of jsonb costs 3 times as much
        # to read (measured).
        arrays = ", ".join(
            f"%s::{'text' if kind == 'jsonb' else kind}[]" for kind in SNAPSHOT_COLUMNS.values()
        )
        selected = ", ".join(
            f"r.{name}::jsonb" if kind == "jsonb" else f"r.{name}"
            for name, kind in SNAPSHOT_COLUMNS.items()
        )
        constants = ", ".join(f"%s::{kind}" for kind in PERIOD_COLUMNS.values())
        source = (
            f"SELECT {selected}, {constants} "
            f"FROM unnest({arrays}) AS r({', '.join(SNAPSHOT_COLUMNS)})"
        )
        params = [shared[name] for name in PERIOD_COLUMNS] + [
            _array(rows, name, kind) for name, kind in SNAPSHOT_COLUMNS.items()
        ]
    else:
        extracted = ", ".join(f"json_extract(value, '$.{name}')" for name in columns)
        # "WHERE true" lets SQLite's parser tell the upsert clause from a join constraint.
        source = f"SELECT {extracted} FROM json_each(%s) WHERE true"
        shared = shared | {
            "computed_at": connection.ops.adapt_datetimefield_value(shared["computed_at"]),
            "period_start": shared["period_start"].isoformat(),
        }
        params = [json.dumps([row | shared for row in rows], default=str)]
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({names}) {source} {conflict}", params)
    if connection.queries_logged and connection.queries_log:
        # Under DEBUG the query log keeps the last 9,000 statements with their parameters
        # inlined: a backfill's memory would grow by every period's rows. Keep the statement,
        # not its rows.
        entry = connection.queries_log[-1]
        if entry["sql"].startswith(f"INSERT INTO {table} "):
            entry["sql"] = f"INSERT INTO {table} ({names}) … {len(rows)} rows … {conflict}"


def _array(rows: list[dict], name: str, kind: str) -> str:
    """One column of ``rows`` as the text of a PostgreSQL array of ``kind``. Built here rather
    than adapted by the driver, which takes 10 times as long for a backfill's 300k rows."""
    values = [row[name] for row in rows]
    if kind == "jsonb":
        # Most parts are empty: one shared text instead of 12k calls to the encoder a month.
        values = ["{}" if value == {} else json.dumps(value, default=str) for value in values]
    if kind in ("text", "jsonb"):
        items = ("NULL" if value is None else _quoted(value) for value in values)
    elif kind == "boolean":
        items = ("NULL" if value is None else "t" if value else "f" for value in values)
    elif kind == "double precision":
        items = ("NULL" if value is None else repr(float(value)) for value in values)
    else:
        items = ("NULL" if value is None else str(int(value)) for value in values)
    return "{" + ",".join(items) + "}"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
