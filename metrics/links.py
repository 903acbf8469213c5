"""Addresses of the scorecard pages: a subject's scorecard, its drill-downs, team matrices and
period navigation, and the scorecards one click away from another."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django.utils.http import urlencode

from accounts.models import TeamMembership, User
from crm.access import managed_teams_visible_to, may_compare_teams, may_see_organisation
from metrics.figures import Link
from metrics.periods import Period
from metrics.subjects import ORGANISATION, Subject, SubjectKey

# Stands for the KPI key in a drill-down address reversed once per matrix column.
KPI_PLACEHOLDER = "kpi-placeholder"


def default_subject_url(user: User) -> str | None:
    """Where "Scorecard" leads: a BRM's own, a manager's first team's, an admin's
    organisation scorecard. ``None`` for a manager of no team."""
    if may_see_organisation(user):
        return subject_url("scorecard", ORGANISATION)
    if not may_compare_teams(user):
        return subject_url("scorecard", SubjectKey("brm", user.pk))
    team = managed_teams_visible_to(user).first()
    return subject_url("scorecard", SubjectKey("team", team.pk)) if team else None


def subject_url(name: str, key: SubjectKey, *args, period: Period | None = None, **query) -> str:
    url = reverse(name, args=[key.type, key.id, *args])
    return url + period_query(period, **query)


def period_query(period: Period | None, **extra) -> str:
    params = {"grain": period.grain, "period": period.label()} if period else {}
    params |= {name: value for name, value in extra.items() if value not in (None, "")}
    return "?" + urlencode(params) if params else ""


def drill_url(key: SubjectKey, kpi: str, period: Period | None, **query) -> str:
    return subject_url("kpi_records", key, kpi, period=period, **query)


def related_links(user: User, subject: Subject, period: Period) -> list[Link]:
    """The scorecards one click away from ``subject``: a BRM's team totals, a team's BRMs and
    matrix, the organisation's teams. At most one query."""
    links: list[Link] = []
    managing = may_compare_teams(user)
    if subject.type == "brm":
        membership = (
            TeamMembership.objects.current()
            .filter(user_id=subject.id, capacity=TeamMembership.Capacity.MEMBER)
            .select_related("team")
            .first()
        )
        if membership is not None:
            team = membership.team
            key = SubjectKey("team", team.pk)
            links.append(Link(f"{team.name} totals", subject_url("scorecard", key, period=period)))
            if managing:
                links.append(
                    Link(f"{team.name}: BRMs side by side", team_matrix_url(team.pk, period))
                )
    elif subject.type == "team" and subject.may_drill:
        links.append(Link("BRMs side by side", team_matrix_url(subject.id, period)))
        members = User.objects.filter(
            id__in=TeamMembership.objects.current()
            .filter(team_id=subject.id, capacity=TeamMembership.Capacity.MEMBER)
            .values("user_id")
        )
        links += [
            Link(str(member), subject_url("scorecard", SubjectKey("brm", member.pk), period=period))
            for member in members
        ]
    elif subject.type == "team":
        mine = SubjectKey("brm", user.pk)
        links.append(Link("My scorecard", subject_url("scorecard", mine, period=period)))
    else:
        links.append(Link("Teams side by side", reverse("team_overview") + period_query(period)))
    return links


def team_matrix_url(team_id: int, period: Period | None = None) -> str:
    return reverse("team_matrix", args=[team_id]) + period_query(period)


def period_links(period: Period, now: datetime | None = None) -> dict[str, Period | None]:
    """The previous and next periods (no next beyond the open one) and the open period."""
    current = Period.current(period.grain, now)
    nxt = period.shift(1)
    return {
        "previous": period.previous,
        "next": nxt if nxt <= current else None,
        "current": current if current != period else None,
    }
