"""The composite score: the weighted share of a subject's targeted KPIs that are on target
(weights from ``settings.KPI_SCORE_WEIGHTS``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from metrics.figures import STATUS_VIEWS, StatusView
from metrics.models import Snapshot, Status
from metrics.registry import KPI, KPIS

TARGETED = (Status.GREEN, Status.AMBER, Status.RED)


def score_weights() -> dict[str, float]:
    """``settings.KPI_SCORE_WEIGHTS`` (KPI key → weight; unlisted KPIs weigh 1), checked."""
    weights = settings.KPI_SCORE_WEIGHTS
    for key, weight in weights.items():
        if key not in KPIS:
            raise ImproperlyConfigured(f"KPI_SCORE_WEIGHTS names an unknown KPI {key!r}.")
        if not isinstance(weight, int | float) or weight < 0:
            raise ImproperlyConfigured(f"KPI_SCORE_WEIGHTS[{key!r}] must be a number ≥ 0.")
    return weights


@dataclass(frozen=True)
class ScorePart:
    kpi: KPI
    weight: float
    status: StatusView

    @property
    def on_target(self) -> bool:
        return self.status.slug == Status.GREEN


@dataclass
class Composite:
    """The weighted share of targeted KPIs (with data) that are on target."""

    parts: list[ScorePart]

    @property
    def total_weight(self) -> float:
        return sum(part.weight for part in self.parts)

    @property
    def on_target_weight(self) -> float:
        return sum(part.weight for part in self.parts if part.on_target)

    @property
    def score(self) -> float | None:
        total = self.total_weight
        return 100 * self.on_target_weight / total if total else None

    @property
    def text(self) -> str:
        return "No data" if self.score is None else f"{self.score:.0f} %"

    @property
    def on_target_count(self) -> int:
        return sum(1 for part in self.parts if part.on_target)

    @property
    def weighted(self) -> bool:
        return any(part.weight != 1 for part in self.parts)


def composite_of(snapshots: Iterable[Snapshot]) -> Composite:
    weights = score_weights()
    parts = []
    for row in snapshots:
        kpi = KPIS.get(row.kpi)
        # Low-sample values are shown but not judged: they do not count either way.
        if kpi is None or row.breakdown or row.low_sample or row.status not in TARGETED:
            continue
        weight = float(weights.get(row.kpi, 1))
        if weight:
            parts.append(ScorePart(kpi, weight, STATUS_VIEWS[row.status]))
    order = list(KPIS)
    return Composite(sorted(parts, key=lambda part: order.index(part.kpi.key)))
