from django.core.management.base import BaseCommand, CommandError

from metrics.periods import Grain, Period
from metrics.services import snapshot_backfill


class Command(BaseCommand):
    help = (
        "Recompute the KPI snapshots of a range of periods. Closed periods are frozen; a period "
        "already frozen is only compared with its recomputation, unless --overwrite-frozen."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", required=True, help="YYYY-MM, YYYY-Qn, YYYY")
        parser.add_argument("--to", dest="last", required=True, help="YYYY-MM, YYYY-Qn, YYYY")
        parser.add_argument("--grain", choices=Grain.values, default=Grain.MONTH)
        parser.add_argument("--overwrite-frozen", action="store_true")

    def handle(self, *args, first, last, grain, overwrite_frozen, **options):
        try:
            runs = snapshot_backfill(
                first=Period.parse(first, grain),
                last=Period.parse(last, grain),
                overwrite_frozen=overwrite_frozen,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        for run in runs:
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
