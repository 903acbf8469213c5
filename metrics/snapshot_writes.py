"""Writing a period's KPI snapshot rows in one statement, on PostgreSQL and the embedded SQLite.

A backfill writes about 12k rows a month at the benchmark's scale 1, so how they travel to the
database (typed arrays, no per-row JSON) and which rows an upsert may skip decide most of its
cost; docs/kpis-implementation.md has the measurements.
"""

from __future__ import annotations

import json

from django.db import connection

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
