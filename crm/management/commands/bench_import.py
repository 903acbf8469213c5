"""Measure what importing a large interactions file costs: time and peak memory.

``manage.py bench_import`` writes a file like an export of 300,000 interactions (about 250 bytes
a row, 74 MB) to a temporary directory, imports it as a dry run and then for real, and prints
for each run the rows, the time, rows per second and the peak memory: the peak of Python's
allocations during the run (``tracemalloc``) and the process's peak resident memory
(``ru_maxrss``, which only ever grows). ``--rows`` makes it smaller; ``--no-tracemalloc``
times the runs without tracing, which slows Python's allocations down. Everything the
benchmark creates, including the real import, is rolled back.
"""

from __future__ import annotations

import resource
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Role, User
from crm import services
from crm.imports.services import records_import

SUMMARY = (
    "Talked through the renewal and the open invoices and the next quarterly review in detail; "
    "agreed to send the revised proposal by Friday and to meet the finance team"
)


def _rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_interactions_file(path: Path, rows: int, *, client: str, email: str) -> int:
    """Write ``rows`` interactions of ``client`` logged by ``email``, one a minute from 2024,
    to ``path``, a line at a time. Returns the file's size in bytes."""
    start = datetime(2024, 1, 1, 9, 0)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(
            "client,occurred_at,kind,direction,logged_by,topic,summary,contacts,in_reply_to\n"
        )
        for n in range(rows):
            at = (start + timedelta(minutes=n)).isoformat()
            out.write(f"{client},{at}+00:00,call,outbound,{email},Renewal {n},{SUMMARY},,\n")
    return path.stat().st_size


def interactions_file(rows: int, *, client: str, email: str) -> bytes:
    """The same file as bytes, for tests of a modest size."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "interactions.csv"
        write_interactions_file(path, rows, client=client, email=email)
        return path.read_bytes()


class Command(BaseCommand):
    help = "Time a dry run and a real import of --rows interactions and print their peak memory."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=300_000)
        parser.add_argument(
            "--no-tracemalloc",
            action="store_false",
            dest="trace",
            help="time without tracing allocations (only the resident peak is printed)",
        )

    def handle(self, *args, rows, trace, **options):
        # With DEBUG on, Django keeps the text of the last 9,000 queries: every batch's INSERT
        # would count as the import's memory. Production runs without it.
        settings.DEBUG = False
        with tempfile.TemporaryDirectory() as directory, transaction.atomic():
            brm = User.objects.create_user(
                email="bench-import@example.com", password=None, role=Role.BRM, full_name="Bench"
            )
            services.client_create(
                name="Bench Import Ltd", relationship_type="strategic", owner=brm
            )
            path = Path(directory) / "interactions.csv"
            size = write_interactions_file(path, rows, client="Bench Import Ltd", email=brm.email)
            self.stdout.write(f"{rows} rows, {size / 2**20:.1f} MB file ({size / rows:.0f} B/row)")
            for dry_run in (True, False):
                self._run(path, brm, dry_run=dry_run, rows=rows, trace=trace)
            transaction.set_rollback(True)

    def _run(self, path: Path, brm: User, *, dry_run: bool, rows: int, trace: bool) -> None:
        rss_before = _rss_mb()
        if trace:
            tracemalloc.start()
        started = time.perf_counter()
        with path.open("rb") as stream:
            report = records_import(
                record_type="interactions", file=stream, by=brm, dry_run=dry_run
            )
        seconds = time.perf_counter() - started
        traced = ""
        if trace:
            traced = f"peak traced {tracemalloc.get_traced_memory()[1] / 2**20:.0f} MB; "
            tracemalloc.stop()
        outcome = report.summary if report.ok else f"REFUSED {report.errors[:3]}"
        self.stdout.write(
            f"{'dry run' if dry_run else 'import '}: {outcome}; {seconds:.1f} s, "
            f"{rows / seconds:,.0f} rows/s; {traced}peak resident {_rss_mb():.0f} MB "
            f"(+{_rss_mb() - rss_before:.0f} MB over the {rss_before:.0f} MB before)"
        )
