"""What every CSV format shares: the two base classes (a format checked and saved as a
whole file, and an event format checked and saved batch by batch) and the small checks rows
use.

Conventions shared by every format (documented in docs/import.md):

* users are named by e-mail, clients by exact name in any case, contacts by name within the row's
  client; a name that matches nothing, or more than one record, is an error on that line;
* every event is credited to the BRM who owned its client at the event's time, computed from the
  ownership spans loaded once per client (``ImportContext.owner_id_at``);
* files add records; only the two history formats replace, for the clients they mention, the
  whole history with the file's rows.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import timedelta
from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone

from crm.imports.columns import Column, Kind, read_path, relations_of
from crm.imports.context import ImportContext, Row, clean_instance
from crm.models import Client

BATCH_SIZE = 1000
# The same allowance crm.services.interaction_log gives clocks that run slightly ahead.
FUTURE_SLACK = timedelta(minutes=5)

ExportRow = tuple[tuple, dict[str, Any]]


def choice_column(name: str, choices: Iterable[str], **options: Any) -> Column:
    """A column whose cell is one of ``choices``: a model's ``TextChoices``, or some of them."""
    return Column(name, Kind.CHOICE, choices=tuple(str(choice) for choice in choices), **options)


def fold(name: str) -> str:
    return name.casefold()


# The columns most formats share: the client a record belongs to (the partner for a partner's
# record) and the creation time a file may give instead of the import's.
CLIENT = Column("client", Kind.CLIENT, required=True, example="Acme Logistics")
PARTNER = Column("partner", Kind.CLIENT, required=True, example="Cobalt Partners")
CREATED_AT = Column("created_at", Kind.DATETIME, help="defaults to the time of the import")


def with_created_at(record: models.Model, row: Row) -> models.Model:
    """``record`` dated at the row's ``created_at`` when the file gives one; otherwise the
    model's default, the time of the import, stands."""
    if row.values.get("created_at") is not None:
        record.created_at = row.values["created_at"]
    return record


def client_of(record: str) -> Column:
    """The ``client`` column of a format whose rows are about ``record`` (a deal, a goal):
    exported as that record's client."""
    return Column(
        "client",
        Kind.CLIENT,
        required=True,
        example="Acme Logistics",
        source=f"{record}.client.name",
    )


def sortable(value: Any) -> Any:
    return fold(value) if isinstance(value, str) else value


def error_messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [f"{field}: {m}" for field, ms in error.message_dict.items() for m in ms]
    return list(error.messages)


class RecordFormat(ABC):
    """One CSV format. ``check`` records every problem on its row and builds what ``save``
    writes, inside the file's transaction.

    A format that does not ``stream`` is checked as a whole file (its rules compare rows across
    the file: histories that replace, deals told over several rows) and saved only when no row
    has a problem. A streaming format is checked and saved batch by batch; the rows of earlier
    batches are then already in the database, so a later batch finds them as it finds records
    of earlier files."""

    streams = False

    key: str
    label: str
    help: str
    columns: tuple[Column, ...]
    admin_only = False

    @cached_property
    def column_map(self) -> dict[str, Column]:
        return {column.name: column for column in self.columns}

    @abstractmethod
    def check(self, rows: list[Row], ctx: ImportContext) -> None: ...

    @abstractmethod
    def save(self, rows: list[Row], ctx: ImportContext) -> dict[str, int]: ...

    # What an export writes: every ``export_model`` record whose ``export_scope`` relation is
    # one of the clients, one line each, its cells read at the columns' paths (``Column.path``)
    # and sorted by the values at the ``sort_by`` paths (names in any case).
    export_model: type[models.Model]
    export_scope = "client"
    sort_by: tuple[str, ...]

    def export_records(self, clients: QuerySet[Client]) -> Iterable[models.Model]:
        """The records to export, each relation the columns read fetched in the same query."""
        paths = [column.path for column in self.columns] + list(self.sort_by)
        return self.export_model.objects.filter(
            **{f"{self.export_scope}__in": clients}
        ).select_related(*relations_of(paths))

    def export(self, clients: QuerySet[Client]) -> Iterator[ExportRow]:
        """Each record as (sort key, {column: value}); the exporter sorts by key, then text."""
        for record in self.export_records(clients):
            key = tuple(sortable(read_path(record, path)) for path in self.sort_by)
            yield key, {column.name: column.value_of(record) for column in self.columns}


