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
        parser.add_argument(
            "--allow-duplicate-file",
            action="store_true",
            help="import a file whose exact content was imported before as the same type "
            "(every row is added again); without it such a file is refused",
        )

    def handle(self, *args, type, file, dry_run, allow_duplicate_file, **options):
        try:
            stream = file.open("rb")
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        with stream:
            report = records_import(
                record_type=type,
                file=stream,
                by=None,
                dry_run=dry_run,
                file_name=file.name,
                import_again=allow_duplicate_file,
            )
        if not report.ok:
            for error in report.errors:
                self.stderr.write(f"{file}: {error}")
            if report.already_imported and not dry_run and not allow_duplicate_file:
                self.stderr.write("Pass --allow-duplicate-file to import it again anyway.")
            raise CommandError(
                f"{file} was rejected with {len(report.errors)} problem(s); nothing was saved."
            )
        if report.already_imported:
            self.stderr.write(f"{file}: warning: {report.already_imported}")
        for warning in report.warnings:
            self.stderr.write(f"{file}: warning: {warning}")
        if dry_run:
            self.stdout.write(
                f"Dry run of {file}: would import {report.summary}. Nothing was saved."
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {file}: {report.summary}."))
