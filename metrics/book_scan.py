"""The engine's scan of the whole organisation's book in one SQL statement: every client's
``metrics.sources.book`` columns, with each table read once instead of probed per client."""

from django.db import connection
from django.db.models import (
    Case,
    F,
    Max,
    QuerySet,
    When,
)

from crm import models as crm
from metrics import sources as src
from metrics.periods import Window
from metrics.sources import clients as clients_src
from metrics.sql import statement


def book_rows(window: Window) -> tuple[str, list]:
    """SQL and parameters for ``book``'s columns (and ``client_id``) of every client in one
    set-based statement: the engine's scan of the whole organisation.

    ``book`` probes each client's histories with subqueries, one per client and column. Here
    every table is read once. ``LEAD`` gives each status change and each ownership the moment
    the next one takes over, so "in force at t" is a condition on one row, and one ``GROUP BY``
    per history gives every client's status and owner at every instant. Events are grouped per
    client and joined. Ties are broken by id, as ``book`` breaks them.
    """
    ops = connection.ops
    params: list = []

    # The statement is written in reading order, so each placeholder's value is appended to
    # ``params`` as its text is produced.
    def bind(value) -> str:
        params.append(value)
        return "%s"

    def nested(queryset: QuerySet) -> str:
        sql, values = statement(queryset)
        params.extend(values)
        return sql

    def status_on(status: str, day) -> str:
        day = ops.adapt_datefield_value(day)
        return (
            f"MAX(CASE WHEN status = {bind(status)} AND effective_on <= {bind(day)} "
            f"AND (next_on IS NULL OR next_on > {bind(day)}) THEN 1 ELSE 0 END)"
        )

    def became(status: str, first_day) -> str:
        first_day, last_day = (ops.adapt_datefield_value(d) for d in (first_day, window.last_day))
        return (
            f"MAX(CASE WHEN status = {bind(status)} AND effective_on >= {bind(first_day)} "
            f"AND effective_on <= {bind(last_day)} THEN 1 ELSE 0 END)"
        )

    def owner_at(instant, *, before: bool = False) -> str:
        # Before its first recorded ownership, a client is its first owner's (as ``book``).
        instant = ops.adapt_datetimefield_value(instant)
        started, superseded = ("<", ">=") if before else ("<=", ">")
        return (
            f"MAX(CASE WHEN (started_at {started} {bind(instant)} AND (next_at IS NULL OR "
            f"next_at {superseded} {bind(instant)})) OR (n = 1 AND started_at {superseded} "
            f"{bind(instant)}) THEN owner_id END)"
        )

    def flag(column: str) -> str:
        return f"COALESCE({column}, 0) = 1"

    active, churned = src.ACTIVE.value, src.CHURNED.value
    touches = (
        crm.Interaction.objects.filter(
            clients_src.touched_recently(window) | clients_src.two_way_in(window)
        )
        .values("client_id")
        .annotate(
            recent=Max(Case(When(clients_src.touched_recently(window), then=1), default=0)),
            two_way=Max(Case(When(clients_src.two_way_in(window), then=1), default=0)),
        )
    )
    # Distinct pairs, then a count: PostgreSQL hashes the pairs, where COUNT(DISTINCT) would sort
    # the year's lines by client.
    products = src.revenue_lines_year(window).values("client_id", "product_id").distinct()
    reviewed = clients_src.goal_reviews(window).values(client_id=F("goal__client")).distinct()
    certified = clients_src.certifications(window).values(client_id=F("partner")).distinct()
    clients = crm.Client.objects.values("id", **clients_src.client_columns(window))
    sql = f"""
        WITH status_ AS (
            SELECT client_id, status, effective_on, LEAD(effective_on) OVER (
                PARTITION BY client_id ORDER BY effective_on, id
            ) AS next_on
            FROM {crm.ClientStatusChange._meta.db_table}
        ), status_at AS (
            SELECT client_id,
                {status_on(active, window.start)} AS active_start,
                {status_on(active, window.last_day)} AS active_end,
                {status_on(active, window.year_start)} AS active_year,
                {status_on(churned, window.last_day)} AS churned_end,
                {became(active, window.start)} AS activated,
                {became(active, window.year_start)} AS activated_year,
                {became(churned, window.year_start)} AS churned_in_year
            FROM status_ GROUP BY client_id
        ), ownership_ AS (
            SELECT client_id, owner_id, started_at,
                LEAD(started_at) OVER (PARTITION BY client_id ORDER BY started_at, id) AS next_at,
                ROW_NUMBER() OVER (PARTITION BY client_id ORDER BY started_at, id) AS n
            FROM {crm.ClientOwnership._meta.db_table}
        ), owner_at AS (
            SELECT client_id,
                {owner_at(window.start_at)} AS owner_start,
                {owner_at(window.until, before=True)} AS owner_end,
                {owner_at(window.year_start_at)} AS owner_year
            FROM ownership_ GROUP BY client_id
        ), churned_ AS (
            SELECT client_id FROM status_at WHERE churned_end = 1 AND churned_in_year = 1
        ), lifetime AS (
            SELECT line.client_id, SUM(line.amount) AS revenue
            FROM {crm.RevenueLine._meta.db_table} line
            JOIN churned_ ON churned_.client_id = line.client_id
            WHERE line.recognised_on <= {bind(ops.adapt_datefield_value(window.last_day))}
            GROUP BY line.client_id
        ),
        touches AS ({nested(touches)}),
        answered AS ({nested(src.responses(window).values("client_id").distinct())}),
        products AS (
            SELECT client_id, COUNT(*) AS products FROM ({nested(products)}) pairs
            GROUP BY client_id
        ),
        reviewed AS ({nested(reviewed)}),
        certified AS ({nested(certified)}),
        clients_ AS ({nested(clients)})
        SELECT
            clients_.id AS client_id,
            owner_at.owner_start, owner_at.owner_end, owner_at.owner_year,
            {flag("status_at.active_start")} AS active_start,
            {flag("status_at.active_end")} AS active_end,
            {flag("status_at.active_year")} AS active_year,
            {flag("status_at.activated")} AS activated,
            {flag("status_at.activated_year")} AS activated_year,
            churned_.client_id IS NOT NULL AS churned_recently,
            COALESCE(touches.recent, 0) = 0 AS dormant,
            ({flag("touches.two_way")} OR answered.client_id IS NOT NULL) AS engaged,
            COALESCE(products.products, 0) AS products,
            COALESCE(lifetime.revenue, 0) AS lifetime_revenue,
            clients_.strategic, reviewed.client_id IS NOT NULL AS aligned,
            clients_.partner, certified.client_id IS NOT NULL AS certified,
            clients_.tenure_days
        FROM clients_
        LEFT JOIN owner_at ON owner_at.client_id = clients_.id
        LEFT JOIN status_at ON status_at.client_id = clients_.id
        LEFT JOIN churned_ ON churned_.client_id = clients_.id
        LEFT JOIN lifetime ON lifetime.client_id = clients_.id
        LEFT JOIN touches ON touches.client_id = clients_.id
        LEFT JOIN answered ON answered.client_id = clients_.id
        LEFT JOIN products ON products.client_id = clients_.id
        LEFT JOIN reviewed ON reviewed.client_id = clients_.id
        LEFT JOIN certified ON certified.client_id = clients_.id
    """
    return sql, params
