"""The KPI benchmark (``make bench``): snapshot a period for every subject of a large
organisation on PostgreSQL, backfill a range, and compare with the floor of one plain
``GROUP BY`` scan of each table the snapshot reads, measured in the same run.

Each measurement reports:

- rows read, from PostgreSQL's own counters (``pg_stat_user_tables``: sequential plus index
  tuple reads), so they count what the plans really read;
- DB CPU: the user and system CPU time of this connection's server process, read from
  ``/proc`` (the database runs on this machine). Unlike wall-clock seconds it does not grow
  when other programs share the cores. Parallel workers would escape it, so the benchmark's
  session runs without them (``bench_session``);
- the Python process's own CPU time and its peak resident memory during the measurement
  (Linux resets the peak through ``/proc/self/clear_refs``).
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, reset_queries, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from crm import models as crm
from metrics import sources as src
from metrics.models import Snapshot
from metrics.periods import Period, Window, periods_between
from metrics.services import snapshot_backfill, snapshot_take
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

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Measurement:
    """One measured piece of work. ``db_cpu`` is ``None`` where ``/proc`` of the database
    server cannot be read (a remote server)."""

    seconds: float
    rows_scanned: int
    queries: int = 0
    db_cpu: float | None = None
    python_cpu: float = 0.0
    peak_mb: float = 0.0

    @property
    def cpu(self) -> float:
        """DB CPU seconds, or wall-clock seconds when DB CPU is unknown."""
        return self.db_cpu if self.db_cpu is not None else self.seconds


def bench_session(work_mem: str | None = None) -> None:
    """Session settings for measuring: no parallel workers (their CPU would not be counted),
    and optionally a forced ``work_mem``, e.g. a small one where every hash spills and plan
    cliffs show: for the session and for the engine's batches (``settings.KPI_WORK_MEM``)."""
    with connection.cursor() as cursor:
        cursor.execute("SET max_parallel_workers_per_gather = 0")
        if work_mem:
            cursor.execute("SELECT set_config('work_mem', %s, false)", [work_mem])
            settings.KPI_WORK_MEM = work_mem


def vacuum_analyze() -> None:
    """What autovacuum does on a live server (a development one may have it off): fresh
    statistics, visibility maps set, and no dead snapshot rows left by earlier runs."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


def _server_cpu() -> float | None:
    """CPU seconds (user and system) the database server's process for this connection has
    used so far, or ``None`` where its ``/proc`` cannot be read (a remote server)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        # Time on the CPU in nanoseconds: a clock tick (10 ms) is too coarse for the small
        # organisation's statements.
        with open(f"/proc/{pid}/schedstat") as schedstat:
            nanoseconds = int(schedstat.read().split()[0])
        if nanoseconds:
            return nanoseconds / 1e9
    except (OSError, ValueError, IndexError):
        pass
    # Without the scheduler's statistics the file reads "0 0 0": clock ticks then.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # Fields 14 and 15 of stat (utime, stime), counted after the command name.
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _reset_peak_memory() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        pass


def _peak_memory_mb() -> float:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _tuples_read() -> int:
    """Rows read so far from the tables the engine reads: by sequential scans, and as index
    entries by index scans, index-only ones included (which fetch no row from the table, so
    PostgreSQL's ``idx_tup_fetch`` leaves them out)."""
    tables = [model._meta.db_table for model, _ in SCANNED]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT (SELECT COALESCE(SUM(seq_tup_read), 0) FROM pg_stat_user_tables"
            " WHERE relname = ANY(%s))"
            " + (SELECT COALESCE(SUM(idx_tup_read), 0) FROM pg_stat_user_indexes"
            " WHERE relname = ANY(%s))",
            [tables, tables],
        )
        return int(cursor.fetchone()[0])


def _flush_stats() -> None:
    # Counters of the statement just run reach pg_stat_user_tables once flushed.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")


