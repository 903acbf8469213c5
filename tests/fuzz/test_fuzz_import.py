"""Fuzzing the CSV import: random bytes, valid files with cells replaced by hostile text, and
files with random bytes flipped, through the service and through the upload page. Whatever
comes in, the answer is an import report (or a 4xx page), never an exception, and a file is
saved whole or not at all."""

import csv
import io

import pytest
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import event, given
from hypothesis import strategies as st

from crm.imports.services import records_import
from crm.models import Client, Contact, Interaction
from tests.factories import ContactFactory
from tests.fuzz.conftest import fuzz_settings
from tests.security.database import changed_tables, row_counts

pytestmark = pytest.mark.django_db

FUZZ = fuzz_settings(60)

# Cell texts that have broken importers before: formula injection, separators and quotes,
# out-of-range dates and numbers, look-alike digits, control characters, very long text.
NASTY_CELLS = [
    "",
    " ",
    '"',
    '""',
    ",",
    ";",
    "\n",
    "\r\n",
    "\t",
    '=HYPERLINK("http://evil.example")',
    "+1+1",
    "@SUM(A1)",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "2025-02-30",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "2025-01-06T10:00:00+25:00",
    "2025-01-06T10:00:00Z",
    "1e999999",
    "-1e-999999",
    "NaN",
    "Infinity",
    "١٢٣",
    "𝟙𝟚𝟛",
    "9" * 5000,
    "x" * 5000,
    "null",
    "None",
    "true",
    "TRUE",
    "ALICE@EXAMPLE.COM",
    "nobody@example.com",
    "acme logistics",
    "Acme Logistics ",
    "Robert'); DROP TABLE crm_client;--",
    "<script>alert(1)</script>",
    "\u202eevil",
    "\ufeff",
    "\x0b\x0c",
]

cell_text = st.one_of(
    st.sampled_from(NASTY_CELLS),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
)


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


# A valid file of each fuzzed type, for the fixtures below: alice imports into her own book.
VALID_ROWS = {
    "interactions": (
        ["client", "occurred_at", "kind", "logged_by", "topic", "summary", "contacts"],
        [
            "Acme Logistics",
            "2025-01-06T10:00:00+00:00",
            "call",
            "alice@example.com",
            "Renewal",
            "Talked terms",
            "Dana Diaz",
        ],
    ),
    "contacts": (
        ["client", "name", "email", "phone", "role", "opted_out_of_surveys"],
        ["Acme Logistics", "Sam Ode", "sam@acme.example", "+44 20 7946 0000", "CFO", "false"],
    ),
    "clients": (
        ["name", "relationship_type", "owner", "relationship_started_on", "website"],
        ["Zephyr Ltd", "strategic", "alice@example.com", "2024-04-01", "https://zephyr.example"],
    ),
}
# The table each type fills, to check that a report that says "saved" saved every row.
MAIN_TABLE = {"interactions": Interaction, "contacts": Contact, "clients": Client}


@pytest.fixture
def book(alice, alices_client):
    """Alice's client with one contact: enough for every valid row above to import."""
    ContactFactory(client=alices_client, name="Dana Diaz", email="dana@acme.example")
    return alices_client


def assert_all_or_nothing(report, before: dict[str, int], model, rows_in_file: int) -> None:
    changed = changed_tables(before)
    event("saved" if report.ok else "rejected")
    if report.ok:
        assert report.counts, "a successful import says what it saved"
        saved = changed.get(model._meta.label, (0, 0))
        assert saved[1] - saved[0] == rows_in_file, f"only part of the file was saved: {changed}"
    else:
        assert changed == {}, f"a rejected file saved something: {report.errors} {changed}"
        assert all(str(error) for error in report.errors)


@FUZZ
@given(data=st.binary(max_size=3000), record_type=st.sampled_from(sorted(VALID_ROWS)))
def test_random_bytes_are_rejected_with_a_report_and_save_nothing(book, alice, data, record_type):
    before = row_counts()
    report = records_import(record_type=record_type, data=data, by=alice)
    assert not report.ok
    assert changed_tables(before) == {}


@st.composite
def hostile_files(draw, record_type: str) -> bytes:
    """A valid file of ``record_type`` (one to four rows) with up to four cells replaced."""
    header, valid = VALID_ROWS[record_type]
    copies = draw(st.integers(min_value=1, max_value=4))
    rows = [list(valid) for _ in range(copies)]
    mutations = draw(st.lists(st.tuples(st.integers(0, 20), cell_text), max_size=4))
    for position, text in mutations:
        rows[position % copies][position % len(header)] = text
    return csv_text(header, rows).encode()


