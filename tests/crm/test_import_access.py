"""Imports obey the page rules: a BRM writes only as themself into their own book, learns
nothing about other books, and does not import the client's voice; every imported record says
where it came from (issue 12, items 1 to 3)."""

from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from crm.imports.services import records_import
from crm.models import FollowUp, ImportedRecord, Interaction
from surveys.models import Response
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def run(record_type: str, text: str, by, dry_run=False, file_name=""):
    return records_import(
        record_type=record_type,
        data=text.encode(),
        by=by,
        dry_run=dry_run,
        file_name=file_name,
    )


def messages(report) -> list[str]:
    return [error.message for error in report.errors]


# --- 1. Every column that names a user ---------------------------------------------------------


@pytest.mark.parametrize(
    ("record_type", "rows", "column", "model"),
    [
        # Follow-ups on another BRM's Today (one line of the file is fine: none is saved).
        (
            "follow_ups",
            "client,owner,title,due_on\n"
            "Acme Logistics,{carol},Call them,2025-01-01\n"
            "Acme Logistics,{alice},Call them,2025-01-01\n",
            "owner",
            FollowUp,
        ),
        # Interactions logged in an admin's name.
        (
            "interactions",
            "client,occurred_at,kind,logged_by\nAcme Logistics,2025-01-06T09:00,call,{admin}\n",
            "logged_by",
            Interaction,
        ),
    ],
)
def test_a_brm_cannot_name_anyone_else_in_a_column_that_names_a_user(
    alice, carol, admin_user, alices_client, record_type, rows, column, model
):
    text = rows.format(alice=alice.email, carol=carol.email, admin=admin_user.email)
    report = run(record_type, text, by=alice)
    assert messages(report) == [f"{column}: you may name only yourself (alice@example.com) here."]
    assert not model.objects.exists()


def test_a_brm_imports_in_their_own_name_and_an_admin_in_anyones(alice, admin_user, alices_client):
    mine = run(
        "follow_ups",
        f"client,owner,title,due_on\nAcme Logistics,{alice.email},Call them,2025-01-01\n",
        by=alice,
    )
    for_alice = run(
        "follow_ups",
        f"client,owner,title,due_on\nAcme Logistics,{alice.email},Send deck,2025-01-02\n",
        by=admin_user,
    )
    assert mine.saved and for_alice.saved
    assert FollowUp.objects.filter(owner=alice).count() == 2


# --- 2. No oracle of other books ----------------------------------------------------------------


def test_a_dry_run_does_not_reveal_a_client_in_another_book(alice, carol):
    ClientFactory(name="Carol Corp", owner=carol)
    ClientFactory(name="Acme Logistics", owner=alice)
    header = "name,relationship_type,owner,relationship_started_on\n"
    report = run(
        "clients",
        header
        + f"Carol Corp,functional,{alice.email},2024-01-01\n"
        + f"Acme Logistics,functional,{alice.email},2024-01-01\n",
        by=alice,
        dry_run=True,
    )
    assert messages(report) == [
        'name: "Carol Corp" cannot be used for a new client; choose another name.',
        'name: a client named "Acme Logistics" already exists.',
    ]
    assert carol.email not in " ".join(messages(report))


def test_naming_another_user_does_not_reveal_whether_they_exist(alice, carol):
    header = "name,relationship_type,owner,relationship_started_on\n"
    known = run("clients", header + f"New Co,functional,{carol.email},2024-01-01\n", by=alice)
    unknown = run("clients", header + "New Co,functional,ghost@example.com,2024-01-01\n", by=alice)
    assert messages(known) == messages(unknown)


# --- 3. Answers are imported by administrators, and every import is traceable -----------------


ANSWERS = "client,kind,score,answered_at\n" + "Acme Logistics,nps,10,2024-05-05T12:00\n" * 20


def test_a_brm_cannot_import_survey_answers_for_their_own_clients(alice, alices_client):
    report = run("survey_answers", ANSWERS, by=alice)
    assert messages(report) == ["Only an administrator may import survey answers."]
    assert not Response.objects.exists()


def test_a_brm_is_not_offered_the_survey_answers_format(client, alice):
    client.force_login(alice)
    page = client.get(reverse("imports:import")).content.decode()
    assert 'value="survey_answers"' not in page


def test_every_imported_record_carries_its_file_who_and_when(admin_user, alices_client):
    report = run("survey_answers", ANSWERS, by=admin_user, file_name="history-2024.csv")
    assert report.saved, report.errors
    sources = ImportedRecord.objects.filter(
        content_type=ContentType.objects.get_for_model(Response)
    ).select_related("batch")
    assert sorted(source.object_id for source in sources) == sorted(
        Response.objects.values_list("pk", flat=True)
    )
    batch = sources[0].batch
    assert (batch.file_name, batch.imported_by, batch.record_type, batch.row_count) == (
        "history-2024.csv",
        admin_user,
        "survey_answers",
        20,
    )
    assert batch.imported_at.date() == date.today()


def test_a_dry_run_leaves_no_source_behind(admin_user, alices_client):
    run("survey_answers", ANSWERS, by=admin_user, dry_run=True, file_name="x.csv")
    assert not ImportedRecord.objects.exists()


def test_the_drill_down_shows_which_answers_came_from_an_import(
    client, admin_user, alice, alices_client
):
    run("survey_answers", ANSWERS, by=admin_user, file_name="history-2024.csv")
    client.force_login(admin_user)
    page = client.get(
        reverse("kpi_records", args=["brm", alice.pk, "nps"]), {"period": "2024-05"}
    ).content.decode()
    assert ">imported</span>" in page
    assert "history-2024.csv by Ada Admin" in page


def test_a_brm_cannot_import_survey_invitations(alice, alices_client):
    report = run("survey_invitations", "client\nAcme Logistics\n", by=alice)
    assert messages(report) == ["Only an administrator may import survey invitations."]
