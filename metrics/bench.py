"""The KPI benchmark (``make bench``): snapshot one month for every subject of a large
organisation on PostgreSQL, and compare with the floor of one plain ``GROUP BY`` scan of each
table the snapshot reads, measured in the same run.

Rows scanned come from PostgreSQL's own counters (``pg_stat_user_tables``: sequential plus
index tuple reads), so they count what the plans really read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, reset_queries, transaction
from django.test.utils import CaptureQueriesContext

from crm import models as crm
from metrics.periods import Period, periods_between
from metrics.services import snapshot_take
from surveys.models import Invitation, Response

# Every table the KPI engine reads, with the column its rows are credited by.
SCANNED = [
    (crm.Client, "owner_id"),
    (crm.ClientOwnership, "owner_id"),
    (crm.ClientStatusChange, "client_id"),
    (crm.Contact, "client_id"),
    (crm.Interaction, "owner_id"),
    (crm.Interaction.contacts.through, "contact_id"),
    (crm.FollowUp, "owner_id"),
    (crm.SupportIssue, "owner_id"),
    (crm.Deal, "owner_id"),
    (crm.DealStageChange, "owner_id"),
    (crm.RevenueLine, "owner_id"),
    (crm.Project, "owner_id"),
    (crm.SharedGoal, "owner_id"),
    (crm.GoalReview, "goal_id"),
    (crm.FeedbackItem, "owner_id"),
    (crm.PartnerReferral, "owner_id"),
    (crm.PartnerCertification, "partner_id"),
    (Invitation, "owner_id"),
    (Response, "owner_id"),
]


@dataclass
class Measurement:
    seconds: float
    rows_scanned: int
    queries: int = 0


def _tuples_read() -> int:
    tables = [model._meta.db_table for model, _ in SCANNED]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT COALESCE(SUM(COALESCE(seq_tup_read, 0) + COALESCE(idx_tup_fetch, 0)), 0) "
            "FROM pg_stat_user_tables WHERE relname = ANY(%s)",
            [tables],
        )
        return int(cursor.fetchone()[0])


def _flush_stats() -> None:
    # Counters of the statement just run reach pg_stat_user_tables once flushed.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")


def measure(work: Callable[[], object]) -> Measurement:
    before = _tuples_read()
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        work()
        seconds = time.perf_counter() - started
    _flush_stats()
    return Measurement(seconds, _tuples_read() - before, len(queries))


def floor_scan() -> None:
    """One plain GROUP BY over each table the snapshot reads: the cost of touching the data.

    Sequential scans are forced: with fresh visibility maps PostgreSQL would otherwise count
    from the owner indexes alone, a floor that reads no rows and that no KPI (which reads dates,
    amounts and states) can use.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        for setting in ("enable_indexscan", "enable_indexonlyscan", "enable_bitmapscan"):
            cursor.execute(f"SET LOCAL {setting} = off")
        for model, column in SCANNED:
            cursor.execute(
                f"SELECT {column}, COUNT(*) FROM {model._meta.db_table} GROUP BY {column}"
            )
            cursor.fetchall()


def table_sizes() -> dict[str, int]:
    return {model._meta.db_table: model.objects.count() for model, _ in SCANNED}


def snapshot_month(period: Period) -> Measurement:
    """The full cost, writes included, also when an earlier run already froze the month."""
    return measure(
        lambda: snapshot_take(period=period, freeze=period.is_closed(), overwrite_frozen=True)
    )


def backfill(first: Period, last: Period) -> Measurement:
    def run():
        for period in periods_between(first, last):
            snapshot_take(period=period, freeze=period.is_closed(), overwrite_frozen=True)

    return measure(run)
