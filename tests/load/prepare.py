"""Set up a load-test database and write the plan the locust users follow.

Run by ``tests/load/run.py`` with ``DATABASE_URL`` pointing at the database under test:

    python tests/load/prepare.py --scenario mixed --plan PLAN.json [--invitations 1500]
    python tests/load/prepare.py --scenario team --plan PLAN.json

It refuses (exit status 2) when the database does not hold the dataset the scenario is meant
for, makes sure the open month and the twelve before it have KPI snapshots (as beat and a
backfill would have left them), and for the mixed scenario creates survey invitations whose raw
tokens it knows: invitations store only a token's hash, so no existing one can be answered.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The benchmark organisation (`make bench`): 200 BRMs and 20 000 clients over 24 months.
BENCH_BRMS = 200
BENCH_CLIENTS = 20_000
BUILD_BENCH = (
    "Build it with\n"
    "  DATABASE_URL=postgresql://postgres@127.0.0.1:5432/metrics_bench make bench\n"
    "or, on a migrated database,\n"
    "  DATABASE_URL=... manage.py seed_demo --brms 200 --clients 20000 --months 24"
)
# The team the team scenario opens must be about this size.
TEAM_SIZE = 20
TEAM_SIZE_TOLERANCE = 3
# The scorecard's trend reads this many months back from the open one.
SNAPSHOT_MONTHS = 12
# Client pages a BRM's virtual user moves between.
CLIENTS_PER_BRM = 40


class DatasetMissing(Exception):
    """The database does not hold the dataset the scenario measures."""


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    import django

    django.setup()


def _ensure_snapshots(say) -> None:
    """Snapshot every month from twelve ago to the open one that has none. Closed months are
    frozen, as the schedule leaves them; months already stored are left alone."""
    from metrics.models import Snapshot
    from metrics.periods import Grain, Period
    from metrics.services import snapshot_take

    current = Period.current(Grain.MONTH)
    for back in range(SNAPSHOT_MONTHS, -1, -1):
        period = current.shift(-back)
        if Snapshot.objects.filter(grain=Grain.MONTH, period_start=period.start).exists():
            continue
        run = snapshot_take(period=period, freeze=period.is_closed())
        say(f"snapshots: {period} had none; wrote {run.written} rows")


def _current_members(team_id: int) -> list[int]:
    from accounts.models import TeamMembership

    return list(
        TeamMembership.objects.current()
        .filter(team_id=team_id, capacity=TeamMembership.Capacity.MEMBER, user__is_active=True)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def _managed_teams() -> list[dict]:
    from accounts.models import TeamMembership

    managers = (
        TeamMembership.objects.current()
        .filter(capacity=TeamMembership.Capacity.MANAGER, user__is_active=True)
        .select_related("user")
        .order_by("team_id")
    )
    teams = []
    for membership in managers:
        members = _current_members(membership.team_id)
        if members:
            teams.append(
                {"manager": membership.user.email, "team": membership.team_id, "brms": members}
            )
    return teams


def _brms() -> list[dict]:
    """Active BRMs with a book, each with some of their active clients' ids."""
    from accounts.models import Role, User
    from crm.models import Client

    brms = []
    for user in User.objects.filter(role=Role.BRM, is_active=True).order_by("pk"):
        clients = list(
            Client.objects.active()
            .filter(owner=user)
            .order_by("pk")
            .values_list("pk", flat=True)[:CLIENTS_PER_BRM]
        )
        if clients:
            brms.append({"email": user.email, "id": user.pk, "clients": clients})
    return brms


def _invitations(count: int) -> list[dict]:
    """Create ``count`` delivered, unanswered invitations to random contacts of active clients
    and return their raw tokens with each survey's scale."""
    from django.utils import timezone

    from crm.models import Contact
    from surveys.models import SCALES, Invitation, SurveyKind, SurveyQuestion, hash_token

    questions = {question.kind: question for question in SurveyQuestion.objects.all()}
    missing = set(SurveyKind.values) - set(questions)
    if missing:
        raise DatasetMissing(f"survey wording for {sorted(missing)} is missing: run migrate.")
    contacts = list(
        Contact.objects.filter(client__status="active", opted_out_of_surveys=False)
        .select_related("client")
        .order_by("?")[:count]
    )
    now = timezone.now()
    kinds = SurveyKind.values
    rows, plan = [], []
    for index, contact in enumerate(contacts):
        kind = kinds[index % len(kinds)]
        question = questions[kind]
        token = secrets.token_urlsafe(24)
        rows.append(
            Invitation(
                contact=contact,
                client=contact.client,
                owner_id=contact.client.owner_id,
                kind=kind,
                trigger=Invitation.Trigger.MANUAL,
                question=question.question,
                low_label=question.low_label,
                high_label=question.high_label,
                token_hash=hash_token(token),
                created_at=now,
                expires_at=now + timedelta(days=30),
                status=Invitation.Status.DELIVERED,
                delivered_at=now,
            )
        )
        low, high = SCALES[kind]
        plan.append({"token": token, "low": low, "high": high})
    Invitation.objects.bulk_create(rows)
    return plan


def prepare_mixed(*, invitations: int, say) -> dict:
    from accounts.models import Role, User
    from crm.models import Client

    brms = User.objects.filter(role=Role.BRM).count()
    clients = Client.objects.count()
    if brms < BENCH_BRMS or clients < BENCH_CLIENTS:
        raise DatasetMissing(
            f"this database has {brms} BRMs and {clients} clients, not the benchmark dataset "
            f"({BENCH_BRMS} BRMs, {BENCH_CLIENTS} clients). {BUILD_BENCH}"
        )
    _ensure_snapshots(say)
    plan = {"brms": _brms(), "teams": _managed_teams(), "surveys": _invitations(invitations)}
    say(
        f"plan: {len(plan['brms'])} BRMs, {len(plan['teams'])} teams, "
        f"{len(plan['surveys'])} new survey invitations"
    )
    return plan


def prepare_team(*, say) -> dict:
    teams = [
        team
        for team in _managed_teams()
        if abs(len(team["brms"]) - TEAM_SIZE) <= TEAM_SIZE_TOLERANCE
    ]
    if not teams:
        raise DatasetMissing(
            f"no team here has {TEAM_SIZE} ± {TEAM_SIZE_TOLERANCE} BRMs. Build one with\n"
            f"  manage.py seed_demo --brms {TEAM_SIZE} --teams 1 --clients 2000 --months 24"
        )
    _ensure_snapshots(say)
    team = max(teams, key=lambda team: len(team["brms"]))
    say(f"plan: team {team['team']} with {len(team['brms'])} BRMs, manager {team['manager']}")
    return {"teams": [team]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=["mixed", "team"], required=True)
    parser.add_argument("--plan", type=Path, required=True, help="where to write the plan")
    parser.add_argument("--invitations", type=int, default=1500)
    args = parser.parse_args()
    _django()

    def say(line: str) -> None:
        print(f"[prepare {args.scenario}] {line}", flush=True)

    try:
        if args.scenario == "mixed":
            plan = prepare_mixed(invitations=args.invitations, say=say)
        else:
            plan = prepare_team(say=say)
    except DatasetMissing as problem:
        print(f"Refusing to run the load test: {problem}", file=sys.stderr)
        return 2
    from demo.scale import DEMO_PASSWORD

    args.plan.write_text(json.dumps({**plan, "password": DEMO_PASSWORD}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
