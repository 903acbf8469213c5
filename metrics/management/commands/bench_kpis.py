from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from metrics import bench
from metrics.periods import Period


class Command(BaseCommand):
    help = (
        "Benchmark the KPI engine on PostgreSQL: load a large demo organisation if none "
        "exists, snapshot one month for everyone, compare with a plain GROUP BY floor."
    )

    def add_arguments(self, parser):
        parser.add_argument("--brms", type=int, default=200)
        parser.add_argument("--clients", type=int, default=20_000)
        parser.add_argument("--months", type=int, default=24)
        parser.add_argument("--interactions-per-client-month", type=float, default=5.6)
        parser.add_argument("--surveys-per-client-month", type=float, default=3.2)
        parser.add_argument(
            "--backfill", type=int, default=24, metavar="MONTHS", help="0 to skip the backfill"
        )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The benchmark runs on PostgreSQL: set DATABASE_URL.")
        call_command(
            "seed_demo",
            brms=options["brms"],
            clients=options["clients"],
            months=options["months"],
            interactions_per_client_month=options["interactions_per_client_month"],
            surveys_per_client_month=options["surveys_per_client_month"],
            stdout=self.stdout,
        )
        with connection.cursor() as cursor:
            # What autovacuum does on a live server (a development one may have it off): fresh
            # statistics, visibility maps set, and no dead snapshot rows left by earlier runs.
            cursor.execute("VACUUM (ANALYZE)")
        sizes = bench.table_sizes()
        self.stdout.write(f"Data: {sum(sizes.values()):,} rows in {len(sizes)} tables")
        month = Period.current("month").previous
        # Warm the cache for both measurements alike, then measure the floor first.
        bench.floor_scan()
        floor = bench.measure(bench.floor_scan)
        snapshot = bench.snapshot_month(month)
        self.stdout.write(
            f"Floor (one GROUP BY scan per table): {floor.rows_scanned:,} rows scanned in "
            f"{floor.seconds:.2f} s"
        )
        self.stdout.write(
            f"Snapshot {month} (every KPI, BRM, team, organisation): {snapshot.rows_scanned:,} "
            f"rows scanned, {snapshot.queries} queries, {snapshot.seconds:.2f} s, "
            f"{snapshot.seconds / floor.seconds:.2f}× the floor (target ≤ 5×, < 30 s)"
        )
        if options["backfill"]:
            first = month.shift(1 - options["backfill"])
            started = timezone.now()
            result = bench.backfill(first, month)
            self.stdout.write(
                f"Backfill {first} to {month} ({options['backfill']} months, started "
                f"{started:%H:%M}): {result.rows_scanned:,} rows scanned, {result.seconds:.1f} s "
                "(target < 600 s)"
            )
