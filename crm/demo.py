"""Demo data: the three demo logins and a small believable organisation.

Idempotent: running it again finds what it made before and adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, Team, TeamMembership, User
from accounts.services import team_membership_start, user_create
from crm.models import Client, RelationshipType
from crm.services import client_create

DEMO_PASSWORD = "demo-pass-2026"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    full_name: str
    role: str


DEMO_LOGINS = [
    DemoLogin("brm@example.com", "Bea Morgan", Role.BRM),
    DemoLogin("manager@example.com", "Max Ortega", Role.MANAGER),
    DemoLogin("admin@example.com", "Ada Ruiz", Role.ADMIN),
]


def _demo_user(login: DemoLogin) -> User:
    user = User.objects.filter(email=login.email).first()
    return user or user_create(
        email=login.email, full_name=login.full_name, role=login.role, password=DEMO_PASSWORD
    )


@transaction.atomic
def demo_seed() -> dict[str, int]:
    """Create the demo organisation if it is not there yet; returns what exists afterwards."""
    today = timezone.localdate()
    brm, manager, _admin = (_demo_user(login) for login in DEMO_LOGINS)
    team, _ = Team.objects.get_or_create(name="Enterprise North")
    start = today - timedelta(days=730)
    team_membership_start(team=team, user=brm, started_on=start)
    team_membership_start(
        team=team, user=manager, started_on=start, capacity=TeamMembership.Capacity.MANAGER
    )
    for name, kind in [
        ("Acme Logistics", RelationshipType.STRATEGIC),
        ("Borealis Health", RelationshipType.FUNCTIONAL),
        ("Cobalt Partners", RelationshipType.PARTNER),
        ("Dunmore & Sons", RelationshipType.PERSONAL),
    ]:
        if not Client.objects.filter(name=name).exists():
            client_create(
                name=name, relationship_type=kind, owner=brm, relationship_started_on=start
            )
    return {"users": User.objects.count(), "clients": Client.objects.count()}
