"""What the scorecard pages show, read from stored snapshots (never recomputed per request).

Who may see which subject is decided here from ``accounts.selectors`` (the same rules that scope
books in ``crm.access``): a BRM sees their own scorecard and their team's totals, a manager the
teams they manage and every BRM in them, an admin everything; anything else does not exist for
the viewer (404). The records behind a number are listed only to viewers who may read every
book it is made of, so a BRM sees their team's totals but not their teammates' records.

Every page is built from a fixed number of queries whatever the number of KPIs, BRMs or
periods: one query for a subject's twelve periods of snapshots, one for a team matrix, one
aggregate and one page of records for a drill-down.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.http import Http404
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.http import urlencode

from accounts.models import Role, Team, TeamMembership, User
from accounts.selectors import teams_managed_by, users_visible_to
from crm import models as crm
from crm.access import clients_visible_to
from metrics import selectors
from metrics import sources as src
from metrics.charts import Point, trend_svg
from metrics.engine import closing_deadline
from metrics.models import Snapshot, Status, Target
from metrics.periods import Period, Window
from metrics.registry import HIGHER, KPI, KPIS
from metrics.subjects import ORGANISATION, SubjectKey
from surveys.models import Invitation, Response

TREND_PERIODS = 12
DRILL_PAGE_SIZE = 100

FAMILIES = [
    ("surveys", "Surveys"),
    ("book", "Relationship book"),
    ("revenue", "Revenue and profitability"),
    ("pipeline", "Pipeline"),
    ("support", "Support"),
    ("delivery", "Delivery"),
    ("partners", "Partners"),
]
TARGETED = (Status.GREEN, Status.AMBER, Status.RED)


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


def teams_readable_by(user: User) -> QuerySet[Team]:
    """Teams whose totals ``user`` may see: the teams they manage (all for an admin), or for a
    BRM the team they are a member of today."""
    if user.role in (Role.ADMIN, Role.MANAGER):
        return teams_managed_by(user)
    return Team.objects.filter(
        id__in=TeamMembership.objects.current()
        .filter(user=user, capacity=TeamMembership.Capacity.MEMBER)
        .values("team_id")
    )


def subject_for_user(user: User, subject_type: str, subject_id: int) -> Subject:
    """The subject if ``user`` may see its scorecard; Http404 otherwise (guessing ids reveals
    nothing). One query."""
    if subject_type == "brm":
        person = users_visible_to(user).filter(pk=subject_id).first()
        if person is not None:
            return Subject(SubjectKey("brm", person.pk), str(person), may_drill=True)
    elif subject_type == "team":
        team = teams_readable_by(user).filter(pk=subject_id).first()
        if team is not None:
            may_drill = user.role in (Role.ADMIN, Role.MANAGER)
            return Subject(SubjectKey("team", team.pk), team.name, may_drill=may_drill)
    elif subject_type == "org" and subject_id == ORGANISATION.id and user.role == Role.ADMIN:
        return Subject(ORGANISATION, "Organisation", may_drill=True)
    raise Http404("No such scorecard.")


def team_for_manager(user: User, team_id: int) -> Subject:
    """A team whose BRMs ``user`` may compare side by side (its manager, or an admin)."""
    if user.role not in (Role.ADMIN, Role.MANAGER):
        raise Http404("No such team.")
    team = teams_managed_by(user).filter(pk=team_id).first()
    if team is None:
        raise Http404("No such team.")
    return Subject(SubjectKey("team", team.pk), team.name, may_drill=True)


def default_subject_url(user: User) -> str | None:
    """Where "Scorecard" leads: a BRM's own, a manager's first team's, an admin's
    organisation scorecard. ``None`` for a manager of no team."""
    if user.role == Role.BRM:
        return subject_url("scorecard", SubjectKey("brm", user.pk))
    if user.role == Role.ADMIN:
        return subject_url("scorecard", ORGANISATION)
    team = teams_managed_by(user).first()
    return subject_url("scorecard", SubjectKey("team", team.pk)) if team else None


def subject_url(name: str, key: SubjectKey, *args, period: Period | None = None, **query) -> str:
    url = reverse(name, args=[key.type, key.id, *args])
    return url + period_query(period, **query)


def period_query(period: Period | None, **extra) -> str:
    params = {"grain": period.grain, "period": period.label()} if period else {}
    params |= {name: value for name, value in extra.items() if value not in (None, "")}
    return "?" + urlencode(params) if params else ""


@dataclass(frozen=True)
class Link:
    label: str
    url: str


# --- Formatting -------------------------------------------------------------------------------

UNIT_SUFFIX = {"percent": " %", "hours": " h", "days": " d", "months": " mo"}
DECIMALS = {"percent": 1, "nps": 0, "ces": 1, "count": 0, "money": 0, "ratio": 2}


def format_number(unit: str, value: float, *, signed: bool = False) -> str:
    decimals = DECIMALS.get(unit, 1)
    text = f"{value:+,.{decimals}f}" if signed else f"{value:,.{decimals}f}"
    text = text.replace("-", "−")
    if unit == "money":
        return f"{settings.CURRENCY} {text}"
    return text + UNIT_SUFFIX.get(unit, "")


def format_value(kpi: KPI, value: float | None) -> str:
    return "No data" if value is None else format_number(kpi.unit, value)


def format_target(kpi: KPI, target: float | None) -> str:
    if target is None:
        return ""
    return ("≥ " if kpi.direction == HIGHER else "≤ ") + format_number(kpi.unit, target)


def _count(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


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
    if round(delta, DECIMALS.get(unit, 1)) == 0:
        return Change("no change", None)
    text = format_number(unit, delta, signed=True) + (" pp" if unit == "pp" else "")
    return Change(text, (delta > 0) == (kpi.direction == HIGHER))


def local_stamp(instant: datetime | None) -> str:
    return dateformat.format(timezone.localtime(instant), "j M Y, H:i") if instant else ""


# --- A snapshot as shown ----------------------------------------------------------------------


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
        return STATUS_VIEWS[self.snapshot.status if self.snapshot else Status.NO_DATA]

    @property
    def low_sample(self) -> bool:
        return bool(self.snapshot and self.snapshot.low_sample)

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
            return f"{_count(row.numerator)} of {_count(row.denominator)}"
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
        if kpi is None or row.breakdown or row.status not in TARGETED:
            continue
        weight = float(weights.get(row.kpi, 1))
        if weight:
            parts.append(ScorePart(kpi, weight, STATUS_VIEWS[row.status]))
    order = list(KPIS)
    return Composite(sorted(parts, key=lambda part: order.index(part.kpi.key)))


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
                row.status if row else Status.NO_DATA,
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


def trend_periods(period: Period, count: int = TREND_PERIODS) -> list[Period]:
    """The ``count`` periods ending with ``period``, oldest first."""
    return [period.shift(-offset) for offset in reversed(range(count))]


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


def related_links(user: User, subject: Subject, period: Period) -> list[Link]:
    """The scorecards one click away from ``subject``: a BRM's team totals, a team's BRMs and
    matrix, the organisation's teams. At most one query."""
    links: list[Link] = []
    managing = user.role in (Role.ADMIN, Role.MANAGER)
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