def measure(work: Callable[[], object]) -> Measurement:
    before = _tuples_read()
    cpu_before = _server_cpu()
    reset_queries()
    _reset_peak_memory()
    with CaptureQueriesContext(connection) as queries:
        started, python_started = time.perf_counter(), time.process_time()
        work()
        seconds = time.perf_counter() - started
        python_cpu = time.process_time() - python_started
    cpu_after = _server_cpu()
    _flush_stats()
    db_cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return Measurement(
        seconds,
        _tuples_read() - before,
        len(queries),
        db_cpu,
        python_cpu,
        _peak_memory_mb(),
    )


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


def forget_snapshots(first: Period, last: Period) -> None:
    """Delete the stored snapshot rows of the periods from ``first`` to ``last`` (not measured),
    so the next measurement is a first write, whatever earlier runs stored: the upsert of rows
    already stored, with the same values, is a different and cheaper piece of work."""
    Snapshot.objects.filter(
        grain=first.grain, period_start__in=[p.start for p in periods_between(first, last)]
    ).delete()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {Snapshot._meta.db_table}")


def snapshot_work(period: Period) -> None:
    snapshot_take(period=period, freeze=period.is_closed(), overwrite_frozen=True)


def snapshot(period: Period) -> Measurement:
    """The full cost, writes included, also when an earlier run already froze the period."""
    return measure(lambda: snapshot_work(period))


def backfill(first: Period, last: Period) -> Measurement:
    return measure(lambda: snapshot_backfill(first=first, last=last, overwrite_frozen=True))


def reply_conversion(window: Window) -> tuple[Measurement, int]:
    """The reply-conversion measure alone over ``window``: (its cost, outbound messages)."""
    counted: list[int] = []

    def run():
        # Grouped as the engine groups it (per owner and topic).
        rows = (
            src.outbound_messages(window)
            .order_by()
            .values("owner", "topic")
            .annotate(outbound=Count("id"), replied=Count("id", filter=src.GOT_REPLY))
        )
        counted.append(sum(row["outbound"] for row in rows))

    return measure(run), counted[0]


def span(first: Period, last: Period) -> Window:
    """One window from the start of ``first`` to the end of ``last``."""
    return Window(first, last.end_at)


def first_day(period: Period) -> Window:
    return Window(period, period.start_at + timedelta(days=1))


@dataclass
class QueryProfile:
    """One statement of a measured piece of work, re-run under ``EXPLAIN (ANALYZE, BUFFERS)``."""

    milliseconds: float
    rows: int
    buffers: int
    top_node: str
    statement: str


def profile(work: Callable[[], object], top: int = 10) -> list[QueryProfile]:
    """The ``top`` slowest reading statements of ``work`` (run once to capture them, inside a
    transaction rolled back afterwards), each re-run under ``EXPLAIN (ANALYZE, BUFFERS)``:
    execution time, rows out, shared buffers touched, and the plan node that took longest
    on its own."""
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        work()
        transaction.set_rollback(True)
    profiles = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
            plan = cursor.fetchone()[0][0]
            root = plan["Plan"]
            profiles.append(
                QueryProfile(
                    plan["Execution Time"],
                    root.get("Actual Rows", 0),
                    root.get("Shared Hit Blocks", 0) + root.get("Shared Read Blocks", 0),
                    _slowest_node(root),
                    " ".join(sql.split())[:90],
                )
            )
    return sorted(profiles, key=lambda each: -each.milliseconds)[:top]


def _slowest_node(root: dict) -> str:
    """The node with the most time of its own (its total less its children's)."""

    def own(node: dict) -> float:
        total = node.get("Actual Total Time", 0.0) * node.get("Actual Loops", 1)
        children = sum(
            child.get("Actual Total Time", 0.0) * child.get("Actual Loops", 1)
            for child in node.get("Plans", [])
        )
        return total - children

    nodes, stack = [], [root]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(node.get("Plans", []))
    slowest = max(nodes, key=own)
    name = slowest["Node Type"]
    if "Relation Name" in slowest:
        name += f" on {slowest['Relation Name']}"
    return f"{name} {own(slowest):.0f} ms"
