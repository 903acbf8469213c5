"""Importing one CSV file of one record type: all of it, or nothing.

The file is read as a stream, line by line, and its rows are checked and written in batches of
``BATCH_ROWS`` (formats that compare rows across the whole file are checked whole, see
``RecordFormat.streams``), all in one transaction: a file with a single bad row, even its last,
saves nothing. Memory therefore grows with the batch, not the file (docs/import.md has the
numbers of ``manage.py bench_import``). The report names bad lines by their physical line
number in the file (the header is line 1), the first ``MAX_LISTED`` of them, with a count of the
rest. A dry run does the whole import, including the writes, and rolls it back: what it reports
is exactly what a real run would do.

A file whose exact bytes (SHA-256) were imported before in the same format, into the importer's
book, is noticed: a dry run warns (``ImportReport.already_imported``), and an import refuses it
unless told to import it again (``import_again``), since every row would be added twice. After
each batch Django's query log is emptied: with ``DEBUG`` on it would keep every batch's
``INSERT`` until the end of the file.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from itertools import chain, islice
from typing import IO, Any

from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, reset_queries, transaction
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import User
from crm.access import import_batches_visible_to, may_import_into_any_book, require_importer
from crm.csvfiles import unguard_text
from crm.imports.columns import CellError
from crm.imports.context import ImportContext, Row
from crm.imports.formats import FORMATS, RecordFormat
from crm.models import ImportBatch, ImportedRecord

PREVIEW_ROWS = 10
# Rows checked and written together: big enough that the queries per batch do not matter, small
# enough that a batch's rows and records stay a few megabytes.
BATCH_ROWS = 2000
# Errors (and warnings) a report lists; the rest are counted.
MAX_LISTED = 100
# Bytes read from the file at a time.
READ_BYTES = 64 * 1024


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
    # Problems beyond the first ``MAX_LISTED`` of each kind: counted, not listed.
    errors_unlisted: int = 0
    warnings_unlisted: int = 0
    # When this exact file was imported before (``earlier_import``): what to tell the user.
    already_imported: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def saved(self) -> bool:
        return self.ok and not self.dry_run

    @property
    def summary(self) -> str:
        return ", ".join(f"{count} {label}" for label, count in self.counts.items())

    def add_error(self, error: LineError) -> None:
        if len(self.errors) < MAX_LISTED:
            self.errors.append(error)
        else:
            self.errors_unlisted += 1

    def add_warning(self, warning: LineError) -> None:
        if len(self.warnings) < MAX_LISTED:
            self.warnings.append(warning)
        else:
            self.warnings_unlisted += 1

    def count(self, counts: dict[str, int]) -> None:
        for label, count in counts.items():
            self.counts[label] = self.counts.get(label, 0) + count

    def as_json(self) -> dict[str, Any]:
        """The report as JSON-ready data, for ``from_json`` (an import job keeps it). A NUL
        quoted from the file becomes U+FFFD: PostgreSQL refuses U+0000 inside JSON."""
        return _without_nul(asdict(self))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImportReport:
        lines = {
            name: [LineError(**item) for item in data.get(name, [])]
            for name in ("errors", "warnings")
        }
        return cls(**{**data, **lines})


def _without_nul(data: Any) -> Any:
    if isinstance(data, str):
        return data.replace("\x00", "\ufffd")
    if isinstance(data, dict):
        return {_without_nul(key): _without_nul(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [_without_nul(item) for item in data]
    return data


class FileRejected(Exception):
    def __init__(self, *errors: LineError):
        super().__init__(errors)
        self.errors = list(errors)


def file_sha256(stream: IO[bytes]) -> str:
    """The SHA-256 (hex) of a seekable binary ``stream`` from its current position to its end,
    read ``READ_BYTES`` at a time; the stream is put back where it was."""
    start = stream.tell()
    digest = hashlib.sha256()
    while chunk := stream.read(READ_BYTES):
        digest.update(chunk)
    stream.seek(start)
    return digest.hexdigest()


def earlier_import(*, sha256: str, record_type: str, by: User | None) -> ImportBatch | None:
    """The latest import of the file whose content has the SHA-256 ``sha256`` as
    ``record_type`` that ``by`` may be told of (``crm.access.import_batches_visible_to``: a
    BRM's own imports, anything for an admin or the command line), or ``None``. An import
    that was refused or rolled back left no batch, so it does not count."""
    return (
        import_batches_visible_to(by)
        .filter(sha256=sha256, record_type=record_type)
        .select_related("imported_by")
        .order_by("-imported_at", "-pk")
        .first()
    )


def already_imported_message(batch: ImportBatch) -> str:
    """What a report says of a file imported before as ``batch``."""
    day = date_format(timezone.localtime(batch.imported_at), "j M Y")
    who = batch.imported_by or "an operator at the command line"
    rows = f"{batch.row_count:,} row{'s' if batch.row_count != 1 else ''}"
    return (
        f"This exact file was already imported on {day} by {who} ({rows}): importing it again "
        "will add every row again."
    )


def _lock_file_digest(sha256: str) -> None:
    """Make a concurrent import of the same content wait for this transaction, so that it
    then sees this import (PostgreSQL advisory lock, released at the end of the
    transaction)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(sha256[:15], 16)])