# --- Side by side: BRMs of a team, teams of the organisation ----------------------------------


@dataclass
class Column:
    key: SubjectKey
    name: str
    is_total: bool
    composite: Composite
    figures: dict[str, Figure]

    @property
    def url(self) -> str:
        return subject_url("scorecard", self.key)


@dataclass
class MatrixRow:
    kpi: KPI
    target_text: str
    cells: list[Figure]
    sort_url: str
    sorted_by: bool


@dataclass
class Matrix:
    period: Period
    columns: list[Column]
    families: list[tuple[str, list[MatrixRow]]]
    sort: str
    order: str

    @property
    def sort_kpi(self) -> KPI | None:
        return KPIS.get(self.sort)


def _sort_key(column: Column, kpi: KPI, worst_first: bool):
    value = column.figures[kpi.key].value
    if value is None:
        return (1, 0.0)
    better_high = kpi.direction == HIGHER
    descending = better_high != worst_first
    return (0, -value if descending else value)


def build_matrix(
    *,
    period: Period,
    columns: list[tuple[SubjectKey, str, bool]],
    snapshots: Iterable[Snapshot],
    sort: str,
    order: str,
    base_url: str,
) -> Matrix:
    """KPIs × subjects from stored rows, each cell linked to its records (only managers and
    admins, who may read them all, see a matrix). Total columns (the team, the organisation) come
    first; the others are ordered by the KPI ``sort`` (best first, or worst with
    ``order="worst"``), subjects without data last."""
    by_subject: dict[SubjectKey, list[Snapshot]] = {key: [] for key, _, _ in columns}
    for row in snapshots:
        key = SubjectKey(row.subject_type, row.subject_id)
        if key in by_subject and not row.breakdown:
            by_subject[key].append(row)
    built = []
    for key, name, is_total in columns:
        rows = {row.kpi: row for row in by_subject[key]}
        figures = {k: Figure(kpi, rows.get(k)) for k, kpi in KPIS.items()}
        composite = composite_of(by_subject[key])
        built.append(Column(key, name, is_total, composite, figures))
    totals = [c for c in built if c.is_total]
    others = [c for c in built if not c.is_total]
    sort_kpi = KPIS.get(sort)
    if sort_kpi is not None and sort_kpi.overall:
        others.sort(key=lambda c: _sort_key(c, sort_kpi, order == "worst"))
    else:
        sort = ""
    ordered = totals + others
    # A matrix has hundreds of cells: reverse each column's drill-down address once and put
    # the KPI in by substitution.
    query = period_query(period)
    drill_prefix = {
        c.key: reverse("kpi_records", args=[c.key.type, c.key.id, KPI_PLACEHOLDER]) for c in ordered
    }
    families = []
    for family, label in FAMILIES:
        rows = []
        for key, kpi in KPIS.items():
            if kpi.family != family or not kpi.overall:
                continue
            if not any(c.figures[key].has_data for c in ordered):
                continue
            cells = [
                Figure(
                    kpi,
                    c.figures[key].snapshot,
                    url=drill_prefix[c.key].replace(KPI_PLACEHOLDER, key) + query,
                )
                for c in ordered
            ]
            reference = next((c.figures[key] for c in ordered if c.figures[key].snapshot), None)
            next_order = "worst" if sort == key and order != "worst" else "best"
            rows.append(
                MatrixRow(
                    kpi,
                    reference.target_text if reference else "",
                    cells,
                    base_url + period_query(period, sort=key, order=next_order),
                    sort == key,
                )
            )
        if rows:
            families.append((label, rows))
    return Matrix(period, ordered, families, sort, order)


