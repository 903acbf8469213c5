from django.core.management.base import BaseCommand, CommandError

from metrics.periods import Grain, Period
from metrics.services import snapshot_take


class Command(BaseCommand):
    help = "Compute and store every KPI of one period for every BRM, team and the organisation."

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="YYYY-MM, YYYY-Qn or YYYY")
        parser.add_argument("--grain", choices=Grain.values, default=Grain.MONTH)
        parser.add_argument(
            "--freeze", action="store_true", help="mark the rows as history (closed periods)"
        )

    def handle(self, *args, period, grain, freeze, **options):
        try:
            parsed = Period.parse(period, grain)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if freeze and not parsed.is_closed():
            raise CommandError(f"{parsed} is still open; only a closed period can be frozen.")
        run = snapshot_take(period=parsed, freeze=freeze)
        if run.kept_frozen:
            self.stdout.write(
                f"{parsed} is frozen; nothing written ({len(run.differences)} differences). "
                "Use backfill_kpis --overwrite-frozen to rewrite it."
            )
            return
        self.stdout.write(self.style.SUCCESS(f"{parsed} ({grain}): {run.written} snapshot rows."))