def records_import(
    *,
    record_type: str,
    by: User | None,
    data: bytes | None = None,
    file: IO[bytes] | None = None,
    dry_run: bool = False,
    file_name: str = "",
    progress: Callable[[int], None] | None = None,
    import_again: bool = False,
) -> ImportReport:
    """Import a CSV file of ``record_type`` named ``file_name``, given as ``data`` or as a
    binary ``file`` read from its current position, as ``by`` (``None``: an operator
    at the command line, who may import anything). Nothing is saved unless every row is valid;
    every record saved is listed under one ``ImportBatch`` (file, its SHA-256, who, when).
    ``progress`` is called with the number of rows read so far after every batch, while the
    transaction is open.

    A file already imported (``earlier_import``) is refused, with ``already_imported`` as the
    error, unless ``import_again``; a dry run of it passes with ``already_imported`` set.

    Raises PermissionDenied for a user who may not import at all."""
    fmt = FORMATS[record_type]()
    require_importer(by)
    report = ImportReport(record_type=record_type, dry_run=dry_run)
    if fmt.admin_only and not may_import_into_any_book(by):
        report.errors = [LineError(None, f"Only an administrator may import {fmt.label}.")]
        return report
    if file is not None and not file.seekable():
        # A pipe (import_csv given /dev/stdin): copied to a temporary file (in memory up to
        # 8 MB) to be read twice, for its SHA-256 and for its rows.
        with tempfile.SpooledTemporaryFile(max_size=8 * 2**20) as copy:
            shutil.copyfileobj(file, copy, READ_BYTES)
            copy.seek(0)
            return records_import(
                record_type=record_type,
                by=by,
                file=copy,
                dry_run=dry_run,
                file_name=file_name,
                progress=progress,
                import_again=import_again,
            )
    stream = io.BytesIO(data) if file is None else file
    sha256 = file_sha256(stream)
    run = _Run(
        fmt, report, by=by, file_name=file_name, sha256=sha256, progress=progress or _no_progress
    )
    try:
        with transaction.atomic():
            if not dry_run:
                _lock_file_digest(sha256)
            earlier = earlier_import(sha256=sha256, record_type=fmt.key, by=by)
            if earlier is not None:
                report.already_imported = already_imported_message(earlier)
                if not (dry_run or import_again):
                    report.errors = [LineError(None, report.already_imported)]
                    return report
            run.read(stream)
            if not report.ok or dry_run:
                transaction.set_rollback(True)
    except FileRejected as rejected:
        # Whatever was read before the file turned out unreadable is not worth showing.
        report.header, report.preview, report.row_count = [], [], 0
        report.warnings, report.warnings_unlisted = [], 0
        report.errors, report.errors_unlisted = rejected.errors, 0
    except DatabaseError as error:
        report.add_error(LineError(None, f"The database refused the file: {error}"))
    report.errors.sort(key=lambda error: error.line or 0)
    if report.errors:
        report.counts = {}
    return report


def _no_progress(rows: int) -> None:
    pass


def _forget_queries() -> None:
    """Empty Django's query log. With ``DEBUG`` on it keeps every query's SQL (a batch's
    ``INSERT`` is megabytes) until the end of a request, and a worker's import is not one: its
    memory would grow with the file. Kept while something counts the queries (a test's
    ``assertNumQueries`` turns ``force_debug_cursor`` on)."""
    if not connection.force_debug_cursor:
        reset_queries()


