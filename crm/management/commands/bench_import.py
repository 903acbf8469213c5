"""Measure what importing a large interactions file costs: time and peak memory.

``manage.py bench_import --rows 300000`` writes a file like an export of that many interactions
(about 250 bytes a row), runs the import on it as a dry run, and prints the file size, the time
and the process's peak resident memory. Everything it creates is rolled back.
"""

from __future__ import annotations

import resource
import time
from datetime import datetime, timedelta

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Role, User
from crm import services
from crm.imports.services import records_import

SUMMARY = "Talked through the renewal and the open invoices and the next quarterly review in detail"


def _peak_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def interactions_file(rows: int, *, client: str, email: str) -> bytes:
    """``rows`` interactions of ``client`` logged by ``email``, one a minute from 2024."""
    start = datetime(2024, 1, 1, 9, 0)
    lines = ["client,occurred_at,kind,direction,logged_by,topic,summary,contacts,in_reply_to"]
    for n in range(rows):
        at = (start + timedelta(minutes=n)).isoformat()
        lines.append(f"{client},{at}+00:00,call,outbound,{email},Renewal {n},{SUMMARY},,")
    return ("\n".join(lines) + "\n").encode()


class Command(BaseCommand):
    help = "Time an interactions import of --rows rows and print its peak memory."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=300_000)

    def handle(self, *args, rows, **options):
        with transaction.atomic():
            brm = User.objects.create_user(
                email="bench-import@example.com", password=None, role=Role.BRM, full_name="Bench"
            )
            services.client_create(
                name="Bench Import Ltd", relationship_type="strategic", owner=brm
            )
            data = interactions_file(rows, client="Bench Import Ltd", email=brm.email)
            before = _peak_mb()
            started = time.perf_counter()
            report = records_import(record_type="interactions", data=data, by=brm, dry_run=True)
            seconds = time.perf_counter() - started
            peak = _peak_mb()
            transaction.set_rollback(True)
        size_mb = len(data) / 2**20
        self.stdout.write(
            f"{rows} rows, {size_mb:.1f} MB file: {'ok' if report.ok else report.errors[:3]}; "
            f"{seconds:.1f} s; peak memory {peak:.0f} MB "
            f"(before the import {before:.0f} MB, {peak / size_mb:.1f}x the file)"
        )
