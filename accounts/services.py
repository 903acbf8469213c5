from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Role, Team, TeamMembership, User


@transaction.atomic
def user_create(
    *, email: str, full_name: str, role: str = Role.BRM, password: str | None = None
) -> User:
    return User.objects.create_user(email=email, full_name=full_name, role=role, password=password)


@transaction.atomic
def team_create(*, name: str) -> Team:
    team = Team(name=name)
    team.full_clean()
    team.save()
    return team


@transaction.atomic
def team_membership_start(
    *, team: Team, user: User, started_on: date, capacity: str = TeamMembership.Capacity.MEMBER
) -> TeamMembership:
    """Add ``user`` to ``team`` from ``started_on``. A BRM is a member of one team at a time, so
    joining a new team ends the open membership elsewhere on the same day."""
    if capacity == TeamMembership.Capacity.MEMBER:
        for open_membership in TeamMembership.objects.filter(
            user=user, capacity=capacity, ended_on__isnull=True
        ).exclude(team=team):
            team_membership_end(membership=open_membership, ended_on=started_on)
    existing = TeamMembership.objects.filter(
        team=team, user=user, capacity=capacity, ended_on__isnull=True
    ).first()
    if existing:
        return existing
    membership = TeamMembership(team=team, user=user, capacity=capacity, started_on=started_on)
    membership.full_clean()
    membership.save()
    return membership


@transaction.atomic
def team_membership_end(*, membership: TeamMembership, ended_on: date) -> TeamMembership:
    if ended_on <= membership.started_on:
        raise ValidationError("A membership must end after the day it started.")
    membership.ended_on = ended_on
    membership.full_clean()
    membership.save(update_fields=["ended_on"])
    return membership
