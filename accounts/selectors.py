"""Reads about people and teams. Who may see whom is decided in ``crm.access``."""

from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Team, TeamMembership, User


def team_member_ids(team_ids, day: date | None = None) -> QuerySet:
    """Ids of the BRMs who were members of the given teams on ``day``."""
    day = day or timezone.localdate()
    return (
        TeamMembership.objects.on(day)
        .filter(team_id__in=team_ids, capacity=TeamMembership.Capacity.MEMBER)
        .values("user_id")
    )


def current_team_of(user: User) -> Team | None:
    membership = (
        TeamMembership.objects.current()
        .filter(user=user, capacity=TeamMembership.Capacity.MEMBER)
        .select_related("team")
        .first()
    )
    return membership.team if membership else None
