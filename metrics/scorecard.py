"""One subject's scorecard, read from stored snapshots (never recomputed per request): its
KPIs by family with trend, previous period and breakdowns, and the composite score. One query
for a subject's twelve periods of snapshots, whatever the number of KPIs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Q, QuerySet

from metrics.composite import Composite, composite_of
from metrics.drilldowns import NPS_SEGMENTS
from metrics.figures import FAMILIES, Figure, KPIRow, Link, local_stamp, trend_periods
from metrics.links import drill_url
from metrics.models import Snapshot
from metrics.periods import Period
from metrics.registry import KPI, KPIS
from metrics.subjects import Subject, SubjectKey


@dataclass
class Family:
    key: str
    label: str
    rows: list[KPIRow]
    without_data: list[KPI]


@dataclass
class Scorecard:
    subject: Subject
    period: Period
    families: list[Family]
    composite: Composite
    current: list[Snapshot]
    # Every KPI of the catalog, including those without data (for exports).
    every_row: list[KPIRow] = field(default_factory=list)

    @property
    def has_snapshots(self) -> bool:
        return bool(self.current)

    @property
    def computed_at(self) -> datetime | None:
        return max((row.computed_at for row in self.current), default=None)

    @property
    def computed_text(self) -> str:
        return local_stamp(self.computed_at)

    @property
    def frozen(self) -> bool:
        return any(row.frozen for row in self.current)

    @property
    def rows(self) -> list[KPIRow]:
        return [row for family in self.families for row in family.rows]


def subject_history(key: SubjectKey, period: Period) -> QuerySet[Snapshot]:
    """Every overall KPI of one subject over the 12 periods ending with ``period``, and the
    breakdown rows of ``period`` itself, in one query."""
    starts = [p.start for p in trend_periods(period)]
    return Snapshot.objects.filter(
        Q(breakdown="") | Q(period_start=period.start),
        subject_type=key.type,
        subject_id=key.id,
        grain=period.grain,
        period_start__in=starts,
    ).order_by("kpi", "period_start", "breakdown")


def kpi_rows(snapshots: Iterable[Snapshot], period: Period) -> dict[str, KPIRow]:
    """A ``KPIRow`` for every KPI of the registry, from one subject's snapshots."""
    periods = trend_periods(period)
    overall: dict[tuple[str, date], Snapshot] = {}
    broken: dict[str, list[Figure]] = {}
    for row in snapshots:
        kpi = KPIS.get(row.kpi)
        if kpi is None:
            continue
        if row.breakdown:
            if row.period_start == period.start:
                broken.setdefault(row.kpi, []).append(Figure(kpi, row))
        else:
            overall[(row.kpi, row.period_start)] = row
    rows = {}
    for key, kpi in KPIS.items():
        history = [(p, overall.get((key, p.start))) for p in periods]
        rows[key] = KPIRow(kpi, history[-1][1], history=history, breakdowns=broken.get(key, []))
    return rows


def scorecard(subject: Subject, period: Period) -> Scorecard:
    snapshots = list(subject_history(subject.key, period))
    rows = kpi_rows(snapshots, period)
    families = []
    for family, label in FAMILIES:
        shown, silent = [], []
        for row in rows.values():
            if row.kpi.family != family:
                continue
            has_data = any(s is not None and s.value is not None for _, s in row.history)
            if has_data or any(b.has_data for b in row.breakdowns):
                shown.append(row)
            else:
                silent.append(row.kpi)
        if shown or silent:
            families.append(Family(family, label, shown, silent))
    if subject.may_drill:
        for row in rows.values():
            _link(row, subject.key, period)
    current = [row for row in snapshots if row.period_start == period.start]
    return Scorecard(subject, period, families, composite_of(current), current, list(rows.values()))


def _link(row: KPIRow, key: SubjectKey, period: Period) -> None:
    """Point every number of ``row`` at the records behind it."""
    kpi = row.kpi.key
    row.url = drill_url(key, kpi, period)
    row.previous_url = drill_url(key, kpi, period.previous)
    for figure in row.breakdowns:
        figure.url = drill_url(key, kpi, period, breakdown=figure.snapshot.breakdown)
    if kpi == "nps" and row.snapshot is not None:
        row.part_links = [
            Link(
                f"{segment.label.split(' ')[0]} {row.parts.get(segment.slug, 0):.0f}",
                drill_url(key, kpi, period, show=segment.slug),
            )
            for segment in NPS_SEGMENTS
        ]
