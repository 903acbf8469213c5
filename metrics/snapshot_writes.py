"""Writing a period's KPI snapshot rows in one statement, on PostgreSQL and the embedded SQLite.

A backfill writes about 12k rows a month at the benchmark's scale 1, so how they travel to the
database (in binary on PostgreSQL, nothing for the server to parse) and how stored rows are
found decide most of its cost; docs/kpis-implementation.md has the measurements.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from operator import itemgetter

import psycopg
from django.db import connection
from psycopg.types.json import set_json_dumps

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
    unique: Sequence[str],
    update: list[str] | None,
) -> None:
    """Insert ``rows`` (their ``SNAPSHOT_COLUMNS``; the ``shared`` values give every row its
    ``PERIOD_COLUMNS``) in one statement whatever their number; with ``update`` (the columns to
    overwrite), a row whose ``unique`` key (its columns in the order of the key's index) is
    already stored is updated instead.

    Without ``update`` the statement is a plain insert: no look-up of each row's key before it
    is inserted (the caller knows none is stored, e.g. under ``lock_for_writing``); a stored key
    is an ``IntegrityError``. With ``update``, on PostgreSQL the caller must hold
    ``lock_for_writing`` for the rows' period and all of them share its ``period_start`` and
    ``grain``: the rows are matched to the period's stored rows by a join (``MERGE``), which,
    unlike ``ON CONFLICT``, would not wait for a concurrent insert of the same key.

    PostgreSQL receives the rows in binary, nothing for the server to parse: a plain insert is
    a ``COPY``, an update a ``MERGE`` of one array per column read back as rows by ``unnest``.
    SQLite receives the rows as one JSON parameter (``bulk_create`` would split them into
    batches, its statements take at most 999 parameters)."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        # Both statements go past Django's cursor, which would refuse to write in a transaction
        # already marked for rollback.
        connection.validate_no_broken_transaction()
        rows = _in_key_order(rows, unique)
        if update:
            _merge(table, rows, shared, unique, update)
        else:
            _copy(table, rows, shared)
        return
    columns = [*SNAPSHOT_COLUMNS, *PERIOD_COLUMNS]
    names = ", ".join(columns)
    conflict = ""
    if update:
        updates = ", ".join(f"{name} = excluded.{name}" for name in update)
        conflict = f"ON CONFLICT ({', '.join(unique)}) DO UPDATE SET {updates}"
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


def _in_key_order(rows: list[dict], unique: Sequence[str]) -> list[dict]:
    """``rows`` sorted by the columns of the ``unique`` key that differ from row to row, in the
    key's order: each row's entry then lands next to the previous one in the key's B-tree
    instead of on a page anywhere in the period's range. Measured on 344k rows COPY'd into a
    copy of the snapshot table: 2.9 s of server CPU in the rows' computed order, 1.9 s sorted
    (0.6 s with no index at all). Text sorts by code point, PostgreSQL's "C" order; under
    another collation the order is only close, which costs some of the gain and none of the
    correctness."""
    varying = [name for name in unique if name in SNAPSHOT_COLUMNS]
    try:
        return sorted(rows, key=itemgetter(*varying))
    except TypeError:
        # A value of the wrong type (None in a key column): the database's refusal says which.
        return rows


# PostgreSQL's names of the columns' types, as psycopg takes them for binary values.
_BINARY = {
    "text": "text",
    "bigint": "int8",
    "integer": "int4",
    "smallint": "int2",
    "double precision": "float8",
    "boolean": "bool",
    "jsonb": "jsonb",
    "date": "date",
    "timestamptz": "timestamptz",
}


def _copy(table: str, rows: list[dict], shared: dict) -> None:
    """``rows`` into ``table`` by one binary ``COPY``: the server parses no value, and adds the
    rows to the table's pages a batch at a time (``INSERT … SELECT`` adds them one by one).
    Measured on a 24-month backfill at scale 1: 2.4 s of server CPU → 1.5 s, against typed
    arrays as text read by ``unnest``."""
    kinds = [*SNAPSHOT_COLUMNS.values(), *PERIOD_COLUMNS.values()]
    statement = (
        f"COPY {table} ({', '.join([*SNAPSHOT_COLUMNS, *PERIOD_COLUMNS])}) "
        "FROM STDIN (FORMAT BINARY)"
    )
    # The values as ``_merge`` sends them (an integer column gets an int); parts stay objects,
    # which psycopg's jsonb dumper (``_json``) encodes.
    columns = [
        [row[name] for row in rows] if kind == "jsonb" else _column(rows, name, kind)
        for name, kind in SNAPSHOT_COLUMNS.items()
    ]
    period = tuple(shared[name] for name in PERIOD_COLUMNS)
    started = time.monotonic()
    with connection.cursor() as wrapper, connection.wrap_database_errors:
        cursor = wrapper.cursor
        set_json_dumps(_json, context=cursor)
        with cursor.copy(statement) as copy:
            copy.set_types([_BINARY[kind] for kind in kinds])
            for values in zip(*columns, strict=True):
                copy.write_row(values + period)
    _logged(f"{statement} … {len(rows)} rows", started)


def _merge(
    table: str, rows: list[dict], shared: dict, unique: Sequence[str], update: list[str]
) -> None:
    """Update ``rows`` already stored (insert the others) by one ``MERGE`` that joins them to the
    stored rows of their period (a hash join on the rest of the unique key); the values arrive
    as one binary array per column. Measured on a 24-month backfill's rewrite at scale 1: 2.7 s
    of server CPU → 1.8 s, against ``INSERT … ON CONFLICT DO UPDATE`` from arrays as text
    (a probe of the unique index per row, then the update). PostgreSQL before 15 has no
    ``MERGE``: there the same rows are upserted on ``unique``."""
    arrays = ", ".join(f"%b::{_ARRAY.get(kind, kind)}[]" for kind in SNAPSHOT_COLUMNS.values())
    selected = ", ".join(
        f"r.{name}::jsonb AS {name}" if kind == "jsonb" else f"r.{name}"
        for name, kind in SNAPSHOT_COLUMNS.items()
    )
    constants = ", ".join(f"%b::{kind} AS {name}" for name, kind in PERIOD_COLUMNS.items())
    source = (
        f"SELECT {selected}, {constants} FROM unnest({arrays}) AS r({', '.join(SNAPSHOT_COLUMNS)})"
    )
    names = ", ".join([*SNAPSHOT_COLUMNS, *PERIOD_COLUMNS])
    if connection.pg_version >= 150000:
        matched = " AND ".join(f"stored.{name} = fresh.{name}" for name in unique)
        updates = ", ".join(f"{name} = fresh.{name}" for name in update)
        inserted = ", ".join(f"fresh.{name}" for name in [*SNAPSHOT_COLUMNS, *PERIOD_COLUMNS])
        statement = (
            f"MERGE INTO {table} AS stored USING ({source}) AS fresh ON {matched} "
            f"WHEN MATCHED THEN UPDATE SET {updates} "
            f"WHEN NOT MATCHED THEN INSERT ({names}) VALUES ({inserted})"
        )
    else:
        updates = ", ".join(f"{name} = excluded.{name}" for name in update)
        statement = (
            f"INSERT INTO {table} ({names}) {source} "
            f"ON CONFLICT ({', '.join(unique)}) DO UPDATE SET {updates}"
        )
    # str(): the grain is also an Enum, which psycopg would send by its name.
    params = [
        str(shared[name]) if kind == "text" else shared[name]
        for name, kind in PERIOD_COLUMNS.items()
    ] + [_column(rows, name, kind) for name, kind in SNAPSHOT_COLUMNS.items()]
    started = time.monotonic()
    connection.ensure_connection()
    # Django's cursors send parameters as SQL literals, a plain psycopg cursor sends them in
    # binary (``%b``); not prepared, so a connection pooler in transaction mode stays usable.
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(statement, params, prepare=False)
    _logged(f"{statement.split(' (')[0]} … {len(rows)} rows", started)


# JSON travels as text and is cast row by row: an array of jsonb costs 3 times as much to read
# (measured).
_ARRAY = {"jsonb": "text"}


def _column(rows: list[dict], name: str, kind: str) -> list:
    """One column of ``rows`` as a list psycopg sends as a binary array of ``kind``: one Python
    type for every item (psycopg picks the array's type from them)."""
    values = [row[name] for row in rows]
    if kind == "jsonb":
        return [_json(value) for value in values]
    if kind == "double precision":
        return [None if value is None else float(value) for value in values]
    if kind == "text":
        return [None if value is None else str(value) for value in values]
    if kind in ("bigint", "integer", "smallint"):
        return [None if value is None else int(value) for value in values]
    return values


def _json(value) -> str:
    # Most parts are empty: one shared text instead of 12k calls to the encoder a month.
    return "{}" if value == {} else json.dumps(value, default=str)


def _logged(sql: str, started: float) -> None:
    """Note a statement sent past Django's cursor in the query log (under DEBUG, and for
    ``CaptureQueriesContext``), without its rows: a backfill's memory would grow with them."""
    if connection.queries_logged:
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})
