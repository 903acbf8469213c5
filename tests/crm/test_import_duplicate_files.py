"""The same file imported twice would add every row twice: a dry run of a file whose exact
content was imported before (same format, the importer's own book) warns who imported it and
when, and the import needs an explicit "Import it again anyway" (``--allow-duplicate-file`` at
the command line). Nobody is told of another BRM's imports."""

import hashlib
import io
import os

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.imports.formats.base import BATCH_SIZE
from crm.imports.services import records_import
from crm.models import FollowUp, ImportBatch, ImportJob
from tests.crm.test_import_web import upload

pytestmark = pytest.mark.django_db

FOLLOW_UPS = (
    "client,owner,title,due_on\n"
    "Acme Logistics,alice@example.com,Send the proposal,2031-01-06\n"
    "Acme Logistics,alice@example.com,Call back,2031-01-07\n"
)


def _checked_and_imported(client, import_jobs_run, text: str = FOLLOW_UPS, **confirm) -> str:
    """Upload ``text``, confirm its dry run (with ``confirm`` as the form), and return the
    dry run's page."""
    with import_jobs_run():
        checked = upload(client, text, record_type="follow_ups")
    with import_jobs_run():
        client.post(checked["Location"] + "import/", confirm)
    return checked["Location"]


def test_a_second_upload_of_the_same_file_warns_and_imports_only_when_ticked(
    client, alice, alices_client, import_jobs_run
):
    client.force_login(alice)
    _checked_and_imported(client, import_jobs_run)
    assert FollowUp.objects.count() == 2
    first = ImportBatch.objects.get()

    with import_jobs_run():
        again = upload(client, FOLLOW_UPS, record_type="follow_ups")
    page = client.get(again["Location"]).content.decode()

    day = f"{timezone.localtime(first.imported_at):%-d %b %Y}"
    warning = (
        f"This exact file was already imported on {day} by Alice Adams (2 rows): importing it "
        "again will add every row again."
    )
    assert warning in page
    assert 'name="import_again"' in page
    assert "Import it again anyway" in page

    with import_jobs_run():
        refused = client.post(again["Location"] + "import/")
    assert refused["Location"] == again["Location"]
    assert warning in client.get(refused["Location"]).content.decode()
    assert FollowUp.objects.count() == 2
    assert ImportBatch.objects.count() == 1
    assert ImportJob.objects.filter(dry_run=False).count() == 1

    with import_jobs_run():
        imported = client.post(again["Location"] + "import/", {"import_again": "on"})
    assert "was imported: 2 rows" in client.get(imported["Location"]).content.decode()
    assert FollowUp.objects.count() == 4
    assert ImportBatch.objects.count() == 2


def test_a_file_with_one_byte_changed_is_not_the_same_file(
    client, alice, alices_client, import_jobs_run
):
    client.force_login(alice)
    _checked_and_imported(client, import_jobs_run)

    with import_jobs_run():
        other = upload(
            client, FOLLOW_UPS.replace("Call back", "Call bock"), record_type="follow_ups"
        )
    page = client.get(other["Location"]).content.decode()

    assert "already imported" not in page
    assert 'name="import_again"' not in page


def test_the_same_content_as_another_format_is_not_the_same_import(alice, alices_client):
    text = b"client,name\nAcme Logistics,Dana Reyes\n"
    records_import(record_type="contacts", data=text, by=alice)

    report = records_import(record_type="partner_certifications", data=text, by=alice)

    assert report.already_imported == ""


def test_a_brm_is_never_told_of_another_brms_import_of_the_same_file(
    client, alice, bob, admin_user, alices_client, import_jobs_run
):
    client.force_login(alice)
    _checked_and_imported(client, import_jobs_run)

    client.force_login(bob)
    with import_jobs_run():
        bobs = upload(client, FOLLOW_UPS, record_type="follow_ups")
    page = client.get(bobs["Location"]).content.decode()

    assert "already imported" not in page
    assert "Alice" not in page
    assert (
        ImportJob.objects.get(pk=bobs["Location"].split("/")[-2]).report["already_imported"] == ""
    )

    # An administrator imports into every book, so is told.
    report = records_import(record_type="follow_ups", data=FOLLOW_UPS.encode(), by=admin_user)
    assert "already imported on" in report.already_imported
    assert "by Alice Adams (2 rows)" in report.already_imported
    assert not report.ok
    assert FollowUp.objects.count() == 2


def test_an_import_refuses_a_file_imported_since_its_dry_run(alice, alices_client):
    data = FOLLOW_UPS.encode()
    checked = records_import(record_type="follow_ups", data=data, by=alice, dry_run=True)
    assert checked.ok and not checked.already_imported
    records_import(record_type="follow_ups", data=data, by=alice)

    report = records_import(record_type="follow_ups", data=data, by=alice)

    assert [error.message for error in report.errors] == [report.already_imported]
    assert FollowUp.objects.count() == 2


def test_a_rejected_import_does_not_count_as_imported(alice, alices_client):
    bad = FOLLOW_UPS.replace("2031-01-07", "soon").encode()
    assert not records_import(record_type="follow_ups", data=bad, by=alice).ok

    report = records_import(record_type="follow_ups", data=bad, by=alice, dry_run=True)

    assert report.already_imported == ""


