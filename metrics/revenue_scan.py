"""The revenue lines of every window of a batch read once (``families.revenue_measures``).

One statement sums the lines per credited owner, segment of days and growth-cohort pattern:

- a window's revenue, cost to serve and partner revenue are the sums of its months, and its
  trailing year's those of the 12 months ending with it, added up as ``metrics.batch`` adds
  monthly sums;
- its growth cohort's revenue (``revenue_growth_existing``) is the sum, over the clients of its
  cohort, of the segments of the window and of the same part of the previous period.

``sources.revenue_lines_year``, ``recognised_existing`` and ``recognised_existing_before`` say
which lines each measure sums for one window, as conditions a drill-down can list; this is the
engine's form of the same sums for every window at once (held equal by
``tests/metrics/test_engine_batch.py`` and the engine's revenue tests).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Context, Decimal

from django.db import connection
from django.db.models import Case, DecimalField, F, When

from crm import models as crm
from metrics.batch import YEAR, Batch
from metrics.book_scan import STATUS_HISTORY
from metrics.periods import Window, add_months
from metrics.sources.clients import ACTIVE
from metrics.sources.revenue import PARTNER_REVENUE
from metrics.sql import Segments, statement

# Bits of a cohort mask column: ``1 << 62`` still fits a signed 64-bit integer.
COHORT_BITS = Segments.MAX_BITS - 1

# (window index, owner) -> (the cohort's revenue in the window, in the compared span)
GrowthSums = dict[tuple[int, int], list[Decimal]]


def _spans(window: Window) -> tuple[tuple[date, date], tuple[date, date]]:
    """The growth measure's days as half-open spans: the same part of the previous period,
    then the window."""
    day = timedelta(days=1)
    return (
        (window.period.previous.start, window.previous_last_day + day),
        (window.start, window.last_day + day),
    )


def _cohort_masks(points: list[date]) -> tuple[list[str], list]:
    """Per chunk of ``COHORT_BITS`` of the sorted days ``points``, the SQL of a client's mask
    over the status changes ``status_`` (with ``next_on``): bit ``k`` is set when an activation
    was in force on the chunk's ``k``-th day (a change is in force on ``[effective_on,
    next_on)``). A client's changes cover disjoint days, so the sum of their masks is their
    union (on both databases, SQLite having no ``BIT_OR``)."""
    columns, params = [], []
    for n, start in enumerate(range(0, len(points), COHORT_BITS)):
        covered, covered_params = Segments(points[start : start + COHORT_BITS]).sql_covered(
            "effective_on", "next_on"
        )
        columns.append(f"CAST(SUM({covered}) AS bigint) AS bits{n}")
        params.extend(covered_params)
    return columns, params


def _money(value) -> Decimal | None:
    """A sum as ``Decimal``: PostgreSQL returns one; SQLite a float (or an integer), read as
    the ORM reads a decimal sum there (15 significant digits)."""
    if value is None or isinstance(value, Decimal):
        return value
    return Context(prec=15).create_decimal_from_float(value)


def _month_row(owner_id: int, month: date) -> dict:
    return {"owner": owner_id, "month": month, "revenue": 0, "cost": 0, "partner_revenue": None}


def revenue_sums(batch: Batch) -> tuple[list[dict], GrowthSums]:
    """The lines of the batch's range, read once: monthly rows for ``Batch.fold`` (``owner``,
    ``month``, ``revenue``, ``cost``, ``partner_revenue``: ``None`` without partner lines, as
    an SQL sum) over the months of every window's trailing year, and the growth cohort's sums
    per window and owner. Every owner with a line in a window's growth spans has its sums, zero
    outside the cohort, as every owner of a line names a subject.

    Each line's day is placed among the ``Segments`` between the month starts and the growth
    spans' bounds; a segment lies within one month, and a span is a run of segments. A line's
    client is in a window's cohort when the status change in force on the previous period's
    first day is an activation (``LEAD`` gives each change the day the next one takes over,
    ties broken by id, as ``sources._in_growth_cohort``): a mask per client with a bit per
    distinct such day, so the lines are grouped by (owner, segment, mask), not per window."""
    windows = batch.windows
    months = batch.months(YEAR)
    spans = [_spans(window) for window in windows]
    days = Segments(
        [*months, add_months(months[-1], 1), *(day for each in spans for s in each for day in s)]
    )
    points = sorted({window.period.previous.start for window in windows})
    masks, mask_params = _cohort_masks(points)
    lines_sql, lines_params = statement(
        crm.RevenueLine.objects.filter(
            recognised_on__gte=days.bounds[0],
            recognised_on__lte=max(window.last_day for window in windows),
        ).values(
            "owner_id",
            "client_id",
            "amount",
            "cost_to_serve",
            partner_amount=Case(
                When(PARTNER_REVENUE, then=F("amount")), output_field=DecimalField(**crm.MONEY)
            ),
            seg=days.index("recognised_on"),
        )
    )
    # (segment) -> [(window index, 0 for the compared span or 1 for the window's own days)]
    spans_of: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for index, each in enumerate(spans):
        for current, span in enumerate(each):
            for segment in days.of(*span):
                spans_of[segment].append((index, current))
    cohort_bit = {
        index: divmod(points.index(window.period.previous.start), COHORT_BITS)
        for index, window in enumerate(windows)
    }
    # Per segment, the cohort bits of the windows whose spans hold it: a line is grouped by
    # those alone, so that clients differing on other windows' cohorts share its group.
    relevant = []
    for segment in range(len(days.bounds) + 1):
        bits = [0] * len(masks)
        for index, _ in spans_of.get(segment, ()):
            chunk, bit = cohort_bit[index]
            bits[chunk] |= 1 << bit
        relevant.append(f"({segment}, {', '.join(map(str, bits))})")
    columns = ", ".join(f"m{n}" for n in range(len(masks)))
    patterns = [f"COALESCE(cohort_.bits{n}, 0) & rel_.m{n}" for n in range(len(masks))]
    sql = f"""
        WITH status_ AS ({STATUS_HISTORY}),
        cohort_ AS (
            SELECT client_id, {", ".join(masks)} FROM status_ WHERE status = %s GROUP BY client_id
        ),
        rel_(seg, {columns}) AS (VALUES {", ".join(relevant)}),
        lines_ AS ({lines_sql})
        SELECT line.owner_id, line.seg, SUM(line.amount), SUM(line.cost_to_serve),
            SUM(line.partner_amount), {", ".join(patterns)}
        FROM lines_ line LEFT JOIN rel_ ON rel_.seg = line.seg
        LEFT JOIN cohort_ ON cohort_.client_id = line.client_id
        GROUP BY line.owner_id, line.seg, {", ".join(patterns)}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*mask_params, ACTIVE.value, *lines_params])
        rows = cursor.fetchall()

    in_months = set(months)
    monthly: dict[tuple[int, date], dict] = {}
    growth: GrowthSums = {}
    for owner_id, segment, revenue, cost, partner, *bits in rows:
        revenue, cost, partner = _money(revenue), _money(cost), _money(partner)
        month = days.bounds[segment - 1].replace(day=1)
        if month in in_months:
            row = monthly.setdefault((owner_id, month), _month_row(owner_id, month))
            row["revenue"] += revenue
            row["cost"] += cost
            if partner is not None:
                row["partner_revenue"] = (row["partner_revenue"] or 0) + partner
        for index, current in spans_of.get(segment, ()):
            chunk, bit = cohort_bit[index]
            sums = growth.setdefault((index, owner_id), [Decimal(0), Decimal(0)])
            if bits[chunk] >> bit & 1:
                sums[1 - current] += revenue
    return list(monthly.values()), growth
