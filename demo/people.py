"""Demo people: BRMs, managers and admins, teams and dated memberships (one BRM moves team,
one leaves, one joins half-way)."""

from __future__ import annotations

from datetime import date, datetime

from django.contrib.auth.hashers import make_password

from accounts.models import Role, Team, TeamMembership, User
from demo.plans import Brm, add_months
from demo.scale import DEMO_LOGINS, DEMO_PASSWORD
from demo.vocabulary import FIRST_NAMES, FIXED_TEAM_NAMES, LAST_NAMES, TEAM_REGIONS, TEAM_SEGMENTS


class PeopleMixin:
    # People -----------------------------------------------------------------------------------

    def build_people(self) -> None:
        scale, rng = self.scale, self.rng("people")
        taken = set(User.objects.values_list("email", flat=True))
        team_names_taken = set(Team.objects.values_list("name", flat=True))
        password = make_password(DEMO_PASSWORD)  # hashed once: every demo user shares it
        joined_at = self.at(self.founded, 9)
        users: list[tuple] = []
        self.names: dict[int, str] = {}

        def person(email: str | None, name: str | None, role: str, joined: datetime) -> int:
            if name is None:
                while True:
                    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
                    email = name.lower().replace(" ", ".") + "@example.com"
                    if email not in taken:
                        break
            taken.add(email)
            user_id = self.ids.take(User)
            self.names[user_id] = name
            users.append((user_id, email, name, role, True, joined, password))
            return user_id

        admin, manager = DEMO_LOGINS[2], DEMO_LOGINS[1]
        person(admin.email, admin.full_name, admin.role, joined_at)
        teams = []
        for index in range(scale.team_count):
            if index < len(FIXED_TEAM_NAMES):
                name = FIXED_TEAM_NAMES[index]
            else:
                segment = TEAM_SEGMENTS[index % len(TEAM_SEGMENTS)]
                region = TEAM_REGIONS[(index // len(TEAM_SEGMENTS)) % len(TEAM_REGIONS)]
                name = f"{segment} {region}"
            base, number = name, 2
            while name in team_names_taken:
                name, number = f"{base} {number}", number + 1
            team_names_taken.add(name)
            teams.append((self.ids.take(Team), name, joined_at))
        self.team_ids = [team[0] for team in teams]
        self.managers = [
            person(manager.email, manager.full_name, manager.role, joined_at)
            if index == 0
            else person(None, None, Role.MANAGER, joined_at)
            for index in range(len(teams))
        ]
        demo = DEMO_LOGINS[0]
        self.brms: list[Brm] = []
        for index in range(scale.brms):
            user_id = (
                person(demo.email, demo.full_name, demo.role, joined_at)
                if index == 0
                else person(None, None, Role.BRM, joined_at)
            )
            team = index % len(teams)
            self.brms.append(Brm(user_id, index, [(self.founded, None, team)], self.founded))
        self.demo_id = self.brms[0].id
        self.plan_careers(users)
        memberships = [
            (team_id, self.managers[i], TeamMembership.Capacity.MANAGER, self.founded, None)
            for i, team_id in enumerate(self.team_ids)
        ]
        for brm in self.brms:
            for first, after, team in brm.teams:
                memberships.append(
                    (self.team_ids[team], brm.id, TeamMembership.Capacity.MEMBER, first, after)
                )
        self.loader.load(
            User,
            ["id", "email", "full_name", "role", "is_active", "date_joined", "password"],
            users,
        )
        self.loader.load(Team, ["id", "name", "created_at"], teams)
        self.loader.load(
            TeamMembership,
            ["team_id", "user_id", "capacity", "started_on", "ended_on"],
            memberships,
        )
        self.finish(User, Team, TeamMembership)

    def plan_careers(self, users: list[tuple]) -> None:
        """One BRM moves team half-way, one leaves two thirds in, and one joins half-way."""
        teams = len(self.team_ids)
        others = self.brms[1:]
        leave_day = add_months(self.window_start, (2 * self.scale.months) // 3)
        self.mover = self.leaver = self.newcomer = None
        if teams >= 2:
            self.mover = next((b for b in others if b.teams[0][2] == 0), None)
        if self.mover is not None:
            self.mover.teams = [(self.founded, self.midpoint, 0), (self.midpoint, None, 1)]
        rest = [b for b in others if b is not self.mover]
        if len(rest) >= 2 and leave_day > self.window_start:
            self.leaver = rest[0]
            self.leaver.left = leave_day
            self.leaver.teams = [(self.founded, leave_day, self.leaver.teams[0][2])]
            self.newcomer = rest[-1]
            self.newcomer.joined = self.midpoint
            self.newcomer.teams = [(self.midpoint, None, self.newcomer.teams[0][2])]
        for position, row in enumerate(users):
            if self.leaver and row[0] == self.leaver.id:
                users[position] = (*row[:4], False, *row[5:])
            if self.newcomer and row[0] == self.newcomer.id:
                users[position] = (*row[:5], self.at(self.midpoint, 9), row[6])

    def brms_working(self, day: date, team: int | None = None) -> list[Brm]:
        return [
            b for b in self.brms if b.works_on(day) and (team is None or b.team_on(day) == team)
        ]
