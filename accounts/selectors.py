from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Role, Team, TeamMembership, User


def teams_managed_by(user: User, day: date | None = None) -> QuerySet[Team]:
    day = day or timezone.localdate()
    if user.role == Role.ADMIN:
        return Team.objects.all()
    return Team.objects.filter(
        id__in=TeamMembership.objects.on(day)
        .filter(user=user, capacity=TeamMembership.Capacity.MANAGER)
        .values("team_id")
    )


def team_member_ids(team_ids, day: date | None = None) -> QuerySet:
    """Ids of the BRMs who were members of the given teams on ``day``."""
    day = day or timezone.localdate()
    return (
        TeamMembership.objects.on(day)
        .filter(team_id__in=team_ids, capacity=TeamMembership.Capacity.MEMBER)
        .values("user_id")
    )


def users_visible_to(user: User, day: date | None = None) -> QuerySet[User]:
    """The people whose books ``user`` may read: everyone for an admin, the members of their
    teams for a manager, themselves for a BRM."""
    if user.role == Role.ADMIN:
        return User.objects.all()
    if user.role == Role.MANAGER:
        team_ids = teams_managed_by(user, day).values("id")
        return User.objects.filter(id__in=team_member_ids(team_ids, day)) | User.objects.filter(
            pk=user.pk
        )
    return User.objects.filter(pk=user.pk)


def current_team_of(user: User) -> Team | None:
    membership = (
        TeamMembership.objects.current()
        .filter(user=user, capacity=TeamMembership.Capacity.MEMBER)
        .select_related("team")
        .first()
    )
    return membership.team if membership else None
