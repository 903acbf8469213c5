"""Cell types of the CSV formats: how a column's text becomes a value and a value becomes text.

Parsing and rendering live side by side so that an exported file always imports again: every
value ``render_cell`` writes, the matching ``Column.parse`` reads back to the same value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.utils import timezone

from crm.formatting import export_decimal
from crm.input_rules import FIRST_YEAR, LAST_YEAR, text_problem, year_problem

TRUE_WORDS = {"true", "yes", "y", "1"}
FALSE_WORDS = {"false", "no", "n", "0"}
LIST_SEPARATOR = ";"


class CellError(ValueError):
    """A cell's text is not a valid value. The message is shown to the person importing."""


class Kind(StrEnum):
    TEXT = "text"
    DATE = "date"
    DATETIME = "datetime"
    DECIMAL = "decimal"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    CHOICE = "choice"
    USER = "user"
    CLIENT = "client"
    NAMES = "names"


KIND_DOCS = {
    Kind.TEXT: "text",
    Kind.DATE: "date, YYYY-MM-DD",
    Kind.DATETIME: "date-time, ISO 8601",
    Kind.DECIMAL: "decimal, at most 2 places, . as separator",
    Kind.INTEGER: "whole number",
    Kind.BOOLEAN: "boolean",
    Kind.CHOICE: "one of",
    Kind.USER: "user e-mail",
    Kind.CLIENT: "client name",
    Kind.NAMES: f"contact names separated by {LIST_SEPARATOR}",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind = Kind.TEXT
    required: bool = False
    help: str = ""
    example: str = ""
    choices: tuple[str, ...] = ()
    # Where an export reads the value on the record, as a dotted attribute path; empty: the
    # column's own name (followed by ".email" for a user, ".name" for a client).
    source: str = ""

    @property
    def path(self) -> str:
        """The dotted attribute path an export reads this column's value from."""
        if self.source:
            return self.source
        return self.name + {Kind.USER: ".email", Kind.CLIENT: ".name"}.get(self.kind, "")

    def value_of(self, record: Any) -> Any:
        """This column's value on ``record`` (``None`` where a relation on the path is empty),
        which ``render_cell`` writes and ``parse`` reads back."""
        return read_path(record, self.path)

    @property
    def kind_doc(self) -> str:
        if self.kind == Kind.CHOICE:
            return "one of " + ", ".join(self.choices)
        return KIND_DOCS[self.kind]

    def parse(self, text: str) -> Any:
        """The value of a stripped cell; ``None`` (or ``""`` for text) when it is empty."""
        if text == "":
            if self.required:
                raise CellError(f"{self.name} is required.")
            if self.kind == Kind.NAMES:
                return []
            return "" if self.kind == Kind.TEXT else None
        return _PARSERS[self.kind](self, text)


def read_path(record: Any, path: str) -> Any:
    """``record.a.b.c`` for ``path`` "a.b.c"; ``None`` as soon as a step is ``None``."""
    value = record
    for name in path.split("."):
        value = getattr(value, name)
        if value is None:
            return None
    return value


def relations_of(paths: Iterable[str]) -> list[str]:
    """The ``select_related`` lookups that fetch every relation the dotted ``paths`` cross."""
    return sorted({"__".join(path.split(".")[:-1]) for path in paths if "." in path})


def _text(column: Column, text: str) -> str:
    # The same rule as every form's text field; a cell may span lines (a summary), so only
    # control characters are refused here and a name's line breaks by the model's validator.
    if problem := text_problem(text, single_line=False):
        raise CellError(f"{column.name}: {problem}")
    return text


def _in_range(column: Column, text: str, value: date) -> None:
    if year_problem(value):
        raise CellError(f'{column.name} "{text}" is outside the years {FIRST_YEAR}–{LAST_YEAR}.')


def _date(column: Column, text: str) -> date:
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise CellError(f'{column.name} "{text}" is not a date (YYYY-MM-DD).') from None
    _in_range(column, text, value)
    return value


def _datetime(column: Column, text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise CellError(
            f'{column.name} "{text}" is not an ISO 8601 date-time (YYYY-MM-DDTHH:MM[:SS][+HH:MM]).'
        ) from None
    _in_range(column, text, value)
    if timezone.is_naive(value):
        # A value without an offset is wall-clock time in the organisation's time zone.
        value = _local(column, text, value)
    return value


def _local(column: Column, text: str, wall: datetime) -> datetime:
    """``wall`` read in the organisation's time zone, refused where that reading is not one
    instant: a time skipped when the clocks go forward, or repeated when they go back (as
    the web forms refuse them). An explicit offset is how a file says which one it means."""
    zone = timezone.get_current_timezone()
    first, second = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    # Before and after the change; fold is ignored when comparing times of one zone, so the
    # two readings are listed, not put in a set.
    before, after = (f"{wall.isoformat()}{moment.isoformat()[-6:]}" for moment in (first, second))
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall:
        problem = (
            f"happens twice in {zone} (the clocks go back): add the offset, {before} for the "
            f"first or {after} for the second"
        )
    else:
        problem = (
            f"does not exist in {zone} (the clocks go forward): give it with an offset, "
            f"{before} or {after}"
        )
    raise CellError(f'{column.name} "{text}" {problem}.')


def _decimal(column: Column, text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CellError(f'{column.name} "{text}" is not a number (use . for decimals).') from None
    if not value.is_finite():
        raise CellError(f'{column.name} "{text}" is not a number.')
    if value.as_tuple().exponent < -2:
        raise CellError(f'{column.name} "{text}" has more than 2 decimal places.')
    return value


def _integer(column: Column, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise CellError(f'{column.name} "{text}" is not a whole number.') from None


def _boolean(column: Column, text: str) -> bool:
    word = text.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(f'{column.name} "{text}" is not a boolean (true or false).')


def _choice(column: Column, text: str) -> str:
    word = text.lower()
    if word in column.choices:
        return word
    allowed = ", ".join(column.choices)
    raise CellError(f'{column.name} "{text}" is not one of: {allowed}.')


def _user(column: Column, text: str) -> str:
    return _text(column, text).lower()


def _names(column: Column, text: str) -> list[str]:
    return [name.strip() for name in text.split(LIST_SEPARATOR) if name.strip()]


_PARSERS = {
    Kind.TEXT: _text,
    Kind.DATE: _date,
    Kind.DATETIME: _datetime,
    Kind.DECIMAL: _decimal,
    Kind.INTEGER: _integer,
    Kind.BOOLEAN: _boolean,
    Kind.CHOICE: _choice,
    Kind.USER: _user,
    Kind.CLIENT: _text,
    Kind.NAMES: _names,
}


def render_cell(value: Any) -> str:
    """The text an export writes for ``value``; ``Column.parse`` reads it back unchanged."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return export_decimal(value)
    if isinstance(value, list | tuple):
        return f"{LIST_SEPARATOR} ".join(sorted(value, key=str.casefold))
    return str(value)
