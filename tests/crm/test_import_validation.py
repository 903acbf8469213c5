"""A file is imported whole or not at all, and every problem is reported by its line."""

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from crm.imports.services import records_import
from crm.models import Client, Contact, Interaction
from tests.factories import ClientFactory

HEADER = "client,occurred_at,kind,logged_by,topic\n"


def run(record_type: str, text: str | bytes, by=None, dry_run=False):
    data = text if isinstance(text, bytes) else text.encode()
    return records_import(record_type=record_type, data=data, by=by, dry_run=dry_run)


def problems(report) -> list[tuple[int | None, str]]:
    return [(error.line, error.message) for error in report.errors]


def test_every_bad_row_is_reported_with_its_line_and_nothing_of_the_file_is_saved(
    alices_client, alice
):
    text = (
        HEADER
        + "Acme Logistics,2025-01-06T10:00:00+00:00,call,alice@example.com,Good row\n"
        + "Acme Logistics,yesterday,call,alice@example.com,\n"
        + "\n"
        + "Nobody Ltd,2025-01-06T10:00:00,meeting,alice@example.com,\n"
        + "Acme Logistics,2025-01-06,fax,ghost@example.com,\n"
        + "Acme Logistics,2025-01-07T10:00:00Z,call,alice@example.com,Also good\n"
    )
    before = Interaction.objects.count()

    report = run("interactions", text)

    assert problems(report) == [
        (
            3,
            'occurred_at "yesterday" is not an ISO 8601 date-time (YYYY-MM-DDTHH:MM[:SS][+HH:MM]).',
        ),
        (5, 'client: there is no client named "Nobody Ltd".'),
        (6, 'kind "fax" is not one of: meeting, call, email, message, event, note.'),
    ]
    assert not report.saved
    assert Interaction.objects.count() == before


def test_rows_that_parse_are_still_checked_against_the_book_so_every_line_is_listed(
    alices_client,
):
    text = HEADER + (
        "Acme Logistics,2025-01-06T10:00:00+00:00,call,ghost@example.com,\n"
        "acme logistics,2999-01-01T10:00:00+00:00,call,alice@example.com,\n"
    )
    report = run("interactions", text)
    assert problems(report) == [
        (2, 'logged_by: there is no user with the e-mail "ghost@example.com".'),
        (3, "occurred_at: 2999-01-01T10:00:00+00:00 is in the future."),
    ]


def test_a_quoted_cell_over_several_lines_keeps_later_line_numbers_physical(alices_client):
    text = HEADER + (
        'Acme Logistics,2025-01-06T10:00:00+00:00,call,alice@example.com,"two\nlines"\n'
        "Acme Logistics,2025-13-01,call,alice@example.com,\n"
    )
    assert [line for line, _ in problems(run("interactions", text))] == [4]


def test_a_date_time_without_an_offset_is_organisation_time(alices_client):
    text = HEADER + "Acme Logistics,2025-07-01T09:30:00,call,alice@example.com,\n"
    assert run("interactions", text).saved
    occurred = Interaction.objects.get().occurred_at
    assert occurred == datetime(2025, 7, 1, 9, 30, tzinfo=ZoneInfo("Europe/London"))


def test_a_byte_order_mark_is_tolerated_and_other_encodings_are_refused(alices_client):
    row = "Acme Logistics,2025-01-06T10:00:00+00:00,call,alice@example.com,Café\n"
    latin = (HEADER + row).encode("latin-1")
    report = run("interactions", latin)
    assert problems(report) == [
        (
            2,
            "the file is not UTF-8 text (byte 0xe9 cannot be read). "
            'Save it as "CSV UTF-8" and try again.',
        )
    ]
    assert run("interactions", "\ufeff" + HEADER + row).saved
    assert Interaction.objects.get().topic == "Café"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [(None, "The file is empty.")]),
        (HEADER, [(None, "The file has a header but no rows.")]),
        (
            "client,client,occurred_at,kind,logged_by,colour\n",
            [
                (1, 'column "client" appears more than once in the header.'),
                (
                    1,
                    'unknown column "colour"; the interactions columns are: client, '
                    "occurred_at, kind, direction, logged_by, topic, summary, contacts, "
                    "in_reply_to.",
                ),
            ],
        ),
        (
            "client,kind\nAcme,call\n",
            [
                (1, 'the required column "occurred_at" is missing.'),
                (1, 'the required column "logged_by" is missing.'),
            ],
        ),
        (
            HEADER + "Acme Logistics,2025-01-06,call\n",
            [(2, "expected 5 fields, as in the header, not 3.")],
        ),
    ],
    ids=["empty", "no rows", "duplicate and unknown columns", "missing columns", "short row"],
)
def test_file_level_problems_are_explained(alices_client, text, expected):
    assert problems(run("interactions", text)) == expected


