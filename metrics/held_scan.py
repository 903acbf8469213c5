"""Who held which client while it was active, for many windows in one statement: the engine's
form of ``sources.held_in_year`` (``arpc``, ``clv``), held equal to it by
``tests/metrics/test_engine_book.py``."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.db.models import DateTimeField, ExpressionWrapper, F
from django.db.models import Window as Over
from django.db.models.functions import RowNumber, TruncDate
from django.utils import timezone

from crm import models as crm
from metrics.book_scan import STATUS_HISTORY
from metrics.periods import Window
from metrics.sources import ACTIVE
from metrics.sql import Segments, bit_run, statement, values_table
from metrics.subjects import ORGANISATION, SubjectKey, Subjects


def held_rows(windows: list[Window]) -> tuple[str, list]:
    """SQL and parameters giving ``(i, who, x, p, in_year)``: for each window (by index ``i``),
    every owner ``who`` and client ``x`` such that an ownership span of ``x`` by ``who`` met
    the trailing 12 months while ``x`` was active; ``p`` is 1 when one also met the period
    while it was active. Rows are unique per ``(i, who, x)``.

    Each span's days are those of ``sources.holdings._days_held``: from its first day (any
    day before, for a client's first span) to the day of its last instant (no end while it
    lasts), clipped to the window. An activation is in force on ``[effective_on, next_on)``
    (``LEAD`` gives each status change the day the next one takes over, ties broken by id).
    Each (span, activation) pair is summarised once, as masks of the ``Segments`` between the
    windows' days that its days while active meet: the activation's days up to the span's
    end for the trailing year (which ``_days_held`` does not clip to the span's start), and
    the days both share for the period; a window is then two bit tests, and a span that
    starts after the window ends (``until``) meets none of it. Only owners with several pairs
    for a client are grouped per window.
    """
    tz = timezone.get_default_timezone()
    last_instant = ExpressionWrapper(
        F("ended_at") - timedelta(microseconds=1), output_field=DateTimeField()
    )
    spans = crm.ClientOwnership.objects.values(
        "client_id",
        "owner_id",
        "started_at",
        "ended_at",
        start_day=TruncDate("started_at", tzinfo=tz),
        end_day=TruncDate(last_instant, tzinfo=tz),
        n=Over(RowNumber(), partition_by=[F("client_id")], order_by=[F("started_at"), F("id")]),
    )
    days = Segments([day for w in windows for day in (w.year_start, w.start, w.end_day)])
    w_sql, params = values_table(
        "w_",
        {"i": "int", "until": "instant", "period_bits": "int", "year_bits": "int"},
        [
            (i, w.until, days.mask(w.start, w.end_day), days.mask(w.year_start, w.end_day))
            for i, w in enumerate(windows)
        ],
    )

    def sql(pair: tuple[str, list]) -> str:
        params.extend(pair[1])
        return pair[0]

    # Segments after the last bound belong to no window: a span's last segment is counted
    # among the bounds but the last (at most the last window's), so a shift never passes
    # bit 62.
    capped = Segments(days.bounds[:-1])

    def mask(low: str, high: str) -> str:
        return bit_run(low, f"({high} + 1)")

    def least(a: str, b: str) -> str:
        return f"CASE WHEN {a} < {b} THEN {a} ELSE {b} END"

    def greatest(a: str, b: str) -> str:
        return f"CASE WHEN {a} > {b} THEN {a} ELSE {b} END"

    last = len(capped.bounds)
    # The activation meets the span's days up to its end, and (``nonempty``) the span has days.
    active_then = (
        "(s.ended_at IS NULL OR a.effective_on <= s.end_day) "
        "AND (a.next_on IS NULL OR s.n = 1 OR a.next_on > s.start_day)"
    )
    nonempty = "s.n = 1 OR s.ended_at IS NULL OR s.start_day <= s.end_day"
    period_mask = mask(greatest("start_seg", "first_seg"), least("next_seg", "end_seg"))
    sql_text = f"""
        WITH {w_sql},
        spans AS ({sql(statement(spans))}),
        status_ AS ({STATUS_HISTORY}),
        activations AS (
            SELECT client_id, effective_on, next_on FROM status_
            WHERE status = {sql(("%s", [ACTIVE.value]))}
                AND (next_on IS NULL OR next_on > effective_on)
        ),
        bounds_ AS (
            SELECT s.owner_id, s.client_id, s.started_at,
                {sql(days.sql_index("a.effective_on"))} AS first_seg,
                CASE WHEN s.n = 1 THEN 0 ELSE {sql(days.sql_index("s.start_day"))} END
                    AS start_seg,
                CASE WHEN a.next_on IS NULL THEN {last}
                    ELSE {sql(capped.sql_index("a.next_on", strict=True))} END AS next_seg,
                CASE WHEN s.ended_at IS NULL THEN {last}
                    ELSE {sql(capped.sql_index("s.end_day"))} END AS end_seg,
                CASE WHEN {nonempty} THEN 1 ELSE 0 END AS nonempty,
                COUNT(*) OVER (PARTITION BY s.owner_id, s.client_id) AS k
            FROM spans s JOIN activations a ON a.client_id = s.client_id
            WHERE {active_then}
        ),
        met AS (
            SELECT owner_id, client_id, started_at, k,
                {mask("first_seg", least("next_seg", "end_seg"))} AS year_mask,
                CASE WHEN nonempty = 1 THEN {period_mask} ELSE 0 END AS period_mask
            FROM bounds_
        ),
        hits AS (
            SELECT w_.i, m.owner_id AS who, m.client_id AS x, m.k,
                CASE WHEN (m.period_mask & w_.period_bits) <> 0 THEN 1 ELSE 0 END AS p
            FROM met m JOIN w_ ON (m.year_mask & w_.year_bits) <> 0 AND m.started_at < w_.until
        )
        SELECT i, who, x, p, 1 AS in_year FROM hits WHERE k = 1
        UNION ALL
        SELECT i, who, x, MAX(p), 1 FROM hits WHERE k > 1 GROUP BY i, who, x
    """
    return sql_text, params


def held_counts(
    windows: list[Window], groups: list[Subjects]
) -> list[dict[SubjectKey, dict[str, float]]]:
    """Per window, every subject's distinct clients held while active in the period
    (``active_any``) and in the trailing year (``active_any_year``), over ``held_rows``: a
    team or the organisation counts a client two of its owners held once.

    ``held_rows`` has one row per window, owner and client, so only a client that had
    several owners can be counted twice by a team or the organisation. The statement returns
    the other clients' rows counted per window and owner, added to each of the owner's
    subjects as sums are, and the several-owner clients' rows one by one (a tenth of the
    rows at bench scale), made distinct per team and window here, instead of sorting every
    row per BRM, team and organisation."""
    held_sql, params = held_rows(windows)
    sql = f"""
        WITH held AS ({held_sql}),
        several AS (
            SELECT client_id FROM {crm.ClientOwnership._meta.db_table}
            GROUP BY client_id HAVING COUNT(DISTINCT owner_id) > 1
        )
        SELECT held.i, held.who, several.client_id, COUNT(*), SUM(held.p)
        FROM held LEFT JOIN several ON several.client_id = held.x
        GROUP BY held.i, held.who, several.client_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return _counted(rows, groups)