@FUZZ
@given(data=st.data(), record_type=st.sampled_from(sorted(VALID_ROWS)))
def test_valid_files_with_hostile_cells_import_whole_or_not_at_all(book, alice, data, record_type):
    before = row_counts()

    report = records_import(
        record_type=record_type, data=data.draw(hostile_files(record_type)), by=alice
    )

    assert_all_or_nothing(report, before, MAIN_TABLE[record_type], report.row_count)


@FUZZ
@given(
    record_type=st.sampled_from(sorted(VALID_ROWS)),
    flips=st.lists(
        st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)),
        min_size=1,
        max_size=6,
    ),
)
def test_valid_files_with_flipped_bytes_import_whole_or_not_at_all(book, alice, record_type, flips):
    header, valid = VALID_ROWS[record_type]
    data = bytearray(csv_text(header, [valid, valid]).encode())
    for position, byte in flips:
        data[position % len(data)] = byte
    before = row_counts()

    report = records_import(record_type=record_type, data=bytes(data), by=alice)

    assert_all_or_nothing(report, before, MAIN_TABLE[record_type], report.row_count)


def uploaded_file(name: str, content: bytes) -> SimpleUploadedFile:
    """The upload under the drawn name, or ``x.csv`` where Django itself refuses the name (``/``,
    ``..``): the test client cannot send such a name, and the server's multipart parser drops it."""
    try:
        return SimpleUploadedFile(name or "x.csv", content)
    except SuspiciousFileOperation:
        return SimpleUploadedFile("x.csv", content)


@FUZZ
@given(
    data=st.data(),
    record_type=st.one_of(st.sampled_from(sorted(VALID_ROWS)), st.text(max_size=20)),
    file_name=st.text(max_size=60),
)
def test_the_upload_page_answers_any_file_with_a_page_and_saves_only_what_was_confirmed(
    client, book, alice, import_jobs_run, data, record_type, file_name
):
    """The upload is a dry run (a job); importing a file that passed saves every row it
    checked."""
    known = record_type in VALID_ROWS
    upload = data.draw(
        st.one_of(st.binary(max_size=2000), hostile_files(record_type))
        if known
        else st.binary(max_size=200)
    )
    client.force_login(alice)
    before = row_counts()

    with import_jobs_run():
        response = client.post(
            reverse("imports:import"),
            {"record_type": record_type, "file": uploaded_file(file_name, upload)},
        )

    assert response.status_code in (302, 422)
    assert set(changed_tables(before)) <= {"crm.ImportJob"}
    if response.status_code == 422:
        event("refused by the form")
        return
    checked = client.get(response["Location"])
    assert checked.status_code in (200, 422)
    report = checked.context["report"]
    event("checked" if report.ok else "rejected")
    if not report.ok:
        return
    # Examples share the test's database, so an earlier one may have imported the same bytes:
    # the user is then told so and ticks "Import it again anyway".
    confirmation = {"import_again": "on"} if report.already_imported else {}
    with import_jobs_run():
        imported = client.post(response["Location"] + "import/", confirmation)
    assert imported.status_code == 302
    assert client.get(imported["Location"]).context["report"].ok
    saved = changed_tables(before)[MAIN_TABLE[record_type]._meta.label]
    assert saved[1] - saved[0] == report.row_count


# Found by fuzzing: the date-time is valid ISO 8601, but in UTC it falls before year 1 or
# after year 9999. SQLite raises OverflowError converting it (a 500 on upload); PostgreSQL
# stores it as a BC timestamp, after which every page reading the row fails with DataError.
@pytest.mark.parametrize(
    ("record_type", "text"),
    [
        (
            "interactions",
            "client,occurred_at,kind,logged_by\n"
            "Acme Logistics,0001-01-01T00:00:00+14:00,call,alice@example.com\n",
        ),
        ("contacts", "client,name,created_at\nAcme Logistics,Sam,0001-01-01T00:00:00+14:00\n"),
    ],
)
def test_a_date_time_outside_the_calendar_in_utc_is_a_line_error_not_a_crash(
    client, book, alice, import_jobs_run, record_type, text
):
    client.force_login(alice)
    before = row_counts()
    with import_jobs_run():
        response = client.post(
            reverse("imports:import"),
            {"record_type": record_type, "file": SimpleUploadedFile("edge.csv", text.encode())},
        )
    checked = client.get(response["Location"])
    assert checked.status_code == 422
    assert [error.line for error in checked.context["report"].errors] == [2]
    assert set(changed_tables(before)) == {"crm.ImportJob"}
