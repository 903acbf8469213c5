from django.core.management.base import BaseCommand

from crm.demo import DEMO_LOGINS, DEMO_PASSWORD, demo_seed


class Command(BaseCommand):
    help = "Load the demo organisation (safe to run again: nothing is duplicated)."

    def handle(self, *args, **options):
        counts = demo_seed()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {counts}"))
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}):")
        for login in DEMO_LOGINS:
            self.stdout.write(f"  {login.role:<8} {login.email}")
