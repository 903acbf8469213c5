from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from crm.imports.formats import FORMATS
from crm.imports.services import records_import


class Command(BaseCommand):
    help = (
        "Import a CSV file of one record type, all or nothing: any bad row rejects the file and "
        "every bad line is listed. See docs/import.md for the formats."
    )

    def add_arguments(self, parser):
        parser.add_argument("type", choices=sorted(FORMATS), help="the record type of the file")
        parser.add_argument("file", type=Path, help="a UTF-8 CSV file with a header line")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report, but save nothing"
        )

    def handle(self, *args, type, file, dry_run, **options):
        try:
            stream = file.open("rb")
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        with stream:
            report = records_import(
                record_type=type, file=stream, by=None, dry_run=dry_run, file_name=file.name
            )
        if not report.ok:
            for error in report.errors:
                self.stderr.write(f"{file}: {error}")
            raise CommandError(
                f"{file} was rejected with {len(report.errors)} problem(s); nothing was saved."
            )
        for warning in report.warnings:
            self.stderr.write(f"{file}: warning: {warning}")
        if dry_run:
            self.stdout.write(
                f"Dry run of {file}: would import {report.summary}. Nothing was saved."
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {file}: {report.summary}."))