def _counted(rows: list[tuple], groups: list[Subjects]) -> list[dict[SubjectKey, dict[str, float]]]:
    """``held_counts`` from the statement's rows (window index, owner, several-owner client or
    ``None``, held in the year, held in the period). Counted as whole numbers keyed by plain
    tuples (a 24-month backfill has 150k rows; hashing a ``SubjectKey`` runs Python code),
    made floats at the end: the same values as adding floats, every partial sum being a whole
    number far below 2**53."""
    # (window, owner) -> the owner's subjects as (type, id)
    keys: dict[tuple[int, int], list[tuple[str, int]]] = {}
    # (window, subject type, subject id) -> [held in the period, held in the year]
    totals: dict[tuple[int, str, int], list[int]] = {}
    # (window, team or organisation, client) -> held in the period, for several-owner clients
    shared: dict[tuple[int, str, int, int], int] = {}
    for index, owner_id, client_id, in_year, in_period in rows:
        subjects = keys.get((index, owner_id))
        if subjects is None:
            subjects = keys[index, owner_id] = [
                (key.type, key.id) for key in groups[index].keys_for_owner(owner_id)
            ]
        for kind, pk in subjects if client_id is None else subjects[:1]:
            counts = totals.get((index, kind, pk))
            if counts is None:
                counts = totals[index, kind, pk] = [0, 0]
            counts[0] += in_period
            counts[1] += in_year
        if client_id is not None:
            for kind, pk in subjects[1:]:
                seen = (index, kind, pk, client_id)
                if in_period or seen not in shared:
                    shared[seen] = in_period
    for (index, kind, pk, _), in_period in shared.items():
        counts = totals.get((index, kind, pk))
        if counts is None:
            counts = totals[index, kind, pk] = [0, 0]
        counts[0] += in_period
        counts[1] += 1
    # Every window has its organisation's counts, zero without clients.
    results: list[dict[SubjectKey, dict[str, float]]] = [
        {ORGANISATION: {"active_any": 0.0, "active_any_year": 0.0}} for _ in groups
    ]
    for (index, kind, pk), (in_period, in_year) in totals.items():
        key = SubjectKey(kind, pk)
        groups[index].see(key)
        results[index][key] = {"active_any": float(in_period), "active_any_year": float(in_year)}
    return results