def team_matrix(team: Subject, period: Period, *, sort: str = "", order: str = "") -> Matrix:
    """The team's own recomputed KPIs beside each member's. Two queries."""
    snapshots = list(selectors.team_matrix(team.id, period))
    brm_ids = {row.subject_id for row in snapshots if row.subject_type == "brm"}
    people = User.objects.filter(pk__in=brm_ids).order_by("full_name", "email")
    columns = [(team.key, f"{team.name} (team)", True)]
    columns += [(SubjectKey("brm", person.pk), str(person), False) for person in people]
    return build_matrix(
        period=period,
        columns=columns,
        snapshots=snapshots,
        sort=sort,
        order=order,
        base_url=team_matrix_url(team.id),
    )


def teams_overview(user: User, period: Period, *, sort: str = "", order: str = "") -> Matrix:
    """Each team the viewer manages side by side (and, for an admin, the organisation as a
    whole). Two queries."""
    teams = list(teams_managed_by(user))
    keys = [SubjectKey("team", team.pk) for team in teams]
    wanted = Q(subject_type="team", subject_id__in=[key.id for key in keys])
    columns = [(key, team.name, False) for key, team in zip(keys, teams, strict=True)]
    if user.role == Role.ADMIN:
        wanted |= Q(subject_type=ORGANISATION.type, subject_id=ORGANISATION.id)
        columns.insert(0, (ORGANISATION, "Organisation", True))
    snapshots = Snapshot.objects.filter(
        wanted, grain=period.grain, period_start=period.start, breakdown=""
    )
    return build_matrix(
        period=period,
        columns=columns,
        snapshots=snapshots,
        sort=sort,
        order=order,
        base_url=reverse("team_overview"),
    )


# --- Drill-down: the records behind a number --------------------------------------------------


KPI_PLACEHOLDER = "kpi-placeholder"


def drill_url(key: SubjectKey, kpi: str, period: Period | None, **query) -> str:
    return subject_url("kpi_records", key, kpi, period=period, **query)


@dataclass(frozen=True)
class Segment:
    slug: str
    label: str
    condition: Q


