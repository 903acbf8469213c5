"""Every CSV the product writes opens safely and correctly in a spreadsheet, and the importer
reads back what it wrote: formula guard, byte-order mark, semicolon files, warnings."""

from decimal import Decimal

import pytest
from django.urls import reverse

from crm.csvfiles import csv_cell, guard_text, unguard_text
from crm.imports.services import records_import
from crm.models import Contact
from tests.factories import ClientFactory, ContactFactory


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-Head of Ops", "'-Head of Ops"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\tindented", "'\tindented"),
        ("\rreturn", "'\rreturn"),
        ("'Tis the season", "''Tis the season"),
        ("Zoë Müller GmbH", "Zoë Müller GmbH"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_text_that_a_spreadsheet_would_run_is_written_as_text_and_read_back_unchanged(
    text, written
):
    assert guard_text(text) == written
    assert unguard_text(written) == text


def test_a_cell_typed_by_hand_with_an_apostrophe_is_kept():
    assert unguard_text("'hello") == "'hello"


def test_numbers_dates_and_booleans_stay_raw_so_a_spreadsheet_computes_with_them():
    assert [csv_cell(Decimal("-20.05")), csv_cell(-3.5), csv_cell(True), csv_cell(None)] == [
        "-20.05",
        "-3.5",
        "true",
        "",
    ]
    assert csv_cell(["=evil", "Ann"]) == "'=evil; Ann"


def test_every_record_download_starts_with_a_byte_order_mark_for_excel(client, alice):
    ClientFactory(name="Zoë Müller GmbH", owner=alice)
    client.force_login(alice)
    response = client.get(reverse("imports:export", args=["clients"]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith("\ufeffname,".encode())
    assert "Zoë Müller GmbH".encode() in response.content


def test_a_downloaded_file_imports_again_with_its_byte_order_mark(client, alice, admin_user):
    acme = ClientFactory(name="Zoë Müller GmbH", owner=alice)
    ContactFactory(client=acme, name="Zoë", phone="+44 20 7946 0000")
    client.force_login(alice)
    downloaded = client.get(reverse("imports:export", args=["contacts"])).content
    Contact.objects.all().delete()
    report = records_import(record_type="contacts", data=downloaded, by=admin_user)
    assert report.saved, report.errors
    assert Contact.objects.get().phone == "+44 20 7946 0000"
    assert client.get(reverse("imports:export", args=["contacts"])).content == downloaded


def test_a_semicolon_separated_file_from_european_excel_imports(alice, admin_user):
    ClientFactory(name="Acme Logistics", owner=alice)
    text = (
        "\ufeffclient;name;email;phone\r\n"
        'Acme Logistics;Dana Reyes;dana@acme.example;"+44 20 7946 0000"\r\n'
        "Acme Logistics;Zoë Müller;zoe@acme.example;\r\n"
    )
    report = records_import(record_type="contacts", data=text.encode(), by=admin_user)
    assert report.saved, report.errors
    assert sorted(Contact.objects.values_list("name", "phone")) == [
        ("Dana Reyes", "+44 20 7946 0000"),
        ("Zoë Müller", ""),
    ]


def test_a_semicolon_file_with_a_wrong_column_names_the_column_not_the_whole_header(admin_user):
    text = (
        "name;relationship_type;owner;relationship_started_on;colour\n"
        "Acme;strategic;alice@example.com;2024-01-01;red\n"
    )
    report = records_import(record_type="clients", data=text.encode(), by=admin_user)
    messages = [error.message for error in report.errors]
    assert len(messages) == 1
    assert messages[0].startswith('unknown column "colour"')


def test_a_comma_file_whose_cells_hold_semicolons_is_still_read_as_commas(alice, admin_user):
    ClientFactory(name="Acme Logistics", owner=alice)
    text = "client,name,role\nAcme Logistics,Dana Reyes,Ops; Finance\n"
    report = records_import(record_type="contacts", data=text.encode(), by=admin_user)
    assert report.saved, report.errors
    assert Contact.objects.get().role == "Ops; Finance"
