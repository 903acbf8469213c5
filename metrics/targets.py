"""Targets in force and the status they give a value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from metrics.figures import format_target
from metrics.models import Status, Target
from metrics.registry import HIGHER, KPI, KPIS


class TargetBook:
    """Every target in force on ``day`` (one query): the latest row per KPI and team, a team's
    row overriding the global one, the registry's default when no row exists."""

    def __init__(self, day: date):
        self.day = day
        self.rows: dict[tuple[str, int | None], Target] = {}
        for target in Target.objects.filter(effective_from__lte=day).order_by(
            "effective_from", "id"
        ):
            self.rows[(target.kpi, target.team_id)] = target
        # (KPI key, team id) -> (target, tolerance): a period's snapshot asks for each pair
        # once per subject and breakdown (300k times in a 24-month backfill).
        self._in_force: dict[tuple[str, int | None], tuple[float | None, float | None]] = {}

    def in_force(self, kpi: KPI, team_id: int | None) -> tuple[float | None, float | None]:
        """(target, tolerance) for a subject of ``team_id`` (``None``: global)."""
        key = (kpi.key, team_id)
        found = self._in_force.get(key)
        if found is None:
            found = self._in_force[key] = self._look_up(kpi, team_id)
        return found

    def _look_up(self, kpi: KPI, team_id: int | None) -> tuple[float | None, float | None]:
        row = self.rows.get((kpi.key, team_id)) if team_id is not None else None
        row = row or self.rows.get((kpi.key, None))
        if row is not None:
            tolerance = row.tolerance
            if tolerance is None:
                tolerance = kpi.default_tolerance(row.value)
            return row.value, tolerance
        if kpi.default_target is None:
            return None, None
        return kpi.default_target, kpi.default_tolerance(kpi.default_target)


def status_of(kpi: KPI, value: float | None, target: float | None, tolerance: float | None) -> str:
    """Green when the target is met, amber within ``tolerance`` of it, red beyond."""
    if value is None:
        return Status.NO_DATA
    if target is None:
        return Status.NO_TARGET
    # Rounded so that binary floating point never turns "exactly at the edge" into a miss.
    gap = round(target - value if kpi.direction == HIGHER else value - target, 6)
    if gap <= 0:
        return Status.GREEN
    if gap <= (tolerance or 0):
        return Status.AMBER
    return Status.RED


# --- The targets page -------------------------------------------------------------------------


@dataclass
class TargetLine:
    """A KPI's target in force today: the global one and each team's override."""

    kpi: KPI
    default_text: str
    global_row: Target | None
    team_rows: list[Target]

    @property
    def global_text(self) -> str:
        if self.global_row is not None:
            return format_target(self.kpi, self.global_row.value)
        return self.default_text or "none"


def targets_in_force(day: date | None = None) -> list[TargetLine]:
    """Every KPI with its default, the global target and each team's override in force on
    ``day``: the latest row per KPI and team (one query)."""
    latest: dict[tuple[str, int | None], Target] = {}
    for row in (
        Target.objects.filter(effective_from__lte=day or timezone.localdate())
        .select_related("team")
        .order_by("effective_from", "id")
    ):
        latest[(row.kpi, row.team_id)] = row
    lines = []
    for key, kpi in KPIS.items():
        team_rows = sorted(
            (row for (k, team), row in latest.items() if k == key and team is not None),
            key=lambda row: row.team.name,
        )
        lines.append(
            TargetLine(
                kpi, format_target(kpi, kpi.default_target), latest.get((key, None)), team_rows
            )
        )
    return lines


def target_history(kpi: str = "") -> QuerySet[Target]:
    """Every target ever set (newest effective date first), with team and author."""
    rows = Target.objects.select_related("team", "created_by").order_by(
        "-effective_from", "kpi", "team__name", "-created_at"
    )
    return rows.filter(kpi=kpi) if kpi else rows
