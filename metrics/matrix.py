"""Side by side: the BRMs of a team, or the teams of the organisation, KPIs down and subjects
across, from stored snapshots (two queries per matrix)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.urls import reverse

from accounts.models import User
from crm.access import managed_teams_visible_to, may_see_organisation
from metrics import selectors
from metrics.composite import Composite, composite_of
from metrics.figures import FAMILIES, Figure
from metrics.links import KPI_PLACEHOLDER, period_query, subject_url, team_matrix_url
from metrics.models import Snapshot
from metrics.periods import Period
from metrics.registry import HIGHER, KPI, KPIS
from metrics.subjects import ORGANISATION, Subject, SubjectKey


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

    @property
    def computed_at(self):
        """When the newest figure shown was computed ("as of HH:MM")."""
        return max(
            (
                figure.snapshot.computed_at
                for column in self.columns
                for figure in column.figures.values()
                if figure.snapshot is not None
            ),
            default=None,
        )


def _sort_key(column: Column, kpi: KPI, worst_first: bool):
    value = column.figures[kpi.key].value
    if value is None:
        return (1, 0.0)
    better_high = kpi.direction == HIGHER
    descending = better_high != worst_first
    return (0, -value if descending else value)


def build_matrix(
    period: Period,
    columns: list[tuple[SubjectKey, str, bool]],
    snapshots: Iterable[Snapshot],
    base_url: str,
    *,
    sort: str,
    order: str,
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
        period, columns, snapshots, team_matrix_url(team.id), sort=sort, order=order
    )


def teams_overview(user: User, period: Period, *, sort: str = "", order: str = "") -> Matrix:
    """Each team the viewer manages side by side (and, for an admin, the organisation as a
    whole). Two queries."""
    teams = list(managed_teams_visible_to(user))
    keys = [SubjectKey("team", team.pk) for team in teams]
    wanted = Q(subject_type="team", subject_id__in=[key.id for key in keys])
    columns = [(key, team.name, False) for key, team in zip(keys, teams, strict=True)]
    if may_see_organisation(user):
        wanted |= Q(subject_type=ORGANISATION.type, subject_id=ORGANISATION.id)
        columns.insert(0, (ORGANISATION, "Organisation", True))
    snapshots = Snapshot.objects.filter(
        wanted, grain=period.grain, period_start=period.start, breakdown=""
    )
    return build_matrix(
        period, columns, snapshots, reverse("team_overview"), sort=sort, order=order
    )


# --- Drill-down: the records behind a number --------------------------------------------------
