"""The "Export CSV" button of every list page: the page's own view answers ``?format=csv``
with the rows its filters select (all pages of them, never more: the same selector, the same
access scoping), written through ``crm.csvfiles`` (formula-safe cells, a BOM for Excel).

A page declares its columns once as ``ExportColumn``s and calls ``csv_response`` when
``wants_csv(request)``; the button is ``{% csv_button %}`` (``crm.templatetags.lists``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from crm.csvfiles import csv_download

CSV_FORMAT = "csv"


@dataclass(frozen=True)
class ExportColumn:
    """One column of a list's CSV: its header and the cell of a row (text, number, date,
    datetime or None; ``crm.csvfiles.csv_cell`` writes each as the importer reads it)."""

    header: str
    value: Callable[[Any], Any]


def wants_csv(request: HttpRequest) -> bool:
    return request.GET.get("format") == CSV_FORMAT


def csv_response(name: str, columns: Sequence[ExportColumn], rows: Iterable[Any]) -> HttpResponse:
    """A download ``<name>-<today>.csv``: a header row, then one row per item of ``rows``."""
    response, writer = csv_download(f"{name}-{timezone.localdate().isoformat()}.csv")
    writer.writerow([column.header for column in columns])
    writer.writerows([column.value(row) for column in columns] for row in rows)
    return response


def csv_querystring(request: HttpRequest) -> str:
    """The page's query string (its filters and sort) without the page number, asking for CSV."""
    params = request.GET.copy()
    for name in ("page", "format", "overdue"):
        params.pop(name, None)
    params["format"] = CSV_FORMAT
    return params.urlencode()
