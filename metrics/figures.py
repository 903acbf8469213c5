"""A stored KPI value as the pages show it: its text, status, target, sample, change since the
previous period and 12-period trend. Numbers become text through ``crm.formatting``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import dateformat, timezone

from crm.formatting import decimals_for, format_count, format_number, round_half_away
from metrics.charts import Point, trend_svg
from metrics.intervals import Interval, nps_interval, wilson
from metrics.models import Snapshot, Status
from metrics.periods import Period
from metrics.registry import HIGHER, KPI

TREND_PERIODS = 12

FAMILIES = [
    ("surveys", "Surveys"),
    ("book", "Relationship book"),
    ("revenue", "Revenue and profitability"),
    ("pipeline", "Pipeline"),
    ("support", "Support"),
    ("delivery", "Delivery"),
    ("partners", "Partners"),
]


@dataclass(frozen=True)
class Link:
    label: str
    url: str


def format_value(kpi: KPI, value: float | None) -> str:
    return "No data" if value is None else format_number(kpi.unit, value)


def format_target(kpi: KPI, target: float | None) -> str:
    if target is None:
        return ""
    return ("≥ " if kpi.direction == HIGHER else "≤ ") + format_number(kpi.unit, target)


@dataclass(frozen=True)
class StatusView:
    slug: str
    icon: str
    label: str

    @property
    def css(self) -> str:
        return self.slug if self.slug in ("green", "amber", "red") else "none"


STATUS_VIEWS = {
    Status.GREEN: StatusView("green", "✓", "On target"),
    Status.AMBER: StatusView("amber", "!", "Near target"),
    Status.RED: StatusView("red", "✗", "Off target"),
    Status.LOW_SAMPLE: StatusView("low_sample", "~", "Low sample"),
    Status.NO_TARGET: StatusView("no_target", "", "No target"),
    Status.NO_DATA: StatusView("no_data", "–", "No data"),
}


@dataclass(frozen=True)
class Change:
    text: str
    better: bool | None

    @property
    def word(self) -> str:
        return {True: "better", False: "worse", None: "no change"}[self.better]

    @property
    def arrow(self) -> str:
        return {True: "▲", False: "▼", None: "="}[self.better]


def change_between(kpi: KPI, now: float | None, before: float | None) -> Change | None:
    """``now − before`` in the KPI's unit (percentage points for rates), judged by direction."""
    if now is None or before is None:
        return None
    delta = now - before
    # Rates change by percentage points; NPS by points shown to a tenth, so that a change
    # between two scores that round to the same whole number is not shown as a whole point.
    unit = {"percent": "pp", "nps": "points"}.get(kpi.unit, kpi.unit)
    if round_half_away(delta, decimals_for(unit)) == 0:
        return Change("no change", None)
    text = format_number(unit, delta, signed=True) + (" pp" if unit == "pp" else "")
    return Change(text, (delta > 0) == (kpi.direction == HIGHER))


def status_shown(row: Snapshot | None) -> str:
    """The status a page shows: "low sample" for any low-sample row (also history stored before
    low-sample values stopped being judged), "no data" without a row."""
    if row is None:
        return Status.NO_DATA
    if row.low_sample and row.value is not None:
        return Status.LOW_SAMPLE
    return row.status


def local_stamp(instant: datetime | None) -> str:
    return dateformat.format(timezone.localtime(instant), "j M Y, H:i") if instant else ""


@dataclass
class Figure:
    """One stored KPI value with everything the pages say about it."""

    kpi: KPI
    snapshot: Snapshot | None
    # The records behind the figure, when the viewer may read them.
    url: str = ""

    @property
    def value(self) -> float | None:
        return self.snapshot.value if self.snapshot else None

    @property
    def has_data(self) -> bool:
        return self.value is not None

    @property
    def text(self) -> str:
        return format_value(self.kpi, self.value)

    @property
    def status(self) -> StatusView:
        return STATUS_VIEWS[status_shown(self.snapshot)]

    @property
    def low_sample(self) -> bool:
        return bool(self.snapshot and self.snapshot.low_sample)

    @property
    def interval(self) -> Interval | None:
        """The 95 % interval of a survey ratio (``metrics.intervals``), from its parts."""
        row = self.snapshot
        if row is None or row.value is None or not self.kpi.interval:
            return None
        if self.kpi.interval == "nps":
            parts = row.parts or {}
            return nps_interval(
                parts.get("promoters", 0), parts.get("passives", 0), parts.get("detractors", 0)
            )
        return wilson(row.numerator or 0, row.denominator or 0)

    @property
    def interval_range(self) -> str:
        """ "34.2–100.0 %" (NPS: "−12 to 100"); "" without an interval."""
        bounds = self.interval
        if bounds is None:
            return ""
        low, high = (format_number(self.kpi.unit, bound) for bound in bounds)
        if self.kpi.unit == "nps":
            return f"{low} to {high}"
        return f"{low.rstrip(' %')}–{high}"

    @property
    def interval_text(self) -> str:
        """ "95 % CI 34.2–100.0 %" (NPS: "95 % CI −12 to 100")."""
        return f"95 % CI {self.interval_range}" if self.interval_range else ""

    @property
    def target_text(self) -> str:
        return format_target(self.kpi, self.snapshot.target) if self.snapshot else ""

    @property
    def sample_text(self) -> str:
        """ "10 of 12" for rates, "n = 12" for scores and means, "" for counts and sums."""
        row = self.snapshot
        if row is None or (self.kpi.unit in ("count", "money") and row.sample is None):
            return ""
        if self.kpi.unit == "percent" and row.sample is not None and row.numerator is not None:
            return f"{format_count(row.numerator)} of {format_count(row.denominator)}"
        if row.sample is not None:
            return f"n = {row.sample:,}"
        return ""

    @property
    def margin_text(self) -> str:
        if self.snapshot is None or self.snapshot.margin_of_error is None:
            return ""
        return "± " + format_number(self.kpi.unit, self.snapshot.margin_of_error)

    @property
    def parts(self) -> dict:
        return self.snapshot.parts if self.snapshot else {}


# --- The scorecard of one subject -------------------------------------------------------------


@dataclass
class KPIRow(Figure):
    """A KPI on a scorecard: the current figure, the previous period's, the 12-period trend
    and, for KPIs broken down by stage or topic, one figure per stage or topic."""

    history: list[tuple[Period, Snapshot | None]] = field(default_factory=list)
    breakdowns: list[Figure] = field(default_factory=list)
    previous_url: str = ""
    part_links: list[Link] = field(default_factory=list)

    @property
    def previous(self) -> Figure:
        return Figure(self.kpi, self.history[-2][1] if len(self.history) > 1 else None)

    @property
    def change(self) -> Change | None:
        return change_between(self.kpi, self.value, self.previous.value)

    def points(self) -> list[Point]:
        return [
            Point(
                period.label(),
                row.value if row else None,
                status_shown(row),
                bool(row and row.low_sample),
            )
            for period, row in self.history
        ]

    def trend(self, *, large: bool = False):
        target = self.snapshot.target if self.snapshot else None
        size = {"width": 720, "height": 220, "axes": True} if large else {}
        return trend_svg(
            self.points(),
            target=target,
            target_text=self.target_text,
            fmt=lambda value: format_number(self.kpi.unit, value),
            **size,
        )

    @property
    def sparkline(self):
        return self.trend()

    @property
    def trend_large(self):
        return self.trend(large=True)


def trend_periods(period: Period, count: int = TREND_PERIODS) -> list[Period]:
    """The ``count`` periods ending with ``period``, oldest first."""
    return [period.shift(-offset) for offset in reversed(range(count))]
