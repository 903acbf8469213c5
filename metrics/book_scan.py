"""The engine's scan of the whole organisation's book for many windows in one SQL statement:
every client's ``metrics.sources.book`` columns in every window, each table read once."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.db.models import F, QuerySet

from crm import models as crm
from metrics import sources as src
from metrics.periods import Window
from metrics.sources import clients as clients_src
from metrics.sql import AnyBits, Segments, statement, values_table
from surveys.models import Response

# Every status change with the day the next one takes over (``NULL`` for the latest), ties
# broken by id: "in force on day d" is then a condition on one row.
STATUS_HISTORY = f"""
    SELECT client_id, status, effective_on, LEAD(effective_on) OVER (
        PARTITION BY client_id ORDER BY effective_on, id
    ) AS next_on
    FROM {crm.ClientStatusChange._meta.db_table}
"""


def _instants(window: Window) -> list:
    return [window.start_at, window.until, window.trailing_days_at(settings.DORMANT_AFTER_DAYS)]


def _days(window: Window) -> list:
    return [window.year_start, window.end_day]


def batches(windows: list[Window]) -> list[list[Window]]:
    """``windows`` in consecutive groups whose bounds fit one statement's segment masks (a
    24-month backfill is one group)."""
    groups: list[list[Window]] = []
    for window in windows:
        group = [*groups[-1], window] if groups else []
        instants = {moment for each in group for moment in _instants(each)}
        days = {day for each in group for day in _days(each)}
        if group and max(len(instants), len(days)) < Segments.MAX_BITS:
            groups[-1] = group
        else:
            groups.append([window])
    return groups


def book_rows(windows: list[Window]) -> tuple[str, list]:
    """SQL and parameters for ``book``'s columns, with ``i`` (the window's index in
    ``windows``) and ``client_id``, of every client in every window, in one set-based
    statement: the engine's scan of the whole organisation.

    ``book`` probes each client's histories with subqueries, one per client and column. Here
    every table is read once for all the windows. ``LEAD`` gives each status change and each
    ownership the moment the next one takes over, so "in force at t" is a condition on one row
    joined to the windows, and one ``GROUP BY`` per history gives every client's status and
    owner at every window's instants. Interactions, answers and revenue lines are read once,
    each summarised per client (and product) as a mask of the ``Segments`` between the
    windows' bounds it has events in; a window's "some event in my span" is then a bit test.
    Ties are broken by id, as ``book`` breaks them.
    """
    instants = Segments([moment for w in windows for moment in _instants(w)])
    days = Segments([day for w in windows for day in _days(w)])
    dormant = settings.DORMANT_AFTER_DAYS
    columns = {
        "i": "int",
        "first_day": "date",
        "last_day": "date",
        "year_start": "date",
        "end_day": "date",
        "review_from": "date",
        "start_at": "instant",
        "until": "instant",
        "year_start_at": "instant",
        "touch_bits": "int",
        "period_bits": "int",
        "year_bits": "int",
    }
    review = settings.KPI_ALIGNMENT_REVIEW_DAYS
    w_sql, params = values_table(
        "w_",
        columns,
        [
            (
                *(i, w.start, w.last_day, w.year_start, w.end_day, w.trailing_days_from(review)),
                *(w.start_at, w.until, w.year_start_at),
                instants.mask(w.trailing_days_at(dormant), w.until),
                instants.mask(w.start_at, w.until),
                days.mask(w.year_start, w.end_day),
            )
            for i, w in enumerate(windows)
        ],
    )
    first_at, until = instants.bounds[0], instants.bounds[-1]
    first_year, last_day = days.bounds[0], max(w.last_day for w in windows)

    def bind(value) -> str:
        params.append(value)
        return "%s"

    def nested(queryset: QuerySet) -> str:
        sql, values = statement(queryset)
        params.extend(values)
        return sql

    def status_on(status: str, day: str) -> str:
        return (
            f"MAX(CASE WHEN s.status = {bind(status)} AND s.effective_on <= w_.{day} "
            f"AND (s.next_on IS NULL OR s.next_on > w_.{day}) THEN 1 ELSE 0 END)"
        )

    def became(status: str, first_day: str) -> str:
        return (
            f"MAX(CASE WHEN s.status = {bind(status)} AND s.effective_on >= w_.{first_day} "
            "AND s.effective_on <= w_.last_day THEN 1 ELSE 0 END)"
        )

    def owner_at(instant: str, *, before: bool = False) -> str:
        # Before its first recorded ownership, a client is its first owner's (as ``book``).
        started, superseded = ("<", ">=") if before else ("<=", ">")
        return (
            f"MAX(CASE WHEN (o.started_at {started} w_.{instant} AND (o.next_at IS NULL OR "
            f"o.next_at {superseded} w_.{instant})) OR (o.n = 1 AND o.started_at {superseded} "
            f"w_.{instant}) THEN o.owner_id END)"
        )

    def flag(column: str) -> str:
        return f"COALESCE({column}, 0) = 1"

    active, churned = src.ACTIVE.value, src.CHURNED.value
    not_note, two_way = src.NOT_NOTE, src.TWO_WAY
    # Per client, the segments in which it had a touch other than a note, a two-way touch, an
    # answer; per client and product, those in which a line was recognised.
    touched = instants.bit("occurred_at")
    touches = (
        crm.Interaction.objects.filter(occurred_at__gte=first_at, occurred_at__lt=until)
        .filter(not_note | two_way)
        .values("client_id")
        .annotate(
            recent=AnyBits(touched, filter=not_note), two_way=AnyBits(touched, filter=two_way)
        )
    )
    answered = (
        Response.objects.filter(answered_at__gte=first_at, answered_at__lt=until)
        .values("client_id")
        .annotate(bits=AnyBits(instants.bit("answered_at")))
    )
    products = (
        crm.RevenueLine.objects.filter(recognised_on__gte=first_year, recognised_on__lte=last_day)
        # Product first: grouped in an order no index has, the lines are hashed in one
        # sequential scan rather than read in client order and sorted (twice the time).
        .values("product_id", "client_id")
        .annotate(bits=AnyBits(days.bit("recognised_on")))
    )
    reviews = crm.GoalReview.objects.filter(
        reviewed_on__gte=min(w.trailing_days_from(review) for w in windows),
        reviewed_on__lte=last_day,
    ).values("reviewed_on", client_id=F("goal__client"))
    clients = crm.Client.objects.values(
        "id",
        "relationship_started_on",
        **{
            name: column
            for name, column in clients_src.client_columns(windows[0]).items()
            if name != "tenure_days"
        },
    )
    if connection.vendor == "postgresql":
        tenure = "(w_.end_day - c.relationship_started_on)"
    else:
        tenure = (
            "CAST(ROUND(julianday(w_.end_day) - julianday(c.relationship_started_on)) AS INTEGER)"
        )
    sql = f"""
        WITH {w_sql},
        status_ AS ({STATUS_HISTORY}), status_at AS (
            SELECT w_.i, s.client_id,
                {status_on(active, "first_day")} AS active_start,
                {status_on(active, "last_day")} AS active_end,
                {status_on(active, "year_start")} AS active_year,
                {status_on(churned, "last_day")} AS churned_end,
                {became(active, "first_day")} AS activated,
                {became(active, "year_start")} AS activated_year,
                {became(churned, "year_start")} AS churned_in_year
            FROM status_ s JOIN w_ ON s.effective_on <= w_.last_day
                AND (s.next_on IS NULL OR s.next_on >= w_.year_start)
            GROUP BY w_.i, s.client_id
        ), ownership_ AS (
            SELECT client_id, owner_id, started_at,
                LEAD(started_at) OVER (PARTITION BY client_id ORDER BY started_at, id) AS next_at,
                ROW_NUMBER() OVER (PARTITION BY client_id ORDER BY started_at, id) AS n
            FROM {crm.ClientOwnership._meta.db_table}
        ), owner_at AS (
            SELECT w_.i, o.client_id,
                {owner_at("start_at")} AS owner_start,
                {owner_at("until", before=True)} AS owner_end,
                {owner_at("year_start_at")} AS owner_year
            FROM ownership_ o JOIN w_ ON o.n = 1
                OR (o.started_at < w_.until AND (o.next_at IS NULL OR o.next_at > w_.year_start_at))
            GROUP BY w_.i, o.client_id
        ), churned_ AS (
            SELECT i, client_id FROM status_at WHERE churned_end = 1 AND churned_in_year = 1
        ), lifetime AS (
            SELECT churned_.i, churned_.client_id, SUM(line.amount) AS revenue
            FROM churned_
            JOIN w_ ON w_.i = churned_.i
            JOIN {crm.RevenueLine._meta.db_table} line ON line.client_id = churned_.client_id
                AND line.recognised_on <= w_.last_day
            GROUP BY churned_.i, churned_.client_id
        ),
        touches AS ({nested(touches)}),
        answered AS ({nested(answered)}),
        products_ AS ({nested(products)}),
        products AS (
            SELECT w_.i, p.client_id, COUNT(*) AS products
            FROM products_ p JOIN w_ ON (p.bits & w_.year_bits) <> 0
            GROUP BY w_.i, p.client_id
        ),
        reviews_ AS ({nested(reviews)}),
        reviewed AS (
            SELECT DISTINCT w_.i, r.client_id FROM reviews_ r
            JOIN w_ ON r.reviewed_on >= w_.review_from AND r.reviewed_on <= w_.last_day
        ),
        certified AS (
            SELECT DISTINCT w_.i, cert.partner_id AS client_id
            FROM {crm.PartnerCertification._meta.db_table} cert
            JOIN w_ ON cert.valid_from <= w_.last_day AND cert.valid_until >= w_.last_day
        ),
        clients_ AS ({nested(clients)})
        SELECT
            w_.i, c.id AS client_id,
            owner_at.owner_start, owner_at.owner_end, owner_at.owner_year,
            {flag("status_at.active_start")} AS active_start,
            {flag("status_at.active_end")} AS active_end,
            {flag("status_at.active_year")} AS active_year,
            {flag("status_at.activated")} AS activated,
            {flag("status_at.activated_year")} AS activated_year,
            churned_.client_id IS NOT NULL AS churned_recently,
            (COALESCE(touches.recent, 0) & w_.touch_bits) = 0 AS dormant,
            ((COALESCE(touches.two_way, 0) & w_.period_bits) <> 0
                OR (COALESCE(answered.bits, 0) & w_.period_bits) <> 0) AS engaged,
            COALESCE(products.products, 0) AS products,
            COALESCE(lifetime.revenue, 0) AS lifetime_revenue,
            c.strategic, reviewed.client_id IS NOT NULL AS aligned,
            c.partner, certified.client_id IS NOT NULL AS certified,
            {tenure} AS tenure_days
        FROM clients_ c CROSS JOIN w_
        LEFT JOIN owner_at ON owner_at.i = w_.i AND owner_at.client_id = c.id
        LEFT JOIN status_at ON status_at.i = w_.i AND status_at.client_id = c.id
        LEFT JOIN churned_ ON churned_.i = w_.i AND churned_.client_id = c.id
        LEFT JOIN lifetime ON lifetime.i = w_.i AND lifetime.client_id = c.id
        LEFT JOIN touches ON touches.client_id = c.id
        LEFT JOIN answered ON answered.client_id = c.id
        LEFT JOIN products ON products.i = w_.i AND products.client_id = c.id
        LEFT JOIN reviewed ON reviewed.i = w_.i AND reviewed.client_id = c.id
        LEFT JOIN certified ON certified.i = w_.i AND certified.client_id = c.id
    """
    return sql, params