@dataclass(frozen=True)
class Measure:
    """A quantity each record carries whose ``aggregate`` over the list is the KPI's value (or
    the part named ``part``): tenure, amounts, hours, days."""

    label: str
    expression: object
    aggregate: str  # "sum", "mean", "median" or "distinct"
    unit: str
    scale: float = 1.0
    part: str = ""


MONTH_DAYS = 365.25 / 12
MEASURES = {
    "ces": Measure("Score", F("score"), "mean", "ces"),
    "relationship_tenure_months": Measure(
        "Tenure", F("tenure_days"), "mean", "months", scale=1 / MONTH_DAYS
    ),
    "relationship_depth": Measure("Products (12 months)", F("products"), "mean", "ratio"),
    "network_reach": Measure("Contact", F("contact_id"), "distinct", "count"),
    "revenue": Measure("Amount", F("amount"), "sum", "money"),
    "partner_revenue": Measure("Amount", F("amount"), "sum", "money"),
    "revenue_growth_existing": Measure("Amount", F("amount"), "sum", "money", part="current"),
    "relationship_roi": Measure("Amount", F("amount"), "sum", "money", part="revenue"),
    "clv_historic": Measure("Lifetime revenue", F("lifetime_revenue"), "mean", "money"),
    "avg_deal_value": Measure("Deal value", F("deal__value"), "mean", "money"),
    "sales_cycle_days": Measure("Days to win", src.DAYS_TO_WIN, "median", "days"),
    "stage_days": Measure("Days in stage", src.DAYS_IN_STAGE, "mean", "days"),
    "first_response_hours": Measure(
        "Hours to first response", src.HOURS_TO_FIRST_RESPONSE, "median", "hours"
    ),
    "resolution_hours": Measure("Hours to resolve", src.HOURS_TO_RESOLUTION, "median", "hours"),
}


def _last_touch(window: Window) -> Subquery:
    """A client's latest interaction (other than a note) before the window's end."""
    return Subquery(
        crm.Interaction.objects.filter(
            src.NOT_NOTE, client=OuterRef("pk"), occurred_at__lt=window.until
        )
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )


# A column some KPIs' records need to make sense: dormancy is about the last touch.
EXTRA_COLUMNS: dict[str, tuple[str, Callable[[Window], object]]] = {
    "dormant_share": ("Last touch", _last_touch),
    "engagement_rate": ("Last touch", _last_touch),
}

# How the records above and below the line are called, per KPI.
SEGMENT_LABELS = {
    "csat": ("Satisfied (4–5)", "Not satisfied (1–3)"),
    "survey_response_rate": ("Answered", "Not answered"),
    "closed_loop_rate": ("Followed up in time", "Not followed up in time"),
    "retention_rate": ("Retained", "Churned"),
    "churn_rate": ("Churned", "Retained"),
    "dormant_share": ("Dormant", "Touched in the last 90 days"),
    "engagement_rate": ("Engaged", "Not engaged"),
    "follow_up_on_time_rate": ("Done on time", "Late or not done"),
    "reply_conversion_rate": ("Got a reply", "No reply"),
    "strategic_alignment": ("Goal reviewed", "No recent goal review"),
    "goal_attainment": ("Met", "Not met"),
    "feedback_implementation_rate": ("Implemented", "Not implemented"),
    "upsell_rate": ("Won", "Lost"),
    "close_rate": ("Won", "Lost"),
    "stage_conversion": ("Moved forward", "Moved back or lost"),
    "sla_compliance": ("Within SLA", "Breached SLA"),
    "project_completion_rate": ("Completed on time", "Late"),
    "partners_certified": ("Certified", "Not certified"),
}
NPS_SEGMENTS = [
    Segment("promoters", "Promoters (9–10)", src.PROMOTER),
    Segment("passives", "Passives (7–8)", src.PASSIVE),
    Segment("detractors", "Detractors (0–6)", src.DETRACTOR),
]


def _fmt_instant(value: datetime | None) -> str:
    return local_stamp(value) if value else "—"


def _fmt_day(value: date | None) -> str:
    return dateformat.format(value, "j M Y") if value else "—"


def _clip(text: str, length: int = 90) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _money(value) -> str:
    return "—" if value is None else format_number("money", float(value))


