"""Who held which client while it was active, for many windows in one statement: the engine's
form of ``sources.held_in_year`` (``arpc``, ``clv``), held equal to it by
``tests/metrics/test_engine_book.py``."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import DateTimeField, ExpressionWrapper, F
from django.db.models import Window as Over
from django.db.models.functions import RowNumber, TruncDate
from django.utils import timezone

from crm import models as crm
from metrics.book_scan import STATUS_HISTORY
from metrics.periods import Window
from metrics.sources import ACTIVE
from metrics.sql import statement, values_table


def held_rows(windows: list[Window]) -> tuple[str, list]:
    """SQL and parameters giving ``(i, who, x, p, in_year)``: for each window (by index ``i``),
    every owner ``who`` and client ``x`` such that an ownership span of ``x`` by ``who`` met
    the trailing 12 months while ``x`` was active; ``p`` is 1 when one also met the period
    while it was active.

    Each span's days are those of ``sources.holdings._days_held``. "Active on some day from
    ``from`` to ``to``" is an activation in force on one of those days: ``LEAD`` gives each
    status change the day the next one takes over, so an activation counts when it took effect
    by ``to`` and was not superseded by ``from`` nor on its own day (ties broken by id).
    A span that meets the period while the client is active also meets the trailing year with
    the same activation, so one join of the spans, windows and activations gives both.
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
    spans_sql, params = statement(spans)
    bounds = {
        "i": "int",
        "first_day": "date",
        "period_before": "date",
        "year_start": "date",
        "year_before": "date",
        "last_day": "date",
        "start_at": "instant",
        "year_start_at": "instant",
        "until": "instant",
    }
    day = timedelta(days=1)
    w_sql, w_params = values_table(
        "w_",
        bounds,
        [
            (
                *(i, w.start, w.start - day, w.year_start, w.year_start - day, w.last_day),
                *(w.start_at, w.year_start_at, w.until),
            )
            for i, w in enumerate(windows)
        ],
    )

    def days_held(first_day: str, before: str, first_at: str) -> str:
        return f"""
            CASE WHEN s.started_at <= w_.{first_at} OR s.n = 1 THEN w_.{first_day}
                ELSE s.start_day END AS {first_day}_from,
            CASE WHEN s.ended_at IS NOT NULL AND s.ended_at <= w_.{first_at} THEN w_.{before}
                WHEN s.ended_at IS NULL OR s.ended_at >= w_.until THEN w_.last_day
                ELSE s.end_day END AS {first_day}_to"""

    sql = f"""
        WITH {w_sql},
        spans AS ({spans_sql}),
        status_ AS ({STATUS_HISTORY}),
        activations AS (
            SELECT client_id, effective_on, next_on FROM status_
            WHERE status = %s AND (next_on IS NULL OR next_on > effective_on)
        ),
        held AS (
            SELECT w_.i, s.client_id, s.owner_id,
                {days_held("year_start", "year_before", "year_start_at")},
                {days_held("first_day", "period_before", "start_at")}
            FROM spans s JOIN w_ ON (s.ended_at IS NULL OR s.ended_at > w_.year_start_at)
                AND s.started_at < w_.until
        )
        SELECT h.i, h.owner_id AS who, h.client_id AS x,
            MAX(CASE WHEN h.first_day_to >= h.first_day_from AND a.effective_on <= h.first_day_to
                AND (a.next_on IS NULL OR a.next_on > h.first_day_from) THEN 1 ELSE 0 END) AS p,
            1 AS in_year
        FROM held h JOIN activations a ON a.client_id = h.client_id
            AND a.effective_on <= h.year_start_to
            AND (a.next_on IS NULL OR a.next_on > h.year_start_from)
        GROUP BY h.i, h.owner_id, h.client_id
    """
    return sql, [*w_params, *params, ACTIVE.value]
