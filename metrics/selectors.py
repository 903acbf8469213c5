"""Reads for the scorecard pages: stored snapshots, trends, the team matrix, drill-downs."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from accounts.models import TeamMembership
from metrics import registry
from metrics.models import Snapshot
from metrics.periods import Period, Window
from metrics.subjects import SubjectKey, Subjects


def snapshots_for(subject: SubjectKey, period: Period) -> QuerySet[Snapshot]:
    """Every KPI (and breakdown row) of one subject for one period, in one query."""
    return Snapshot.objects.filter(
        subject_type=subject.type,
        subject_id=subject.id,
        grain=period.grain,
        period_start=period.start,
    ).order_by("kpi", "breakdown")


def trend(subject: SubjectKey, period: Period, *, periods: int = 12) -> QuerySet[Snapshot]:
    """The last ``periods`` periods up to ``period`` of every overall KPI, in one query,
    ordered by KPI then period (breakdown rows are left out)."""
    starts = [period.shift(-offset).start for offset in range(periods)]
    return Snapshot.objects.filter(
        subject_type=subject.type,
        subject_id=subject.id,
        grain=period.grain,
        period_start__in=starts,
        breakdown="",
    ).order_by("kpi", "period_start")


def team_matrix(team_id: int, period: Period) -> QuerySet[Snapshot]:
    """The team's own KPIs and those of each member (membership on the period's last day), side
    by side, in one query."""
    members = (
        TeamMembership.objects.on(period.last_day)
        .filter(team_id=team_id, capacity=TeamMembership.Capacity.MEMBER)
        .values("user_id")
    )
    return Snapshot.objects.filter(
        Q(subject_type="team", subject_id=team_id) | Q(subject_type="brm", subject_id__in=members),
        grain=period.grain,
        period_start=period.start,
        breakdown="",
    ).order_by("kpi", "subject_type", "subject_id")


def drilldown(
    kpi_key: str, subject: SubjectKey, period: Period, *, now: datetime | None = None
) -> QuerySet:
    """The records behind one KPI of one subject and period: the denominator's records,
    annotated ``in_numerator`` where the KPI counts some of them above the line."""
    kpi = registry.get(kpi_key)
    window = Window.of(period, now)
    owner_ids = Subjects.on(window.last_day).member_ids(subject)
    return kpi.records.queryset(window, owner_ids)


def snapshots_visible_to(user) -> QuerySet[Snapshot]:
    """The snapshots of every subject whose scorecard ``user`` may open: the rules
    ``metrics.subjects.subject_for_user`` applies (``crm.access`` for people, teams and the
    organisation), as one queryset for the API."""
    from crm.access import may_see_organisation, teams_visible_to, users_visible_to
    from metrics.subjects import ORGANISATION

    visible = Q(subject_type="brm", subject_id__in=users_visible_to(user).values("id")) | Q(
        subject_type="team", subject_id__in=teams_visible_to(user).values("id")
    )
    if may_see_organisation(user):
        visible |= Q(subject_type=ORGANISATION.type, subject_id=ORGANISATION.id)
    return Snapshot.objects.filter(visible)
