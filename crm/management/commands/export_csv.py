from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from crm.imports.exporting import records_export
from crm.imports.formats import FORMATS


class Command(BaseCommand):
    help = (
        "Export every record of one type as CSV in its import format (docs/import.md), to "
        "standard output or --out FILE."
    )

    def add_arguments(self, parser):
        parser.add_argument("type", choices=sorted(FORMATS), help="the record type to export")
        parser.add_argument("--out", type=Path, help="write to this file instead of stdout")

    def handle(self, *args, type, out, **options):
        if out is None:
            records_export(record_type=type, user=None, out=self.stdout)
            return
        try:
            with out.open("w", encoding="utf-8", newline="") as stream:
                # A file is what people open in Excel, which needs the byte-order mark.
                count = records_export(record_type=type, user=None, out=stream, bom=True)
        except OSError as error:
            raise CommandError(f"Cannot write {out}: {error.strerror}.") from None
        self.stderr.write(f"Wrote {count} {FORMATS[type].label} to {out}.")
