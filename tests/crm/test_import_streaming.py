"""A big file is read as a stream and written in batches, in one transaction: memory follows the
batch, not the file, and one bad row anywhere, even the last, saves nothing."""

import io
import tracemalloc

import pytest
from django.db import connection

from crm.imports.services import BATCH_ROWS, MAX_LISTED, records_import
from crm.management.commands.bench_import import interactions_file
from crm.models import ImportBatch, Interaction

pytestmark = pytest.mark.django_db


def _peak_mb(data: bytes, by) -> float:
    """Peak of Python's allocations while ``data`` is dry-run, in MB (the file itself is
    allocated before tracing starts, as a stored upload is on disk)."""
    stream = io.BytesIO(data)
    tracemalloc.start()
    try:
        report = records_import(record_type="interactions", file=stream, by=by, dry_run=True)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
    assert report.ok, report.errors[:3]
    return peak


def test_doubling_the_file_does_not_double_the_memory_an_import_needs(
    alice, alices_client, settings
):
    # As a worker started by `make run`: with DEBUG on, Django logs the SQL of every query,
    # each batch's INSERT included; the import empties that log after each batch.
    settings.DEBUG = True
    rows = 2 * BATCH_ROWS
    small = _peak_mb(interactions_file(rows, client=alices_client.name, email=alice.email), alice)
    large = _peak_mb(
        interactions_file(2 * rows, client=alices_client.name, email=alice.email), alice
    )

    # Measured: 8.7 MB for either file, about one batch's worth. Holding the whole file took
    # about 3 KB a row (bench_import before streaming): 24 MB for the larger one. Keeping the
    # query log grew the peak by 0.6 MB a batch: 9.2 and 10.4 MB.
    assert small < 10
    assert large < small * 1.1
    # What is left of the log is the queries after the last batch, not the INSERTs.
    assert len(connection.queries_log) < 10


def test_a_bad_last_row_of_a_file_of_several_batches_saves_nothing(alice, alices_client):
    data = interactions_file(2 * BATCH_ROWS + 10, client=alices_client.name, email=alice.email)
    data += f"{alices_client.name},2024-01-01T09:00+00:00,fax,,{alice.email},,,,\n".encode()

    report = records_import(record_type="interactions", data=data, by=alice)

    last_line = 2 * BATCH_ROWS + 10 + 2
    assert [(error.line, error.message[:4]) for error in report.errors] == [(last_line, "kind")]
    assert report.counts == {}
    assert not Interaction.objects.exists()
    assert not ImportBatch.objects.exists()


def test_a_file_of_many_bad_rows_lists_the_first_hundred_and_counts_the_rest(alice, alices_client):
    rows = "".join(
        f"{alices_client.name},2024-01-01T09:{n % 60:02d}+00:00,fax,,{alice.email},,,,\n"
        for n in range(MAX_LISTED + 25)
    )
    data = interactions_file(0, client="", email="") + rows.encode()

    report = records_import(record_type="interactions", data=data, by=alice)

    assert [error.line for error in report.errors] == list(range(2, MAX_LISTED + 2))
    assert report.errors_unlisted == 25
    assert report.row_count == MAX_LISTED + 25


def test_a_reply_may_come_a_batch_before_the_message_it_answers(alice, alices_client):
    data = interactions_file(BATCH_ROWS, client=alices_client.name, email=alice.email)
    header, *lines = data.decode().splitlines(keepends=True)
    reply = f"{alices_client.name},2024-01-05T09:00+00:00,email,,{alice.email},,,,"
    reply += "2024-01-01T09:00+00:00\n"

    # The message it answers (the first of the generated rows) goes last, into the next batch.
    text = header + reply + "".join(reversed(lines))

    report = records_import(record_type="interactions", data=text.encode(), by=alice)

    assert report.ok, report.errors
    answered = Interaction.objects.get(in_reply_to__isnull=False)
    assert answered.in_reply_to.topic == "Renewal 0"


def test_an_unreadable_byte_deep_in_the_file_names_its_line_and_saves_nothing(alice, alices_client):
    lines = interactions_file(BATCH_ROWS + 500, client=alices_client.name, email=alice.email)
    lines = lines.splitlines(keepends=True)
    lines[BATCH_ROWS + 100] = lines[BATCH_ROWS + 100].replace(b"Renewal", b"Renew\xe9l")

    report = records_import(record_type="interactions", data=b"".join(lines), by=alice)

    assert [(error.line, error.message[:26]) for error in report.errors] == [
        (BATCH_ROWS + 101, "the file is not UTF-8 text")
    ]
    assert not Interaction.objects.exists()
