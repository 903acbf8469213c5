"""SQL building blocks the KPI engine shares between PostgreSQL and the embedded SQLite.

Every helper runs one query whatever the number of BRMs, teams or clients: aggregates are
computed by the database over the events of the period and returned per subject.
"""

from __future__ import annotations

import json
from collections import defaultdict
from statistics import median
from typing import Any

from django.db import connection
from django.db.models import FloatField, Func, IntegerField, QuerySet

from metrics.subjects import SubjectKey, Subjects


class Seconds(Func):
    """Seconds from ``start`` to ``end`` (datetimes), exact to the microsecond on both
    databases so that medians agree to the last digit."""

    output_field = FloatField()
    arg_joiner = ", "

    def __init__(self, end, start):
        super().__init__(end, start)

    def as_sqlite(self, compiler, connection, **extra):
        # Django registers django_timestamp_diff on every SQLite connection: microseconds.
        return self.as_sql(
            compiler,
            connection,
            template="(django_timestamp_diff(%(expressions)s) / 1000000.0)",
            **extra,
        )

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(EXTRACT(EPOCH FROM (%(expressions)s)) AS double precision)",
            arg_joiner=" - ",
            **extra,
        )


class DaysBetween(Func):
    """Whole days from ``start`` to ``end`` (dates)."""

    output_field = IntegerField()

    def __init__(self, end, start):
        super().__init__(end, start)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(ROUND(julianday(%(expressions)s)) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ")


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


def _per_subject_sql(sql: str, subjects: Subjects, aggregates: str) -> tuple[str, list]:
    """One statement returning ``aggregates`` for every BRM, team and the organisation, over
    the CTE ``ev(owner_id, x)``. Teams are joined through their membership pairs, so a team's
    value is computed from its members' records, never from their results."""
    pairs = subjects.membership_pairs()
    ctes = [f"ev AS ({sql})"]
    branches = [f"SELECT 'brm', who, {aggregates} FROM ev GROUP BY who"]
    params: list[Any] = []
    if pairs:
        rows = ", ".join("(CAST(%s AS bigint), CAST(%s AS bigint))" for _ in pairs)
        ctes.append(f"tm(owner_id, team_id) AS (VALUES {rows})")
        branches.append(
            f"SELECT 'team', tm.team_id, {aggregates} FROM ev "
            "JOIN tm ON tm.owner_id = ev.who GROUP BY tm.team_id"
        )
        params.extend(value for pair in pairs for value in pair)
    branches.append(f"SELECT 'org', 0, {aggregates} FROM ev")
    return "WITH " + ", ".join(ctes) + " " + " UNION ALL ".join(branches), params


def _fetch_per_subject(queryset: QuerySet, subjects: Subjects, aggregates: dict[str, str]):
    sql, params = statement(queryset)
    query, tail = _per_subject_sql(sql, subjects, ", ".join(aggregates.values()))
    with connection.cursor() as cursor:
        cursor.execute(query, (*params, *tail))
        rows = cursor.fetchall()
    result: dict[SubjectKey, dict[str, float]] = {}
    for subject_type, subject_id, *values in rows:
        key = SubjectKey(subject_type, int(subject_id))
        subjects.see(key)
        result[key] = {
            name: float(value) if value is not None else None
            for name, value in zip(aggregates, values, strict=True)
        }
    return result


def distinct_per_subject(
    queryset: QuerySet, subjects: Subjects, name: str
) -> dict[SubjectKey, dict[str, float]]:
    """``COUNT(DISTINCT x)`` per subject over ``queryset.values(who=..., x=...)``: a team
    counts a contact two of its members both reached once, as the organisation does."""
    return _fetch_per_subject(queryset, subjects, {name: "COUNT(DISTINCT x)"})


def distinct_where_per_subject(
    queryset: QuerySet, subjects: Subjects, counts: dict[str, str]
) -> dict[SubjectKey, dict[str, float]]:
    """For each ``name: flag`` of ``counts``, ``COUNT(DISTINCT x)`` over the rows where the
    column ``flag`` is 1, per subject, over ``queryset.values(who=..., x=..., <flags>)``: one
    query for several distinct counts, each record counted once in a team or the organisation."""
    return _fetch_per_subject(
        queryset,
        subjects,
        {name: f"COUNT(DISTINCT CASE WHEN {flag} = 1 THEN x END)" for name, flag in counts.items()},
    )


def median_per_subject(
    queryset: QuerySet, subjects: Subjects, name: str
) -> dict[SubjectKey, dict[str, float]]:
    """Median (and count, as ``<name>_n``) of ``x`` per subject over
    ``queryset.values(who=..., x=...)``.

    PostgreSQL computes ``percentile_cont(0.5)`` in the database. SQLite has no percentile
    function, so the same single query returns the values and Python takes the median of
    each subject's values, with the same interpolation (mean of the two middle values).
    """
    if connection.vendor == "postgresql":
        return _fetch_per_subject(
            queryset,
            subjects,
            {
                name: "percentile_cont(0.5) WITHIN GROUP (ORDER BY x)",
                f"{name}_n": "COUNT(x)",
            },
        )
    by_owner: dict[int, list[float]] = defaultdict(list)
    for owner_id, value in queryset.order_by().values_list("who", "x"):
        if value is not None:
            by_owner[owner_id].append(float(value))
    by_subject: dict[SubjectKey, list[float]] = defaultdict(list)
    for owner_id, values in by_owner.items():
        for key in subjects.keys_for_owner(owner_id):
            by_subject[key].extend(values)
    return {
        key: {name: median(values), f"{name}_n": float(len(values))}
        for key, values in by_subject.items()
    }


# Snapshot columns with their PostgreSQL types, for the one-statement upsert below.
SNAPSHOT_COLUMNS = {
    "subject_type": "text",
    "subject_id": "bigint",
    "kpi": "text",
    "grain": "text",
    "period_start": "date",
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
    "computed_at": "timestamptz",
    "formula_version": "smallint",
    "frozen": "boolean",
}


def upsert_json(table: str, rows: list[dict], unique: list[str], update: list[str]) -> None:
    """Insert ``rows`` or update them on their ``unique`` key, in one statement whatever their
    number: the rows travel as one JSON parameter. (``bulk_create`` would split them into
    batches on SQLite, whose statements take at most 999 parameters.)"""
    if not rows:
        return
    columns = list(SNAPSHOT_COLUMNS)
    names = ", ".join(columns)
    updates = ", ".join(f"{name} = excluded.{name}" for name in update)
    conflict = f"ON CONFLICT ({', '.join(unique)}) DO UPDATE SET {updates}"
    if connection.vendor == "postgresql":
        types = ", ".join(f"{name} {kind}" for name, kind in SNAPSHOT_COLUMNS.items())
        # json, not jsonb: the text is read once, so building a jsonb document first is waste.
        source = f"SELECT {names} FROM json_to_recordset(%s::json) AS r({types})"
    else:
        extracted = ", ".join(f"json_extract(value, '$.{name}')" for name in columns)
        # "WHERE true" lets SQLite's parser tell the upsert clause from a join constraint.
        source = f"SELECT {extracted} FROM json_each(%s) WHERE true"
        for row in rows:
            row["computed_at"] = connection.ops.adapt_datetimefield_value(row["computed_at"])
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({names}) {source} {conflict}",
            [json.dumps(rows, default=str)],
        )
