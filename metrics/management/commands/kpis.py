import json

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Team, User
from metrics.models import ORGANISATION_ID
from metrics.periods import Grain, Period
from metrics.services import snapshot_rows
from metrics.subjects import SubjectKey


class Command(BaseCommand):
    help = "Print one subject's KPIs for a period, computed live from the records (not stored)."

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="YYYY-MM, YYYY-Qn or YYYY")
        parser.add_argument("--grain", choices=Grain.values, default=Grain.MONTH)
        who = parser.add_mutually_exclusive_group()
        who.add_argument("--brm", metavar="EMAIL")
        who.add_argument("--team", metavar="NAME")
        parser.add_argument("--json", action="store_true", help="JSON (the only format)")

    def handle(self, *args, period, grain, brm, team, **options):
        try:
            parsed = Period.parse(period, grain)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        subject = SubjectKey("org", ORGANISATION_ID)
        if brm:
            user = User.objects.filter(email__iexact=brm).first()
            if user is None:
                raise CommandError(f"No user with the e-mail {brm}.")
            subject = SubjectKey("brm", user.pk)
        elif team:
            found = Team.objects.filter(name__iexact=team).first()
            if found is None:
                raise CommandError(f"No team named {team}.")
            subject = SubjectKey("team", found.pk)
        rows = [
            row
            for row in snapshot_rows(parsed)
            if (row.subject_type, row.subject_id) == (subject.type, subject.id)
        ]
        payload = {
            "period": str(parsed),
            "grain": grain,
            "subject": str(subject),
            "kpis": [
                {
                    "key": row.kpi,
                    "breakdown": row.breakdown or None,
                    "value": row.value,
                    "numerator": row.numerator,
                    "denominator": row.denominator,
                    "sample": row.sample,
                    "low_sample": row.low_sample,
                    "margin_of_error": row.margin_of_error,
                    "status": row.status,
                    "target": row.target,
                }
                for row in rows
            ],
        }
        self.stdout.write(json.dumps(payload, indent=2))
