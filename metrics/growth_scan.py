"""The growth cohort's revenue for many windows in one statement (``revenue_growth_existing``).

``sources.recognised_existing`` and ``recognised_existing_before`` say which lines the measure
sums for one window, as conditions a drill-down can list; this is the engine's form of the same
sums for every window of a batch at once (held equal by ``tests/metrics/test_engine_batch.py``
and the engine's revenue tests).
"""

from __future__ import annotations

from django.db import connection

from crm import models as crm
from metrics.book_scan import STATUS_HISTORY
from metrics.periods import Window
from metrics.sources.clients import ACTIVE


def growth_rows(windows: list[Window]) -> tuple[str, list]:
    """SQL and parameters giving, for each window (by index) and credited owner, the growth
    cohort's revenue in the window and in the same part of the previous period: the sums
    ``recognised_existing`` and ``recognised_existing_before`` select, for every window in one
    statement.

    The status changes are read once: ``LEAD`` gives each change the day the next one takes
    over, so the cohort of a window is the clients whose change in force on the previous
    period's first day is an activation (ties broken by id, as ``_in_growth_cohort``). Each
    line of those two spans is joined to the windows it belongs to; lines of clients outside
    the cohort still name their owner (with zero sums), as the single-window scan does.
    """
    ops = connection.ops
    day = "CAST(%s AS date)" if connection.vendor == "postgresql" else "%s"
    rows, params = [], []
    for index, window in enumerate(windows):
        days = (
            window.period.previous.start,
            window.previous_last_day,
            window.start,
            window.last_day,
        )
        rows.append(f"({index}, " + ", ".join(day for _ in days) + ")")
        params.extend(ops.adapt_datefield_value(day) for day in days)
    active = ACTIVE.value
    sql = f"""
        WITH w_(i, prev_first, prev_last, first_day, last_day) AS (VALUES {", ".join(rows)}),
        status_ AS ({STATUS_HISTORY}),
        cohort AS (
            SELECT w_.i, status_.client_id FROM status_
            JOIN w_ ON status_.effective_on <= w_.prev_first
                AND (status_.next_on IS NULL OR status_.next_on > w_.prev_first)
            WHERE status_.status = %s
        )
        SELECT w_.i, line.owner_id,
            SUM(CASE WHEN cohort.client_id IS NOT NULL AND line.recognised_on >= w_.first_day
                THEN line.amount ELSE 0 END),
            SUM(CASE WHEN cohort.client_id IS NOT NULL AND line.recognised_on <= w_.prev_last
                THEN line.amount ELSE 0 END)
        FROM {crm.RevenueLine._meta.db_table} line
        JOIN w_ ON (line.recognised_on >= w_.prev_first AND line.recognised_on <= w_.prev_last)
            OR (line.recognised_on >= w_.first_day AND line.recognised_on <= w_.last_day)
        LEFT JOIN cohort ON cohort.i = w_.i AND cohort.client_id = line.client_id
        GROUP BY w_.i, line.owner_id
    """
    return sql, [*params, active]
