"""CSV exports of a scorecard and of a side-by-side matrix, for people who keep working in a
spreadsheet. Numbers are written raw (no units, no thousands separators) so they stay numbers;
text that a spreadsheet would run as a formula is neutralised (``crm.csvfiles``)."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.text import slugify

from crm.csvfiles import csv_download
from crm.formatting import export_rounded
from metrics.figures import FAMILIES
from metrics.matrix import Matrix
from metrics.scorecard import Scorecard

SCORECARD_COLUMNS = [
    "family",
    "kpi",
    "label",
    "breakdown",
    "value",
    "unit",
    "numerator",
    "denominator",
    "sample",
    "margin_of_error",
    "low_sample",
    "target",
    "direction",
    "tolerance",
    "status",
    "previous_value",
    "computed_at",
]


def scorecard_csv(card: Scorecard) -> HttpResponse:
    """One line per KPI (and per stage or topic of a broken-down KPI) of the period; a KPI
    without data has an empty value, never 0."""
    name = slugify(f"scorecard-{card.subject.name}-{card.period.grain}-{card.period.label()}")
    response, writer = csv_download(f"{name}.csv")
    writer.writerow(SCORECARD_COLUMNS)
    families = dict(FAMILIES)
    for row in card.every_row:
        for figure in [row, *row.breakdowns]:
            snapshot = figure.snapshot
            if snapshot is None:
                continue
            previous = row.previous.value if figure is row else None
            writer.writerow(
                [
                    families[row.kpi.family],
                    row.kpi.key,
                    row.kpi.label,
                    snapshot.breakdown,
                    snapshot.value,
                    row.kpi.unit,
                    snapshot.numerator,
                    snapshot.denominator,
                    snapshot.sample,
                    snapshot.margin_of_error,
                    "yes" if snapshot.low_sample else "no",
                    snapshot.target,
                    row.kpi.direction,
                    snapshot.tolerance,
                    snapshot.status,
                    previous,
                    snapshot.computed_at.isoformat(),
                ]
            )
    writer.writerow([])
    composite = card.composite
    writer.writerow(
        [
            "score",
            "composite",
            "Share of targeted KPIs on target (weighted)",
            "",
            export_rounded(composite.score),
            "percent",
            composite.on_target_weight,
            composite.total_weight,
        ]
    )
    return response


def matrix_csv(matrix: Matrix, title: str) -> HttpResponse:
    """KPIs down, subjects across in the page's order: a value and a status column each."""
    name = slugify(f"{title}-{matrix.period.grain}-{matrix.period.label()}")
    response, writer = csv_download(f"{name}.csv")
    header = ["family", "kpi", "label", "unit", "target"]
    for column in matrix.columns:
        header += [column.name, f"{column.name} status"]
    writer.writerow(header)
    for family, rows in matrix.families:
        for row in rows:
            reference = next((cell.snapshot for cell in row.cells if cell.snapshot), None)
            line = [family, row.kpi.key, row.kpi.label, row.kpi.unit]
            line.append(reference.target if reference else None)
            for cell in row.cells:
                line += [cell.value, cell.snapshot.status if cell.snapshot else "no_data"]
            writer.writerow(line)
    score = ["score", "composite", "Share of targeted KPIs on target (weighted)", "percent", ""]
    for column in matrix.columns:
        value = column.composite.score
        score += [export_rounded(value), ""]
    writer.writerow(score)
    return response