def test_the_import_command_refuses_a_file_imported_before_unless_allowed(alices_client, tmp_path):
    path = tmp_path / "follow-ups.csv"
    path.write_text(FOLLOW_UPS)
    call_command("import_csv", "follow_ups", str(path), stdout=io.StringIO())

    stderr = io.StringIO()
    with pytest.raises(CommandError, match="nothing was saved"):
        call_command("import_csv", "follow_ups", str(path), stdout=io.StringIO(), stderr=stderr)
    assert "already imported on" in stderr.getvalue()
    assert "by an operator at the command line (2 rows)" in stderr.getvalue()
    assert "--allow-duplicate-file" in stderr.getvalue()
    assert FollowUp.objects.count() == 2

    dry = io.StringIO()
    call_command(
        "import_csv", "follow_ups", str(path), "--dry-run", stdout=io.StringIO(), stderr=dry
    )
    assert "warning: This exact file was already imported" in dry.getvalue()

    call_command(
        "import_csv", "follow_ups", str(path), "--allow-duplicate-file", stdout=io.StringIO()
    )
    assert FollowUp.objects.count() == 4


def test_an_imported_batch_keeps_the_files_sha256(alice, alices_client):
    records_import(record_type="follow_ups", data=FOLLOW_UPS.encode(), by=alice)

    assert ImportBatch.objects.get().sha256 == hashlib.sha256(FOLLOW_UPS.encode()).hexdigest()


def test_rows_already_in_the_book_are_imported_with_a_warning(alice, alices_client):
    records_import(record_type="follow_ups", data=FOLLOW_UPS.encode(), by=alice)
    # The same follow-ups in another file (its header in another order), and one new.
    again = (
        "title,client,owner,due_on\n"
        "Send the proposal,Acme Logistics,alice@example.com,2031-01-06\n"
        "Send the invoice,Acme Logistics,alice@example.com,2031-01-06\n"
        "Call back,Acme Logistics,alice@example.com,2031-01-07\n"
    )

    report = records_import(record_type="follow_ups", data=again.encode(), by=alice)

    assert report.ok
    assert report.already_imported == ""
    assert [(warning.line, warning.message) for warning in report.warnings] == [
        (
            line,
            "A follow-up of this client due this day with this title is already in the book or "
            "earlier in the file: this row adds another.",
        )
        for line in (2, 4)
    ]
    assert FollowUp.objects.count() == 5


@pytest.mark.parametrize(
    ("record_type", "text"),
    [
        (
            "interactions",
            "client,occurred_at,kind,logged_by,topic\n"
            "Acme Logistics,2025-01-06T10:00:00+00:00,call,alice@example.com,Renewal\n"
            "Acme Logistics,2025-01-06 10:00,call,alice@example.com,Renewal\n"
            "Acme Logistics,2025-01-06T10:00:00+00:00,call,alice@example.com,\n"
            "Acme Logistics,2025-01-06T10:00:00+00:00,call,alice@example.com,\n",
        ),
        (
            "revenue",
            "client,product,recognised_on,amount\n"
            "Acme Logistics,Freight,2025-01-31,12500.00\n"
            "Acme Logistics,Freight,2025-01-31,12500\n"
            "Acme Logistics,Freight,2025-01-31,-20.05\n"
            "Acme Logistics,Freight,2025-01-31,-20.05\n",
        ),
    ],
)
def test_the_same_event_twice_in_a_file_warns_on_the_second(
    alice, alices_client, record_type, text
):
    report = records_import(record_type=record_type, data=text.encode(), by=alice, dry_run=True)

    assert report.ok
    assert [warning.line for warning in report.warnings] == [3, 5]


def _reads(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if query["sql"].startswith("SELECT")]


def test_comparing_rows_with_the_book_costs_the_same_queries_for_ten_rows_or_a_thousand(
    alice, alices_client
):
    def follow_ups(rows: int) -> bytes:
        lines = (
            f"Acme Logistics,alice@example.com,Call {n},2031-01-{1 + n % 28:02d}\n"
            for n in range(rows)
        )
        return ("client,owner,title,due_on\n" + "".join(lines)).encode()

    records_import(record_type="follow_ups", data=follow_ups(10), by=alice)
    with CaptureQueriesContext(connection) as ten:
        report = records_import(
            record_type="follow_ups", data=follow_ups(10), by=alice, dry_run=True
        )
    assert len(report.warnings) == 10

    with CaptureQueriesContext(connection) as thousand:
        report = records_import(
            record_type="follow_ups", data=follow_ups(BATCH_SIZE), by=alice, dry_run=True
        )
    assert len(_reads(thousand)) == len(_reads(ten))
    if connection.vendor == "postgresql":
        assert len(thousand) == len(ten)
    else:
        # SQLite batches a dry run's writes by its limit of 999 parameters a statement: one
        # insert per about 60 follow-ups, never one per row.
        assert len(thousand) - len(ten) < BATCH_SIZE // 50
    # The ten rows of the first file, not the other 990.
    assert [warning.line for warning in report.warnings] == list(range(2, 12))


def test_a_file_read_from_a_pipe_is_imported_and_remembered(alice, alices_client):
    read, write = os.pipe()
    os.write(write, FOLLOW_UPS.encode())
    os.close(write)
    with os.fdopen(read, "rb", buffering=0) as pipe:
        report = records_import(record_type="follow_ups", file=pipe, by=alice)

    assert report.ok, report.errors
    assert FollowUp.objects.count() == 2
    assert ImportBatch.objects.get().sha256 == hashlib.sha256(FOLLOW_UPS.encode()).hexdigest()