class EventFormat(RecordFormat):
    """A record of one client, credited and bulk-created: most formats are this shape. Rows
    are checked and saved in batches (``streams``); ``prepare`` loads what a batch looks up."""

    streams = True

    model: type[models.Model]
    # The column naming the client the record belongs to, which the importer must own.
    client_column = "client"
    partner_client = False
    # What makes a record the same as another (model attributes, the client's first, then the
    # most selective), and that in words: a row the same as a record of the book or an earlier
    # row of its batch is imported with a warning (``warn_of_twins``). Empty: not compared.
    same_as: tuple[str, ...] = ()
    same_as_words = ""
    # What ``record`` builds a row's record from: the columns stored as they are, each in the
    # model field of its name, and the column whose date or time credits the record to the BRM
    # who owned the client then (empty: the record has no credited owner).
    stored: tuple[str, ...] = ()
    credited_at = ""

    @property
    def export_model(self) -> type[models.Model]:
        return self.model

    @property
    def export_scope(self) -> str:
        return self.client_column

    def check(self, rows: list[Row], ctx: ImportContext) -> None:
        ok = ctx.resolve_clients(rows, self.client_column, partner=self.partner_client)
        ctx.load_timelines(row.client for row in ok)
        self.prepare(ok, ctx)
        for row in ok:
            instance = self.build(row, ctx)
            if row.ok:
                clean_instance(row, instance)
                row.instance = instance
        # A row waiting for a later one is compared when it is checked again.
        self.warn_of_twins([row for row in ok if row.ok and not row.waiting])

    def warn_of_twins(self, rows: list[Row]) -> None:
        """Warn on each row whose record has the ``same_as`` values of a record already in the
        database (earlier files, earlier batches of this one) or of an earlier row of
        ``rows``: most likely imported twice. One query."""
        if not self.same_as or not rows:
            return
        client, selective = self.same_as[:2]
        keys = [tuple(getattr(row.instance, name) for name in self.same_as) for row in rows]
        seen = set(
            self.model.objects.filter(
                **{
                    f"{client}__in": {key[0] for key in keys},
                    f"{selective}__in": {key[1] for key in keys},
                }
            ).values_list(*self.same_as)
        )
        for row, key in zip(rows, keys, strict=True):
            if key in seen:
                row.warn(
                    f"{self.same_as_words} is already in the book or earlier in the file: this "
                    "row adds another."
                )
            seen.add(key)

    def prepare(self, rows: list[Row], ctx: ImportContext) -> None:
        """Load, in a few queries, whatever ``build`` looks up for every row."""

    def build(self, row: Row, ctx: ImportContext) -> models.Model:
        """The unsaved record for a row whose client is resolved; problems go on the row. A
        format whose rows need nothing but their columns builds them with ``record`` alone."""
        return self.record(row, ctx)

    def record(self, row: Row, ctx: ImportContext, **fields: Any) -> models.Model:
        """The unsaved record of ``row``: its client, the owner credited at ``credited_at``,
        the ``stored`` columns' values, then ``fields`` (which win), dated ``with_created_at``."""
        values = row.values
        if self.credited_at:
            fields.setdefault("owner_id", ctx.owner_id_at(row.client, values[self.credited_at]))
        stored = {name: values[name] for name in self.stored}
        return with_created_at(
            self.model(**{self.client_column: row.client}, **(stored | fields)), row
        )

    def save(self, rows: list[Row], ctx: ImportContext) -> dict[str, int]:
        """Write the checked rows of one batch; counts by label (summed over the batches)."""
        self.model.objects.bulk_create([row.instance for row in rows], batch_size=BATCH_SIZE)
        return {self.label: len(rows)}

    def finish(self, ctx: ImportContext) -> list[Row]:
        """Rows that ``build`` marked ``waiting`` for a record later in the file: the importer
        checks and saves them again once the whole file is in."""
        return []


def not_in_future(row: Row, column: str) -> None:
    value = row.values[column]
    if value is not None and value > timezone.now() + FUTURE_SLACK:
        row.fail(f"{column}: {value.isoformat()} is in the future.")


def not_before(row: Row, later: str, earlier: str) -> None:
    later_value, earlier_value = row.values[later], row.values[earlier]
    if later_value is not None and earlier_value is not None and later_value < earlier_value:
        row.fail(f"{later} cannot be before {earlier}.")


def both_or_neither(row: Row, first: str, second: str) -> None:
    if (row.values[first] in (None, "")) != (row.values[second] in (None, "")):
        row.fail(f"{first} and {second} go together: give both or neither.")


def group_by_client(rows: list[Row]) -> dict[int, list[Row]]:
    groups: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        groups[row.client.pk].append(row)
    return groups