@dataclass(frozen=True)
class Listing:
    """How one kind of record is listed: its order, related rows fetched with it, the client
    it belongs to and its columns (header, value as text)."""

    order: tuple[str, ...]
    related: tuple[str, ...]
    client: Callable[[object], crm.Client | None]
    columns: tuple[tuple[str, Callable[[object], str]], ...]


LISTINGS: dict[type, Listing] = {
    Response: Listing(
        ("-answered_at", "-pk"),
        ("client", "contact", "follow_up"),
        lambda r: r.client,
        (
            ("Answered", lambda r: _fmt_instant(r.answered_at)),
            ("Contact", lambda r: str(r.contact or "—")),
            ("Survey", lambda r: r.get_kind_display()),
            ("Score", lambda r: str(r.score)),
            ("Comment", lambda r: _clip(r.comment) or "—"),
            (
                "Follow-up done",
                lambda r: _fmt_instant(r.follow_up.done_at) if r.follow_up else "no follow-up",
            ),
        ),
    ),
    Invitation: Listing(
        ("-delivered_at", "-pk"),
        ("client", "contact", "response"),
        lambda r: r.client,
        (
            ("Delivered", lambda r: _fmt_instant(r.delivered_at)),
            ("Contact", lambda r: str(r.contact)),
            ("Survey", lambda r: r.get_kind_display()),
            ("Status", lambda r: r.get_status_display()),
        ),
    ),
    crm.Client: Listing(
        ("name", "pk"),
        ("owner",),
        lambda r: r,
        (
            ("Type", lambda r: r.get_relationship_type_display()),
            ("Relationship since", lambda r: _fmt_day(r.relationship_started_on)),
            ("Status now", lambda r: r.get_status_display()),
            ("Owner now", lambda r: str(r.owner)),
        ),
    ),
    crm.Interaction: Listing(
        ("-occurred_at", "-pk"),
        ("client",),
        lambda r: r.client,
        (
            ("When", lambda r: _fmt_instant(r.occurred_at)),
            ("Kind", lambda r: r.get_kind_display()),
            ("Direction", lambda r: r.get_direction_display()),
            ("Topic", lambda r: r.topic or "—"),
            ("Summary", lambda r: _clip(r.summary) or "—"),
        ),
    ),
    crm.Interaction.contacts.through: Listing(
        ("-interaction__occurred_at", "-pk"),
        ("interaction__client", "contact"),
        lambda r: r.interaction.client,
        (
            ("When", lambda r: _fmt_instant(r.interaction.occurred_at)),
            ("Contact", lambda r: str(r.contact)),
            ("Interaction", lambda r: r.interaction.get_kind_display()),
        ),
    ),
    crm.Contact: Listing(
        ("-created_at", "-pk"),
        ("client",),
        lambda r: r.client,
        (
            ("Added", lambda r: _fmt_instant(r.created_at)),
            ("Contact", lambda r: r.name),
            ("Role", lambda r: r.role or "—"),
        ),
    ),
    crm.FollowUp: Listing(
        ("due_on", "pk"),
        ("client",),
        lambda r: r.client,
        (
            ("Follow-up", lambda r: r.title),
            ("Due", lambda r: _fmt_day(r.due_on)),
            ("Done", lambda r: _fmt_instant(r.done_at) if r.done_at else "not done"),
        ),
    ),
    crm.RevenueLine: Listing(
        ("-recognised_on", "-pk"),
        ("client", "product"),
        lambda r: r.client,
        (
            ("Recognised", lambda r: _fmt_day(r.recognised_on)),
            ("Product", lambda r: str(r.product)),
            ("Cost to serve", lambda r: _money(r.cost_to_serve)),
        ),
    ),
    crm.DealStageChange: Listing(
        ("-changed_at", "-pk"),
        ("deal__client", "from_stage", "to_stage"),
        lambda r: r.deal.client,
        (
            ("When", lambda r: _fmt_instant(r.changed_at)),
            ("Deal", lambda r: r.deal.title),
            ("Kind", lambda r: r.deal.get_kind_display()),
            ("From stage", lambda r: str(r.from_stage or "—")),
            ("To stage", lambda r: str(r.to_stage)),
            ("Deal value", lambda r: _money(r.deal.value)),
        ),
    ),
    crm.SupportIssue: Listing(
        ("-opened_at", "-pk"),
        ("client",),
        lambda r: r.client,
        (
            ("Issue", lambda r: r.title),
            ("Priority", lambda r: f"{r.get_priority_display()} ({r.sla_hours} h SLA)"),
            ("Opened", lambda r: _fmt_instant(r.opened_at)),
            ("First response", lambda r: _fmt_instant(r.first_response_at)),
            ("Resolved", lambda r: _fmt_instant(r.resolved_at)),
        ),
    ),
    crm.Project: Listing(
        ("due_on", "pk"),
        ("client",),
        lambda r: r.client,
        (
            ("Project", lambda r: r.name),
            ("Due", lambda r: _fmt_day(r.due_on)),
            ("Completed", lambda r: _fmt_instant(r.completed_at) if r.completed_at else "no"),
        ),
    ),
    crm.SharedGoal: Listing(
        ("due_on", "pk"),
        ("client",),
        lambda r: r.client,
        (
            ("Goal", lambda r: r.title),
            ("Due", lambda r: _fmt_day(r.due_on)),
            ("Met", lambda r: {True: "yes", False: "no", None: "not assessed"}[r.met]),
        ),
    ),
    crm.FeedbackItem: Listing(
        ("-closed_on", "-pk"),
        ("client",),
        lambda r: r.client,
        (
            ("Feedback", lambda r: _clip(r.summary)),
            ("Closed", lambda r: _fmt_day(r.closed_on)),
            ("Outcome", lambda r: r.get_outcome_display() or "—"),
        ),
    ),
    crm.PartnerReferral: Listing(
        ("-received_on", "-pk"),
        ("partner",),
        lambda r: r.partner,
        (
            ("Lead", lambda r: r.lead_name),
            ("Received", lambda r: _fmt_day(r.received_on)),
        ),
    ),
}


