"""The revenue lines of every window of a batch read once (``families.revenue_measures``).

One statement sums the lines per credited owner and segment of days:

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
from django.db.models import BigIntegerField, Case, F, When

from crm import models as crm
from metrics.batch import YEAR, Batch
from metrics.book_scan import STATUS_HISTORY
from metrics.periods import Window, add_months
from metrics.sources.clients import ACTIVE
from metrics.sources.revenue import PARTNER_CLIENT, PARTNER_DEAL
from metrics.sql import Segments, lookup, statement

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


def _when_near(near_from: date, column: str) -> Case:
    """``column`` for a line from ``near_from`` on, else NULL: a join on it skips the others."""
    return Case(When(recognised_on__gte=near_from, then=F(column)), output_field=BigIntegerField())


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
    distinct such day. The lines are grouped by (owner, segment), not per window: each group
    has one sum of its cohort lines per window whose spans hold the segment (at most 2 for a
    backfill of months), the window's bit found by the segment (``sql.lookup``).

    A month's snapshot reads 12 months of lines for the trailing year, 2 of them in growth
    spans or the period: only the lines from the first growth span on (``near_from``) are
    joined to their client's cohort mask and partner flag (``client_``) and to partner deals;
    the others' join key is NULL, which skips the probe. Partner revenue is
    ``sources.PARTNER_REVENUE``, written as its two halves (``PARTNER_CLIENT``,
    ``PARTNER_DEAL``)."""
    windows = batch.windows
    months = batch.months(YEAR)
    spans = [_spans(window) for window in windows]
    days = Segments(
        [*months, add_months(months[-1], 1), *(day for each in spans for s in each for day in s)]
    )
    points = sorted({window.period.previous.start for window in windows})
    masks, mask_params = _cohort_masks(points)
    # Only the lines from the first growth span on need their client's cohort and partner
    # (``near``): before it, a line counts for some trailing year alone (revenue and cost).
    # Their joins' key is NULL for the others, which skips the probe (a month's snapshot
    # reads 12 months of lines, 2 of them near).
    near_from = min(points)
    lines_sql, lines_params = statement(
        crm.RevenueLine.objects.filter(
            recognised_on__gte=days.bounds[0],
            recognised_on__lte=max(window.last_day for window in windows),
        ).values(
            "owner_id",
            "amount",
            "cost_to_serve",
            seg=days.index("recognised_on"),
            near_client=_when_near(near_from, "client_id"),
            near_deal=_when_near(near_from, "deal_id"),
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
    # Per segment, the cohort bit of the ``r``-th window whose spans hold it (in ``spans_of``
    # order; 0 past the segment's windows): the lines are grouped by (owner, segment) alone,
    # with one sum of the cohort's lines per ``r``. PostgreSQL can estimate those groups and
    # hashes them; grouped by a mask as well, it expected a group per line and could sort
    # 800k lines to disk instead.
    depth = max(len(each) for each in spans_of.values())
    cohort_sums = []
    for r in range(depth):
        tests = []
        for chunk in range(len(masks)):
            bits = [0] * (len(days.bounds) + 1)
            for segment, held in spans_of.items():
                if r < len(held) and cohort_bit[held[r][0]][0] == chunk:
                    bits[segment] = 1 << cohort_bit[held[r][0]][1]
            if any(bits):
                tests.append(f"(client_.bits{chunk} & {lookup('line.seg', bits)})")
        cohort_sums.append(f"SUM(line.amount) FILTER (WHERE ({' | '.join(tests)}) <> 0)")
    clients_sql, clients_params = statement(
        crm.Client.objects.values("id", partner=Case(When(PARTNER_CLIENT, then=1), default=0))
    )
    deals_sql, deals_params = statement(crm.Deal.objects.filter(PARTNER_DEAL).values("id"))
    # A near line always finds its client (every client has a row, zero bits outside every
    # cohort); a line before ``near_from`` finds none, so its cohort tests are NULL.
    # ``OFFSET 0`` keeps the lines a subquery on PostgreSQL, so that each line's segment is
    # searched once, not again in every expression that reads it.
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    sql = f"""
        WITH status_ AS ({STATUS_HISTORY}),
        cohort_ AS (
            SELECT client_id, {", ".join(masks)} FROM status_ WHERE status = %s GROUP BY client_id
        ),
        client_ AS (
            SELECT c.id, c.partner,
                {", ".join(f"COALESCE(cohort_.bits{n}, 0) AS bits{n}" for n in range(len(masks)))}
            FROM ({clients_sql}) c LEFT JOIN cohort_ ON cohort_.client_id = c.id
        ),
        partner_deal_ AS ({deals_sql})
        SELECT line.owner_id, line.seg, SUM(line.amount), SUM(line.cost_to_serve),
            SUM(line.amount) FILTER (
                WHERE client_.partner = 1 OR partner_deal_.id IS NOT NULL
            ),
            {", ".join(cohort_sums)}
        FROM ({lines_sql}{fence}) line
        LEFT JOIN client_ ON client_.id = line.near_client
        LEFT JOIN partner_deal_ ON partner_deal_.id = line.near_deal
        GROUP BY line.owner_id, line.seg
    """
    params = [*mask_params, ACTIVE.value, *clients_params, *deals_params, *lines_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()

    in_months = set(months)
    monthly: dict[tuple[int, date], dict] = {}
    growth: GrowthSums = {}
    for owner_id, segment, revenue, cost, partner, *cohort in rows:
        revenue, cost, partner = _money(revenue), _money(cost), _money(partner)
        month = days.bounds[segment - 1].replace(day=1)
        if month in in_months:
            row = monthly.setdefault((owner_id, month), _month_row(owner_id, month))
            row["revenue"] += revenue
            row["cost"] += cost
            if partner is not None:
                row["partner_revenue"] = (row["partner_revenue"] or 0) + partner
        for (index, current), existing in zip(spans_of.get(segment, ()), cohort, strict=False):
            sums = growth.setdefault((index, owner_id), [Decimal(0), Decimal(0)])
            if existing is not None:
                sums[1 - current] += _money(existing)
    return list(monthly.values()), growth
