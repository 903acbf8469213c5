from datetime import date

from django.core.management.base import BaseCommand, CommandError

from demo.scale import DEMO_LOGINS, DEMO_PASSWORD, DemoScale
from demo.seed import demo_invite_to_surveys, demo_seed


class Command(BaseCommand):
    help = (
        "Load the demo organisation: teams, BRMs, clients and months of history behind every "
        "KPI. Safe to run again: if the demo logins exist, nothing is added. The scale options "
        "build the large data sets benchmarks use."
    )

    def add_arguments(self, parser):
        defaults = DemoScale()
        parser.add_argument("--brms", type=int, default=defaults.brms)
        parser.add_argument("--teams", type=int, default=defaults.teams, help="0: automatic")
        parser.add_argument("--clients", type=int, default=defaults.clients)
        parser.add_argument("--months", type=int, default=defaults.months)
        parser.add_argument(
            "--interactions-per-client-month",
            type=float,
            default=defaults.interactions_per_client_month,
        )
        parser.add_argument(
            "--surveys-per-client-month", type=float, default=defaults.surveys_per_client_month
        )
        parser.add_argument("--seed", type=int, default=defaults.seed)
        parser.add_argument(
            "--today", type=date.fromisoformat, help="anchor day (YYYY-MM-DD); default today"
        )
        parser.add_argument(
            "--method",
            choices=["auto", "copy", "bulk"],
            default="auto",
            help="copy: PostgreSQL COPY; bulk: bulk_create; auto: COPY on PostgreSQL",
        )

    def handle(self, *args, **options):
        try:
            scale = DemoScale(
                brms=options["brms"],
                teams=options["teams"],
                clients=options["clients"],
                months=options["months"],
                interactions_per_client_month=options["interactions_per_client_month"],
                surveys_per_client_month=options["surveys_per_client_month"],
                seed=options["seed"],
            )
            summary = demo_seed(
                scale=scale,
                today=options["today"],
                method=options["method"],
                progress=self.stdout.write,
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        if summary.created:
            invited = demo_invite_to_surveys()
            self.stdout.write(
                f"{len(invited)} survey invitations queued for the dev mailbox (/dev/mailbox/)."
            )
            total = sum(load.rows for load in summary.loads)
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo organisation created with {summary.method}: {total:,} rows in "
                    f"{summary.seconds:.1f} s."
                )
            )
        else:
            self.stdout.write(self.style.WARNING("A demo organisation exists; nothing was added."))
        for name, count in summary.counts.items():
            self.stdout.write(f"  {name:<28} {count:>10,}")
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}):")
        for login in DEMO_LOGINS:
            self.stdout.write(f"  {login.role:<8} {login.email}")
