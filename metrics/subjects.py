"""Who a KPI is computed for: each BRM, each team, the whole organisation.

A team is its members (capacity *member*) on the period's last day (for the open period, the
membership in force on that day as recorded now). Their records are pooled and the team's KPI
is recomputed from them: a BRM who moved team mid-period counts wholly for the team they ended
the period in. The organisation is every record, including those of people in no team.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Value
from django.http import Http404

from accounts.models import Role, Team, TeamMembership, User
from crm.access import (
    managed_team_for_user,
    may_compare_teams,
    may_see_organisation,
    person_for_user,
    team_for_user,
)
from metrics.periods import Period


@dataclass(frozen=True, order=True)
class SubjectKey:
    type: str
    id: int

    def __str__(self) -> str:
        return f"{self.type}:{self.id}"


ORGANISATION = SubjectKey("org", 0)


class Subjects:
    def __init__(self, *, brm_ids, team_ids, memberships: list[tuple[int, int]]):
        self.keys: set[SubjectKey] = {SubjectKey("brm", pk) for pk in brm_ids}
        self.keys |= {SubjectKey("team", pk) for pk in team_ids}
        self.keys.add(ORGANISATION)
        self.teams_of: dict[int, list[int]] = defaultdict(list)
        # A member is in a team once, even with two of its memberships in force together (a
        # back-dated one overlapping another): records count once for the team.
        for owner_id, team_id in sorted(set(memberships)):
            self.teams_of[owner_id].append(team_id)
            self.keys.add(SubjectKey("team", team_id))

    @classmethod
    def on(cls, day: date) -> Subjects:
        """Active BRMs, every team, and team membership in force on ``day``."""
        return cls.on_days([day])[day]

    @classmethod
    def on_days(cls, days: Iterable[date]) -> dict[date, Subjects]:
        """``on`` for each of ``days``, in two queries whatever their number."""
        days = sorted(set(days))
        spans = list(
            TeamMembership.objects.filter(
                capacity=TeamMembership.Capacity.MEMBER, started_on__lte=days[-1]
            ).values_list("user_id", "team_id", "started_on", "ended_on")
        )
        # No ORDER BY inside the UNION: SQLite refuses one in a compound statement's parts.
        brms = (
            User.objects.filter(role=Role.BRM, is_active=True)
            .annotate(kind=Value("brm"))
            .order_by()
        )
        teams = Team.objects.annotate(kind=Value("team")).order_by()
        ids: dict[str, list[int]] = {"brm": [], "team": []}
        for kind, pk in brms.values_list("kind", "pk").union(
            teams.values_list("kind", "pk"), all=True
        ):
            ids[kind].append(pk)
        for kind_ids in ids.values():
            kind_ids.sort()
        return {
            day: cls(
                brm_ids=ids["brm"],
                team_ids=ids["team"],
                # As ``TeamMembership.objects.on(day)``: started by then, not yet ended.
                memberships=[
                    (user, team)
                    for user, team, started_on, ended_on in spans
                    if started_on <= day and (ended_on is None or ended_on > day)
                ],
            )
            for day in days
        }

    def membership_pairs(self) -> list[tuple[int, int]]:
        return [(owner, team) for owner, teams in self.teams_of.items() for team in teams]

    def team_of(self, owner_id: int) -> int | None:
        teams = self.teams_of.get(owner_id)
        return teams[0] if teams else None

    def member_ids(self, key: SubjectKey) -> list[int] | None:
        """The owners whose records make up ``key``; ``None`` for the organisation (all)."""
        if key.type == "brm":
            return [key.id]
        if key.type == "team":
            return sorted(owner for owner, teams in self.teams_of.items() if key.id in teams)
        return None

    def keys_for_owner(self, owner_id: int) -> list[SubjectKey]:
        """Every subject a record credited to ``owner_id`` counts for. Anyone credited with a
        record is a subject, even if no longer an active BRM."""
        brm = SubjectKey("brm", owner_id)
        self.keys.add(brm)
        teams = [SubjectKey("team", team) for team in self.teams_of.get(owner_id, ())]
        return [brm, *teams, ORGANISATION]

    def see(self, key: SubjectKey) -> None:
        self.keys.add(key)

    def __iter__(self):
        return iter(sorted(self.keys))


# --- Which scorecards a viewer sees -------------------------------------------------------


# --- Who sees what ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """A scorecard's subject as the viewer may see it. ``may_drill``: the viewer may read the
    records behind its numbers (every book the subject is made of)."""

    key: SubjectKey
    name: str
    may_drill: bool

    @property
    def type(self) -> str:
        return self.key.type

    @property
    def id(self) -> int:
        return self.key.id

    @property
    def kind_label(self) -> str:
        return {"brm": "BRM", "team": "Team", "org": "Organisation"}[self.key.type]


def subject_for_user(
    user: User, subject_type: str, subject_id: int, period: Period | None = None
) -> Subject:
    """The subject if ``user`` may see its scorecard (the rules of ``crm.access`` for people,
    teams and the organisation), for ``period`` if given: a manager sees the BRMs who were in
    their team then. Http404 otherwise (guessing ids reveals nothing). One query."""
    if subject_type == "brm":
        on = period.last_day if period is not None else None
        person = person_for_user(user, subject_id, on=on)
        return Subject(SubjectKey("brm", person.pk), str(person), may_drill=True)
    if subject_type == "team":
        team = team_for_user(user, subject_id)
        # The records behind a team's totals are every member's book: only for those who
        # may read them all.
        return Subject(SubjectKey("team", team.pk), team.name, may_drill=may_compare_teams(user))
    if subject_type == "org" and subject_id == ORGANISATION.id and may_see_organisation(user):
        return Subject(ORGANISATION, "Organisation", may_drill=True)
    raise Http404("No such scorecard.")


def team_for_manager(user: User, team_id: int) -> Subject:
    """A team whose BRMs ``user`` may compare side by side (its manager, or an admin)."""
    team = managed_team_for_user(user, team_id)
    return Subject(SubjectKey("team", team.pk), team.name, may_drill=True)
