import math
import os
import statistics

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from metrics import bench, bench_refresh
from metrics.periods import MONTHS_IN, Grain, Period

# The benchmark organisation at scale 1.
BRMS, CLIENTS = 200, 20_000


class Command(BaseCommand):
    help = (
        "Benchmark the KPI engine on PostgreSQL: load a large demo organisation if none "
        "exists, VACUUM (ANALYZE), then per grain snapshot the last closed period for everyone "
        "and backfill a range, compared with a plain GROUP BY floor measured in the same run."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help=f"multiplies the organisation: 1 is {BRMS} BRMs and {CLIENTS:,} clients",
        )
        parser.add_argument("--months", type=int, default=24, help="history to load")
        parser.add_argument("--interactions-per-client-month", type=float, default=5.6)
        parser.add_argument("--surveys-per-client-month", type=float, default=3.2)
        parser.add_argument(
            "--backfill", type=int, default=24, metavar="MONTHS", help="0 to skip the backfills"
        )
        parser.add_argument(
            "--grains",
            default=",".join(Grain.values),
            help="comma-separated grains to measure (month,quarter,year)",
        )
        parser.add_argument(
            "--again",
            default=Grain.MONTH,
            metavar="GRAINS",
            help="comma-separated grains whose backfill is run once more over the rows it "
            "stored, to measure the rewrite ('' for none)",
        )
        parser.add_argument(
            "--write-seconds",
            type=float,
            default=60,
            help="how long to replay 50 writes a minute against the refresh (0: skip)",
        )
        parser.add_argument(
            "--explain",
            type=int,
            default=0,
            metavar="N",
            help="profile the month snapshot's N slowest statements (EXPLAIN ANALYZE, BUFFERS)",
        )
        parser.add_argument(
            "--max-snapshot-ratio",
            type=float,
            metavar="X",
            help="fail (exit status 1) if a snapshot costs more than X times the floor",
        )
        parser.add_argument(
            "--pairs",
            type=int,
            default=1,
            metavar="N",
            help="measure each grain's snapshot and backfill N times, alternated, and print "
            "the medians and the median ratio: on a machine whose speed drifts (shared cores) "
            "one pair can be off by 20%%",
        )
        parser.add_argument(
            "--work-mem",
            help="PostgreSQL work_mem for the measurements, e.g. 256kB: every hash spills, "
            "so a plan that only works while a hash fits in memory shows",
        )

    def handle(self, *args, **options):
        if options["pairs"] < 1:
            raise CommandError("--pairs must be 1 or more.")
        if options["pairs"] > 1 and not options["backfill"]:
            raise CommandError("--pairs measures snapshot and backfill pairs: it needs --backfill.")
        if connection.vendor != "postgresql":
            raise CommandError("The benchmark runs on PostgreSQL: set DATABASE_URL.")
        scale = options["scale"]
        grains = [grain.strip() for grain in options["grains"].split(",") if grain.strip()]
        again = {grain.strip() for grain in options["again"].split(",") if grain.strip()}
        if scale <= 0 or any(grain not in Grain.values for grain in [*grains, *again]):
            raise CommandError(
                "--scale must be positive, --grains and --again month, quarter or year."
            )
        self.pairs = options["pairs"]
        call_command(
            "seed_demo",
            brms=max(1, round(BRMS * scale)),
            clients=max(4, round(CLIENTS * scale)),
            months=options["months"],
            interactions_per_client_month=options["interactions_per_client_month"],
            surveys_per_client_month=options["surveys_per_client_month"],
            stdout=self.stdout,
        )
        bench.vacuum_analyze()
        bench.bench_session(options["work_mem"])
        with connection.cursor() as cursor:
            cursor.execute("SHOW work_mem")
            work_mem = cursor.fetchone()[0]
        sizes = bench.table_sizes()
        load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
        self.stdout.write(
            f"Scale {scale:g}: {sum(sizes.values()):,} rows in {len(sizes)} tables; "
            f"work_mem {work_mem} ({settings.KPI_WORK_MEM or work_mem} for batches of several "
            f"periods); load average {load} at {timezone.now():%Y-%m-%d %H:%M} UTC"
        )
        # Warm the cache for every measurement alike, then measure the floor first.
        bench.floor_scan()
        floor = bench.measure(bench.floor_scan)
        self.stdout.write(f"{'':<28}{self._columns()}")
        self.stdout.write(f"{'floor (GROUP BY per table)':<28}{self._line(floor)}")
        ratios = {
            grain: self._grain(grain, floor, options["backfill"], again=grain in again)
            for grain in grains
        }
        if options["explain"]:
            self._explain(options["explain"])
        self._reply_conversion()
        self._refresh(options["write_seconds"])
        self.stdout.write(f"load average after: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
        limit = options["max_snapshot_ratio"]
        if limit is not None:
            over = {grain: ratio for grain, ratio in ratios.items() if ratio > limit}
            verdict = "over" if over else "within"
            self.stdout.write(
                f"snapshot ÷ floor: {', '.join(f'{g} {r:.2f}×' for g, r in ratios.items())} "
                f"({verdict} the limit of {limit:g}×)"
            )
            if over:
                raise CommandError(f"Snapshots over {limit:g}× the floor: {over}")

    def _grain(
        self, grain: str, floor: bench.Measurement, backfill_months: int, *, again: bool
    ) -> float:
        """Measure ``grain``'s snapshot and backfill (``again``: and the backfill's rewrite;
        ``--pairs``: more pairs); the snapshot's ratio to the floor (the median snapshot's, with
        several pairs)."""
        period = Period.current(grain).previous
        # First writes, whatever earlier runs stored (bench.forget_snapshots).
        bench.forget_snapshots(period, period)
        snapshot = bench.snapshot(period)
        self.stdout.write(
            f"{f'{grain} snapshot {period}':<28}{self._line(snapshot)}"
            f"  = {_times(snapshot.cpu, floor.cpu)} floor"
        )
        count = max(1, backfill_months // MONTHS_IN[grain]) if backfill_months else 0
        if count:
            first = period.shift(1 - count)
            bench.forget_snapshots(first, period)
            result = bench.backfill(first, period)
            self.stdout.write(
                f"{f'{grain} backfill {count} ({first}…)':<28}{self._line(result)}"
                f"  = {_times(result.cpu, snapshot.cpu)} snapshot"
            )
            if again:
                rewrite = bench.backfill(first, period)
                self.stdout.write(
                    f"{'  again (rows stored)':<28}{self._line(rewrite)}"
                    f"  = {_times(rewrite.cpu, snapshot.cpu)} snapshot"
                )
            if self.pairs > 1:
                return self._pairs(period, first, [(floor, snapshot, result)])
        return _ratio(snapshot.cpu, floor.cpu)

    def _pairs(
        self,
        period: Period,
        first: Period,
        measured: list[tuple[bench.Measurement, bench.Measurement, bench.Measurement]],
    ) -> float:
        """Measure more (floor, snapshot, backfill) triples of ``period`` and ``first``…
        ``period``, each snapshot and backfill a first write, up to ``--pairs``: each pair is
        compared with a floor of the same minute. Print the medians in DB CPU and the medians of
        the pairs' ratios with the backfill's range. Returns the median snapshot ÷ floor."""
        while len(measured) < self.pairs:
            floor = bench.measure(bench.floor_scan)
            bench.forget_snapshots(period, period)
            snapshot = bench.snapshot(period)
            bench.forget_snapshots(first, period)
            measured.append((floor, snapshot, bench.backfill(first, period)))
        median = statistics.median
        floors = [floor.cpu for floor, _, _ in measured]
        snapshots = [snapshot.cpu for _, snapshot, _ in measured]
        backfills = [backfill.cpu for _, _, backfill in measured]
        over_floor = median(_ratio(s, f) for f, s in zip(floors, snapshots, strict=True))
        ratios = sorted(_ratio(b, s) for s, b in zip(snapshots, backfills, strict=True))
        self.stdout.write(
            f"  median of {len(measured)} pairs: floor {median(floors):.2f} s, snapshot "
            f"{median(snapshots):.2f} s ({over_floor:.2f}× floor), backfill "
            f"{median(backfills):.2f} s; backfill ÷ snapshot {median(ratios):.2f}× "
            f"({ratios[0]:.2f}–{ratios[-1]:.2f}×)"
        )
        return over_floor

    def _explain(self, top: int) -> None:
        period = Period.current(Grain.MONTH).previous
        self.stdout.write(
            f"month snapshot {period}: the {top} slowest statements, EXPLAIN (ANALYZE, BUFFERS)"
        )
        self.stdout.write(f"  {'ms':>8} {'rows out':>10} {'buffers':>9}  slowest node / statement")
        for each in bench.profile(lambda: bench.snapshot_work(period), top):
            self.stdout.write(
                f"  {each.milliseconds:>8.0f} {each.rows:>10,} {each.buffers:>9,}  {each.top_node}"
            )
            self.stdout.write(f"  {'':>30}{each.statement}")

    def _refresh(self, seconds: float) -> None:
        """What one write-triggered refresh costs, and whether refreshes keep up with 50 writes
        a minute (``metrics.bench_refresh``)."""
        cost = bench_refresh.refresh_cost()
        self.stdout.write(f"{'refresh (open M+Q+Y)':<28}{self._line(cost)}")
        if seconds <= 0:
            return
        load = bench_refresh.refresh_under_writes(writes_per_minute=50, seconds=seconds)
        runs = load.refresh_seconds
        mean = sum(runs) / len(runs) if runs else 0.0
        verdict = "keeps up" if load.kept_up else "FALLS BEHIND"
        self.stdout.write(
            f"50 writes/min for {seconds:g} s: {load.writes} writes → {load.refreshes} "
            f"refreshes of {mean:.1f} s (max {max(runs, default=0):.1f} s); a write is on the "
            f"scorecard within {load.worst_staleness:.0f} s at worst; longest queue "
            f"{load.longest_queue}: {verdict}"
        )

    def _reply_conversion(self) -> None:
        """The measure behind the plan cliff over a day, a month and the whole history: its
        cost per outbound message stays flat if the plan is linear."""
        month = Period.current(Grain.MONTH).previous
        windows = {
            "one day": bench.first_day(month),
            "one month": bench.span(month, month),
            "24 months": bench.span(month.shift(-23), month),
        }
        self.stdout.write("reply conversion (outbound messages → replied):")
        for name, window in windows.items():
            result, outbound = bench.reply_conversion(window)
            per_row = result.cpu / outbound * 1e6 if outbound else 0.0
            self.stdout.write(
                f"  {name:<26}{self._line(result)}  {outbound:,} messages, {per_row:.1f} µs each"
            )

    @staticmethod
    def _columns() -> str:
        return (
            f"{'DB CPU':>9} {'wall':>8} {'rows read':>12} {'queries':>8} {'Python CPU':>11} "
            f"{'peak MB':>8}"
        )

    @staticmethod
    def _line(m: bench.Measurement) -> str:
        db_cpu = f"{m.db_cpu:.2f} s" if m.db_cpu is not None else "n/a"
        return (
            f"{db_cpu:>9} {m.seconds:>6.2f} s {m.rows_scanned:>12,} {m.queries:>8,} "
            f"{m.python_cpu:>9.2f} s {m.peak_mb:>8.0f}"
        )


def _ratio(part: float, whole: float) -> float:
    """``part`` ÷ ``whole``; infinite when ``whole`` measured 0 (below the clock's resolution)."""
    return part / whole if whole else float("inf")


def _times(part: float, whole: float) -> str:
    ratio = _ratio(part, whole)
    return "n/a" if math.isinf(ratio) else f"{ratio:.2f}×"