@dataclass(frozen=True)
class Check:
    """A number on the scorecard next to the same number recounted from the listed records."""

    label: str
    stored: float | None
    listed: float | None
    unit: str

    @property
    def ok(self) -> bool:
        if self.stored is None or self.listed is None:
            return self.stored is None and self.listed is None
        return math.isclose(self.stored, self.listed, rel_tol=1e-6, abs_tol=0.01)

    @property
    def stored_text(self) -> str:
        return "—" if self.stored is None else format_number(self.unit, self.stored)

    @property
    def listed_text(self) -> str:
        return "—" if self.listed is None else format_number(self.unit, self.listed)


@dataclass
class RecordRow:
    client: crm.Client | None
    client_visible: bool
    cells: list[str]
    segment: str
    measure: str


@dataclass
class SegmentTab:
    slug: str
    label: str
    count: int
    url: str
    active: bool


@dataclass
class Drilldown:
    kpi: KPI
    subject: Subject
    period: Period
    breakdown: str
    figure: KPIRow
    headers: list[str]
    measure: Measure | None
    rows: list[RecordRow]
    tabs: list[SegmentTab]
    checks: list[Check]
    total: int
    shown: int
    page: int
    pages: int
    measured_text: str

    @property
    def reproduced(self) -> bool:
        return all(check.ok for check in self.checks)

    def page_url(self, page: int) -> str:
        active = next((tab for tab in self.tabs if tab.active and tab.slug), None)
        return drill_url(
            self.subject.key,
            self.kpi.key,
            self.period,
            breakdown=self.breakdown,
            show=active.slug if active else "",
            page=page if page > 1 else "",
        )

    @property
    def previous_page_url(self) -> str:
        return self.page_url(self.page - 1) if self.page > 1 else ""

    @property
    def next_page_url(self) -> str:
        return self.page_url(self.page + 1) if self.page < self.pages else ""


def kpi_history(key: SubjectKey, kpi: KPI, period: Period, breakdown: str) -> KPIRow:
    """One KPI (or one stage or topic of it) of one subject over 12 periods: one query."""
    starts = [p.start for p in trend_periods(period)]
    rows = {
        row.period_start: row
        for row in Snapshot.objects.filter(
            subject_type=key.type,
            subject_id=key.id,
            kpi=kpi.key,
            grain=period.grain,
            period_start__in=starts,
            breakdown=breakdown,
        )
    }
    history = [(p, rows.get(p.start)) for p in trend_periods(period)]
    return KPIRow(kpi, history[-1][1], history=history)


