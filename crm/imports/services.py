"""Importing one CSV file of one record type: all of it, or nothing.

Every row is read and checked before anything is written, and the writes run in one
transaction, so a file with a single bad row saves nothing. The report names every bad line by
its physical line number in the file (the header is line 1). A dry run does the whole import,
including the writes, and rolls it back: what it reports is exactly what a real run would do.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction

from accounts.models import User
from crm.access import may_import, may_import_into_any_book
from crm.csvfiles import unguard_text
from crm.imports.columns import CellError
from crm.imports.context import ImportContext, Row
from crm.imports.formats import FORMATS, RecordFormat
from crm.models import ImportBatch, ImportedRecord

PREVIEW_ROWS = 10


@dataclass(frozen=True)
class LineError:
    """A reason the file was rejected, with the line it is on (``None``: the whole file)."""

    line: int | None
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass
class ImportReport:
    record_type: str
    dry_run: bool
    header: list[str] = field(default_factory=list)
    preview: list[list[str]] = field(default_factory=list)
    row_count: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[LineError] = field(default_factory=list)
    warnings: list[LineError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def saved(self) -> bool:
        return self.ok and not self.dry_run

    @property
    def summary(self) -> str:
        return ", ".join(f"{count} {label}" for label, count in self.counts.items())


class FileRejected(Exception):
    def __init__(self, *errors: LineError):
        super().__init__(errors)
        self.errors = list(errors)


def records_import(
    *,
    record_type: str,
    data: bytes,
    by: User | None,
    dry_run: bool = False,
    file_name: str = "",
) -> ImportReport:
    """Import ``data``, a CSV file of ``record_type`` named ``file_name``, as ``by`` (``None``:
    an operator at the command line, who may import anything). Nothing is saved unless every
    row is valid; every record saved is listed under one ``ImportBatch`` (file, who, when)."""
    fmt = FORMATS[record_type]()
    if by is not None and not may_import(by):
        raise PermissionDenied("Only administrators and BRMs import records.")
    report = ImportReport(record_type=record_type, dry_run=dry_run)
    if fmt.admin_only and not may_import_into_any_book(by):
        report.errors = [LineError(None, f"Only an administrator may import {fmt.label}.")]
        return report
    try:
        header, rows, errors = read_rows(decode(data), fmt)
    except FileRejected as rejected:
        report.errors = rejected.errors
        return report
    report.header = header
    report.row_count = len(rows) + len({error.line for error in errors})
    report.preview = [row.cells for row in rows[:PREVIEW_ROWS]]
    try:
        with transaction.atomic():
            ctx = ImportContext(by)
            fmt.check(rows, ctx)
            report.warnings = [LineError(row.line, text) for row in rows for text in row.warnings]
            errors += _row_errors(rows)
            if not errors:
                report.counts = fmt.save(rows, ctx)
                errors += _row_errors(rows)
                _record_sources(rows, record_type=record_type, file_name=file_name, by=by)
            if errors or dry_run:
                transaction.set_rollback(True)
    except DatabaseError as error:
        errors.append(LineError(None, f"The database refused the file: {error}"))
    report.errors = sorted(errors, key=lambda error: error.line or 0)
    if report.errors:
        report.counts = {}
    return report


def _record_sources(rows: list[Row], *, record_type: str, file_name: str, by: User | None):
    """Note where each saved record came from: one batch for the file, one row per record."""
    batch = ImportBatch.objects.create(
        record_type=record_type, file_name=file_name[:255], imported_by=by, row_count=len(rows)
    )
    saved = [row.instance for row in rows if getattr(row.instance, "pk", None) is not None]
    types = ContentType.objects.get_for_models(*{type(record) for record in saved})
    ImportedRecord.objects.bulk_create(
        [
            ImportedRecord(batch=batch, content_type=types[type(record)], object_id=record.pk)
            for record in saved
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )


def _row_errors(rows: list[Row]) -> list[LineError]:
    errors = [LineError(row.line, message) for row in rows for message in row.errors]
    for row in rows:
        row.errors.clear()
    return errors


def decode(data: bytes) -> str:
    """The file's text. It must be UTF-8; a byte-order mark (as Excel writes one) is dropped."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise FileRejected(
            LineError(
                line,
                f"the file is not UTF-8 text (byte 0x{data[error.start]:02x} cannot be read). "
                'Save it as "CSV UTF-8" and try again.',
            )
        ) from None
    if not text.strip():
        raise FileRejected(LineError(None, "The file is empty."))
    return text


def read_rows(text: str, fmt: RecordFormat) -> tuple[list[str], list[Row], list[LineError]]:
    """The header and every parsed row. Problems with the header reject the file at once;
    problems with rows are collected for all rows."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    try:
        header = _check_header(next(reader), fmt)
        rows: list[Row] = []
        errors: list[LineError] = []
        end = reader.line_num
        for cells in reader:
            # A quoted cell may span lines: a record is numbered by the line it starts on.
            line, end = end + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                errors.append(
                    LineError(
                        line, f"expected {len(header)} fields, as in the header, not {len(cells)}."
                    )
                )
                continue
            rows.append(_parse_row(line, header, cells, fmt))
    except csv.Error as error:
        raise FileRejected(
            LineError(reader.line_num, f"the file is not valid CSV: {error}.")
        ) from None
    if not rows and not errors:
        raise FileRejected(LineError(None, "The file has a header but no rows."))
    return header, rows, errors


def _delimiter(text: str) -> str:
    """``;`` for a file whose header line separates its names with semicolons and has no comma
    (what Excel saves as "CSV" where the decimal separator is a comma), else ``,``.

    Column names never contain either character, so the header alone decides it. Cells of such
    a file that hold a ``;`` (a list of contact names) are quoted by Excel, as CSV requires."""
    header = text.split("\n", 1)[0]
    return ";" if ";" in header and "," not in header else ","


def _check_header(cells: list[str], fmt: RecordFormat) -> list[str]:
    header = [cell.strip().lower() for cell in cells]
    problems = []
    seen = set()
    for position, name in enumerate(header, start=1):
        if not name:
            problems.append(f"column {position} of the header has no name.")
        elif name in seen:
            problems.append(f'column "{name}" appears more than once in the header.')
        elif name not in fmt.column_map:
            known = ", ".join(column.name for column in fmt.columns)
            problems.append(f'unknown column "{name}"; the {fmt.key} columns are: {known}.')
        seen.add(name)
    for column in fmt.columns:
        if column.required and column.name not in seen:
            problems.append(f'the required column "{column.name}" is missing.')
    if problems:
        raise FileRejected(*(LineError(1, problem) for problem in problems))
    return header


def _parse_row(line: int, header: list[str], cells: list[str], fmt: RecordFormat) -> Row:
    row = Row(line=line, cells=cells, values={})
    given = dict(zip(header, cells, strict=True))
    for column in fmt.columns:
        try:
            cell = unguard_text(given.get(column.name, "").strip())
            row.values[column.name] = column.parse(cell)
        except CellError as error:
            row.fail(str(error))
    return row
