"""The CSV formats, one per record type: their columns, how rows are checked and saved, and how
records are exported again in the same shape. One module per record family; ``registry`` lists
them by key."""

from crm.imports.formats.base import (
    CLIENT,
    EventFormat,
    RecordFormat,
    choice_column,
    not_in_future,
)
from crm.imports.formats.registry import FORMATS, register_format

__all__ = [
    "CLIENT",
    "FORMATS",
    "EventFormat",
    "RecordFormat",
    "choice_column",
    "not_in_future",
    "register_format",
]