def _breakdown_filter(kpi: KPI, breakdown: str) -> Q:
    if kpi.breakdown == "stage":
        return Q(from_stage__name=breakdown)
    if breakdown == src.NO_TOPIC:
        return Q(topic="")
    return Q(topic=breakdown)


def _counted(kpi: KPI, records: QuerySet) -> Q | None:
    """What puts a record above the line of a ratio, or ``None`` if nothing does."""
    if kpi.key == "closed_loop_rate":
        # "Within 2 business days" is computed in Python by the engine; apply the same rule.
        return Q(
            pk__in=[
                pk
                for pk, answered_at, done_at in records.values_list(
                    "pk", "answered_at", "follow_up__done_at"
                )
                if done_at is not None and done_at < closing_deadline(answered_at)
            ]
        )
    return kpi.records.numerator


def _segments(kpi: KPI, records: QuerySet) -> tuple[QuerySet, list[Segment]]:
    """The groups a KPI's records fall into: promoters, passives and detractors for NPS; those
    counted above the line and the rest for a ratio. A record whose condition is unknown (a
    NULL in SQL) is "the rest", as it is for the engine's filtered counts."""
    if kpi.key == "nps":
        return records, NPS_SEGMENTS
    counted = _counted(kpi, records)
    if counted is None:
        return records, []
    records = records.annotate(
        is_counted=Case(
            When(counted, then=Value(True)), default=Value(False), output_field=BooleanField()
        )
    )
    above, below = SEGMENT_LABELS.get(kpi.key, ("Counted", "Not counted"))
    return records, [
        Segment("counted", above, Q(is_counted=True)),
        Segment("rest", below, Q(is_counted=False)),
    ]


def _aggregate(values: list[float], how: str) -> float | None:
    if how == "distinct":
        return float(len(set(values)))
    if how == "sum":
        return float(sum(values))
    if not values:
        return None
    return float(statistics.median(values) if how == "median" else statistics.fmean(values))


def _checks(kpi: KPI, figure: Figure, total: int, counts: dict, measured) -> list[Check]:
    """Which stored numbers the list reproduces: its length is the denominator (or the count,
    or the sample); the records counted above the line are the numerator; a measure's sum,
    mean or median over the list is the value."""
    row = figure.snapshot
    if row is None:
        return []
    checks = []
    measure = MEASURES.get(kpi.key)
    if measure is not None:
        values, listed = measured
        stored = row.parts.get(measure.part) if measure.part else row.value
        label = f"{measure.aggregate.capitalize()} of the listed {measure.label.lower()}"
        if measure.aggregate == "distinct":
            label = f"Distinct {measure.label.lower()}s listed"
        checks.append(Check(label, stored, listed, kpi.unit if not measure.part else "money"))
        if measure.aggregate in ("mean", "median") and row.sample is not None:
            checks.append(Check("Records measured", row.sample, float(len(values)), "count"))
        return checks
    if kpi.key == "nps":
        checks.append(Check("Answers", row.denominator, float(total), "count"))
        for segment in NPS_SEGMENTS:
            stored = row.parts.get(segment.slug)
            checks.append(Check(segment.label, stored, float(counts[segment.slug]), "count"))
        return checks
    if kpi.unit == "count":
        listed = counts.get("counted", total)
        checks.append(Check("Records", row.value, float(listed), "count"))
        return checks
    if kpi.key == "interactions_per_client":
        checks.append(Check("Interactions", row.numerator, float(total), "count"))
        return checks
    checks.append(Check("Records (denominator)", row.denominator, float(total), "count"))
    if "counted" in counts and kpi.key != "arpc":
        checks.append(
            Check("Counted (numerator)", row.numerator, float(counts["counted"]), "count")
        )
    return checks