class _Run:
    """One import of one file: reads it, checks and saves its rows batch by batch (or whole),
    and fills the report."""

    def __init__(self, fmt: RecordFormat, report: ImportReport, *, by, file_name, sha256, progress):
        self.fmt, self.report, self.by = fmt, report, by
        self.file_name, self.sha256, self.progress = file_name, sha256, progress
        self.ctx = ImportContext(by)
        self.batch: ImportBatch | None = None

    def read(self, stream: IO[bytes]) -> None:
        header, records = read_rows(stream, self.fmt)
        self.report.header = header
        rows: list[Row] = []
        for record in records:
            self.report.row_count += 1
            if isinstance(record, LineError):
                self.report.add_error(record)
                continue
            if len(self.report.preview) < PREVIEW_ROWS:
                self.report.preview.append(record.cells)
            rows.append(record)
            if self.report.row_count % BATCH_ROWS == 0:
                if self.fmt.streams:
                    self._stream(rows)
                    rows = []
                self.progress(self.report.row_count)
        if not self.report.row_count:
            raise FileRejected(LineError(None, "The file has a header but no rows."))
        if self.fmt.streams:
            self._stream(rows)
            waited = iter(self.fmt.finish(self.ctx))
            while batch := list(islice(waited, BATCH_ROWS)):
                self._stream(batch)
        else:
            self._whole(rows)
        if self.batch is not None:
            ImportBatch.objects.filter(pk=self.batch.pk).update(row_count=self.report.row_count)
        self.progress(self.report.row_count)

    def _stream(self, rows: list[Row]) -> None:
        """Check one batch and save its good rows, whatever earlier batches held: later
        batches are checked against them, and any error rolls the whole file back."""
        self.fmt.check(rows, self.ctx)
        settled = [row for row in rows if not row.waiting]
        self._take_warnings(settled)
        ready = [row for row in settled if row.ok]
        self._take_errors(settled)
        if ready:
            self.report.count(self.fmt.save(ready, self.ctx))
            self._take_errors(ready)
            self._record_sources(ready)
        _forget_queries()

    def _whole(self, rows: list[Row]) -> None:
        self.fmt.check(rows, self.ctx)
        self._take_warnings(rows)
        self._take_errors(rows)
        if self.report.ok:
            self.report.count(self.fmt.save(rows, self.ctx))
            self._take_errors(rows)
            self._record_sources(rows)
        _forget_queries()

    def _take_warnings(self, rows: Iterable[Row]) -> None:
        for row in rows:
            for text in row.warnings:
                self.report.add_warning(LineError(row.line, text))
            row.warnings.clear()

    def _take_errors(self, rows: Iterable[Row]) -> None:
        for row in rows:
            for message in row.errors:
                self.report.add_error(LineError(row.line, message))
            row.errors.clear()

    def _record_sources(self, rows: list[Row]) -> None:
        """Note where each saved record came from: one batch for the file, one row per
        record."""
        if self.batch is None:
            self.batch = ImportBatch.objects.create(
                record_type=self.fmt.key,
                file_name=self.file_name[:255],
                imported_by=self.by,
                sha256=self.sha256,
            )
        saved = [row.instance for row in rows if getattr(row.instance, "pk", None) is not None]
        types = ContentType.objects.get_for_models(*{type(record) for record in saved})
        ImportedRecord.objects.bulk_create(
            [
                ImportedRecord(batch=self.batch, content_type=types[type(r)], object_id=r.pk)
                for r in saved
            ],
            batch_size=2000,
            ignore_conflicts=True,
        )


def _text_lines(stream: IO[bytes]) -> Iterator[str]:
    """The file's lines as text, each with its line ending.

    The file must be UTF-8; a byte-order mark (as Excel writes one) is dropped. Raises
    FileRejected naming the first line that is not UTF-8, or for a file with nothing in it
    but white space (once it has been read to the end)."""
    anything = False
    for number, raw in enumerate(_byte_lines(stream), start=1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise FileRejected(
                LineError(
                    number,
                    f"the file is not UTF-8 text (byte 0x{raw[error.start]:02x} cannot be "
                    'read). Save it as "CSV UTF-8" and try again.',
                )
            ) from None
        anything = anything or not text.isspace()
        yield text
    if not anything:
        raise FileRejected(LineError(None, "The file is empty."))


def _byte_lines(stream: IO[bytes]) -> Iterator[bytes]:
    """The file's lines, ending in ``\\n`` but the last, read ``READ_BYTES`` at a time."""
    rest = b""
    while chunk := stream.read(READ_BYTES):
        *lines, rest = (rest + chunk).split(b"\n")
        for line in lines:
            yield line + b"\n"
    if rest:
        yield rest


def read_rows(stream: IO[bytes], fmt: RecordFormat) -> tuple[list[str], Iterator[Row | LineError]]:
    """The header, and an iterator over the file's records: a parsed row, or the line error
    of a record with the wrong number of fields. Problems with the header, with the file's
    encoding or its CSV syntax reject the file (FileRejected) when they are met."""
    lines = _text_lines(stream)
    first = next(lines, "")
    reader = csv.reader(chain([first], lines), delimiter=_delimiter(first), strict=True)
    header_cells = _next_record(reader) or []
    if not any(cell.strip() for cell in header_cells):
        # Only white space on the first line: read on, to tell an empty file from a late header.
        for _ in lines:
            pass
    header = _check_header(header_cells, fmt)
    return header, _records(reader, header, fmt)


def _next_record(reader) -> list[str] | None:
    try:
        return next(reader, None)
    except csv.Error as error:
        raise FileRejected(
            LineError(reader.line_num, f"the file is not valid CSV: {error}.")
        ) from None


def _records(reader, header: list[str], fmt: RecordFormat) -> Iterator[Row | LineError]:
    end = reader.line_num
    while (cells := _next_record(reader)) is not None:
        # A quoted cell may span lines: a record is numbered by the line it starts on.
        line, end = end + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            yield LineError(
                line, f"expected {len(header)} fields, as in the header, not {len(cells)}."
            )
            continue
        yield _parse_row(line, header, cells, fmt)


def _delimiter(header: str) -> str:
    """``;`` for a file whose header line separates its names with semicolons and has no comma
    (what Excel saves as "CSV" where the decimal separator is a comma), else ``,``.

    Column names never contain either character, so the header alone decides it. Cells of such
    a file that hold a ``;`` (a list of contact names) are quoted by Excel, as CSV requires."""
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