def test_decimals_booleans_and_required_cells_are_validated_with_readable_messages(
    alices_client,
):
    header = "client,product,recognised_on,amount,cost_to_serve\n"
    report = run(
        "revenue",
        header
        + "Acme Logistics,Analytics,2025-01-31,12.345,\n"
        + "Acme Logistics,Analytics,31/01/2025,1e400x,\n"
        + "Acme Logistics,,2025-01-31,10,-1\n",
    )
    assert problems(report) == [
        (2, 'amount "12.345" has more than 2 decimal places.'),
        (3, 'recognised_on "31/01/2025" is not a date (YYYY-MM-DD).'),
        (3, 'amount "1e400x" is not a number (use . for decimals).'),
        (4, "product is required."),
    ]
    contacts = run("contacts", "client,name,opted_out_of_surveys\nAcme Logistics,Dana,maybe\n")
    assert problems(contacts) == [
        (2, 'opted_out_of_surveys "maybe" is not a boolean (true or false).')
    ]


def test_a_dry_run_reports_what_would_be_imported_and_saves_nothing(alices_client):
    text = HEADER + "Acme Logistics,2025-01-06T10:00:00+00:00,call,alice@example.com,\n"
    report = run("interactions", text, dry_run=True)
    assert report.ok and not report.saved
    assert report.counts == {"interactions": 1, "contact links": 0}
    assert report.preview == [
        ["Acme Logistics", "2025-01-06T10:00:00+00:00", "call", "alice@example.com", ""]
    ]
    assert Interaction.objects.count() == 0


def test_an_error_found_while_saving_still_rolls_back_the_rows_saved_before_it(alice):
    ClientFactory(name="Acme Logistics", owner=alice)
    report = run(
        "clients",
        "name,relationship_type,owner,relationship_started_on,website\n"
        "Borealis,functional,alice@example.com,2024-01-01,\n"
        "Cobalt,functional,alice@example.com,2024-01-01,not a url\n"
        "ACME LOGISTICS,functional,alice@example.com,2024-01-01,\n",
    )
    assert problems(report) == [
        (3, "website: Enter a valid URL."),
        (4, 'name: a client named "ACME LOGISTICS" already exists.'),
    ]
    assert list(Client.objects.values_list("name", flat=True)) == ["Acme Logistics"]


def test_contacts_of_a_client_must_have_distinct_names(alices_client):
    report = run(
        "contacts",
        "client,name\nAcme Logistics,Dana Reyes\nAcme Logistics,dana reyes\n",
    )
    assert problems(report) == [(3, 'name: "dana reyes" of Acme Logistics is also on line 2.')]
    assert Contact.objects.count() == 0


def test_the_import_command_lists_every_bad_line_and_fails(alices_client, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text(HEADER + "Acme Logistics,soon,call,alice@example.com,\nX,,call,,\n")
    stderr = io.StringIO()
    with pytest.raises(CommandError, match="rejected with 3 problem"):
        call_command("import_csv", "interactions", str(path), stderr=stderr)
    lines = stderr.getvalue().splitlines()
    assert [line.split(": ", 1)[1].split(":")[0] for line in lines] == [
        "line 2",
        "line 3",
        "line 3",
    ]


def test_the_import_command_dry_run_saves_nothing_and_a_real_run_saves(alices_client, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text(HEADER + "Acme Logistics,2025-01-06T10:00:00+00:00,call,alice@example.com,\n")
    out = io.StringIO()
    call_command("import_csv", "interactions", str(path), "--dry-run", stdout=out)
    assert "would import 1 interactions" in out.getvalue()
    assert Interaction.objects.count() == 0
    call_command("import_csv", "interactions", str(path), stdout=out)
    assert Interaction.objects.count() == 1