def drilldown(
    user: User,
    subject: Subject,
    kpi: KPI,
    period: Period,
    *,
    breakdown: str = "",
    show: str = "",
    page: int = 1,
) -> Drilldown:
    """The records behind ``kpi`` for ``subject`` and ``period``, as they stood when its
    snapshot was taken, with the numbers they reproduce."""
    if not subject.may_drill:
        raise Http404("The records behind these totals are not yours to read.")
    if breakdown and not kpi.breakdown:
        raise Http404("This KPI has no breakdown.")
    figure = kpi_history(subject.key, kpi, period, breakdown)
    if kpi.breakdown and not breakdown:
        figure.breakdowns = [
            Figure(kpi, row, url=drill_url(subject.key, kpi.key, period, breakdown=row.breakdown))
            for row in Snapshot.objects.filter(
                subject_type=subject.type,
                subject_id=subject.id,
                kpi=kpi.key,
                grain=period.grain,
                period_start=period.start,
            ).exclude(breakdown="")
        ]
    # The window ends when the number was computed, so an open period's list is the one the
    # number was made from, not the records added since.
    as_of = figure.snapshot.computed_at if figure.snapshot else None
    records = selectors.drilldown(kpi.key, subject.key, period, now=as_of)
    extra = EXTRA_COLUMNS.get(kpi.key)
    if breakdown:
        records = records.filter(_breakdown_filter(kpi, breakdown))
    records, segments = _segments(kpi, records)
    counts = records.aggregate(
        total=Count("pk"),
        **{segment.slug: Count("pk", filter=segment.condition) for segment in segments},
    )
    total = counts.pop("total")
    measure = MEASURES.get(kpi.key)
    measured: tuple[list[float], float | None] = ([], None)
    if measure is not None:
        values = [
            float(value) * measure.scale
            for value in records.annotate(measure=measure.expression).values_list(
                "measure", flat=True
            )
            if value is not None
        ]
        measured = (values, _aggregate(values, measure.aggregate))
    chosen = next((segment for segment in segments if segment.slug == show), None)
    listing = LISTINGS[records.model]
    listed = records.filter(chosen.condition) if chosen else records
    shown = counts[chosen.slug] if chosen else total
    pages = max(1, math.ceil(shown / DRILL_PAGE_SIZE))
    page = min(max(page, 1), pages)
    when_counted = [When(segment.condition, then=Value(segment.label)) for segment in segments]
    listed = listed.select_related(*listing.related).order_by(*listing.order)
    if when_counted:
        listed = listed.annotate(segment_label=Case(*when_counted, default=Value("")))
    if measure is not None:
        listed = listed.annotate(measure=measure.expression)
    if extra is not None:
        listed = listed.annotate(extra=extra[1](Window.of(period, as_of)))
    start = (page - 1) * DRILL_PAGE_SIZE
    records_page = list(listed[start : start + DRILL_PAGE_SIZE])
    clients = [listing.client(record) for record in records_page]
    client_ids = {client.pk for client in clients if client is not None}
    visible = set(clients_visible_to(user).filter(pk__in=client_ids).values_list("pk", flat=True))
    rows = []
    for record, client in zip(records_page, clients, strict=True):
        value = getattr(record, "measure", None)
        measure_text = ""
        if measure is not None and measure.aggregate != "distinct":
            measure_text = (
                "—" if value is None else format_number(measure.unit, float(value) * measure.scale)
            )
        cells = [text(record) for _, text in listing.columns]
        if extra is not None:
            cells.append(_fmt_instant(record.extra) if record.extra else "never")
        rows.append(
            RecordRow(
                client,
                client is not None and client.pk in visible,
                cells,
                getattr(record, "segment_label", ""),
                measure_text,
            )
        )
    tabs = [
        SegmentTab(
            "",
            "All",
            total,
            drill_url(subject.key, kpi.key, period, breakdown=breakdown),
            chosen is None,
        )
    ]
    tabs += [
        SegmentTab(
            segment.slug,
            segment.label,
            counts[segment.slug],
            drill_url(subject.key, kpi.key, period, breakdown=breakdown, show=segment.slug),
            chosen is segment,
        )
        for segment in segments
    ]
    headers = [header for header, _ in listing.columns] + ([extra[0]] if extra else [])
    measured_text = ""
    if measure is not None and measured[1] is not None:
        unit = "money" if measure.part else kpi.unit
        measured_text = format_number(unit, measured[1])
    return Drilldown(
        kpi=kpi,
        subject=subject,
        period=period,
        breakdown=breakdown,
        figure=figure,
        headers=headers,
        measure=measure,
        rows=rows,
        tabs=tabs,
        checks=_checks(kpi, figure, total, counts, measured),
        total=total,
        shown=shown,
        page=page,
        pages=pages,
        measured_text=measured_text,
    )


# --- Targets ----------------------------------------------------------------------------------


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
