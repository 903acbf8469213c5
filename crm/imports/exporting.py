"""Exporting records in the import formats: a file exported here imports again unchanged.

Rows are sorted by what they are about (client name, then time) and finally by their text, so
the same records always give the same file, whichever order they were stored in.
"""

from __future__ import annotations

from typing import TextIO

from accounts.models import User
from crm.access import clients_visible_to_operator
from crm.csvfiles import CsvWriter, csv_cell
from crm.imports.formats import FORMATS


def records_export(*, record_type: str, user: User | None, out: TextIO, bom: bool = False) -> int:
    """Write every ``record_type`` record of the clients ``user`` may see (``None``: all) to
    ``out`` as CSV with a header, cells guarded against formula injection (``crm.csvfiles``);
    ``bom`` starts it with a UTF-8 byte-order mark, for a file a person opens in Excel.
    Returns how many rows were written."""
    fmt = FORMATS[record_type]()
    clients = clients_visible_to_operator(user)
    names = [column.name for column in fmt.columns]
    rows = sorted(
        (key, [csv_cell(values[name]) for name in names]) for key, values in fmt.export(clients)
    )
    writer = CsvWriter(out, bom=bom)
    writer.writerow(names)
    writer.write_cells(cells for _key, cells in rows)
    return len(rows)
