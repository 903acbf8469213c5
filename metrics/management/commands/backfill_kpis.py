from django.core.management.base import BaseCommand, CommandError

from metrics.periods import Grain, Period
from metrics.services import snapshot_backfill


class Command(BaseCommand):
    help = (
        "Recompute the KPI snapshots of a range of periods. Closed periods are frozen; a period "
        "already frozen is only compared with its recomputation, unless --overwrite-frozen."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", help="YYYY-MM, YYYY-Qn, YYYY")
        parser.add_argument("--to", dest="last", help="YYYY-MM, YYYY-Qn, YYYY")
        parser.add_argument(
            "--last",
            dest="recent",
            type=int,
            help="instead of --from/--to: the N periods up to and including the current one",
        )
        parser.add_argument("--grain", choices=Grain.values, default=Grain.MONTH)
        parser.add_argument("--overwrite-frozen", action="store_true")

    def handle(self, *args, first, last, recent, grain, overwrite_frozen, verbosity, **options):
        try:
            if recent is not None:
                if first or last or recent < 1:
                    raise CommandError("Give either --last N (N ≥ 1) or --from and --to.")
                last_period = Period.current(grain)
                first_period = last_period.shift(1 - recent)
            elif first and last:
                first_period, last_period = Period.parse(first, grain), Period.parse(last, grain)
            else:
                raise CommandError("Give --from and --to, or --last N.")
            runs = snapshot_backfill(
                first=first_period, last=last_period, overwrite_frozen=overwrite_frozen
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        for run in runs:
            if verbosity == 0 and not run.differences:
                continue
            if not run.kept_frozen:
                state = "frozen" if run.frozen else "open, to date"
                self.stdout.write(f"{run.period}: {run.written} rows written ({state}).")
            elif not run.differences:
                self.stdout.write(f"{run.period}: frozen, recomputation matches.")
            else:
                self.stdout.write(
                    self.style.WARNING(
                        f"{run.period}: frozen, kept; recomputation differs in "
                        f"{len(run.differences)} places:"
                    )
                )
                for difference in run.differences:
                    self.stdout.write(f"  {difference}")
