"""The import page: upload, a dry run in the background with counts and first rows, then
confirm; and downloads of the same formats, limited to what the user may see."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.models import Interaction
from tests.factories import ClientFactory

CALLS = (
    "client,occurred_at,kind,logged_by,topic\n"
    "Acme Logistics,2025-01-06T10:00:00+00:00,call,alice@example.com,Renewal\n"
    "Acme Logistics,2025-01-07T10:00:00+00:00,meeting,alice@example.com,Kick-off\n"
)


def upload(client, text: str, record_type: str = "interactions", **extra):
    """Post the upload form; the response is the redirect to the job's page."""
    return client.post(
        reverse("imports:import"),
        {
            "record_type": record_type,
            "file": SimpleUploadedFile("calls.csv", text.encode()),
            **extra,
        },
    )


def test_a_brm_checks_a_file_then_imports_it(client, alice, alices_client, import_jobs_run):
    client.force_login(alice)
    with import_jobs_run():
        checked = upload(client, CALLS)

    page = client.get(checked["Location"])

    assert page.status_code == 200
    text = page.content.decode()
    assert "calls.csv</strong> is valid: 2 rows would import" in text
    assert "<li>2 interactions</li>" in text
    assert "Kick-off" in text
    assert Interaction.objects.count() == 0

    with import_jobs_run():
        imported = client.post(checked["Location"] + "import/")
    result = client.get(imported["Location"]).content.decode()

    assert Interaction.objects.count() == 2
    assert "calls.csv</strong> was imported: 2 rows" in result


def test_the_job_page_names_what_the_file_holds_in_words(
    client, alice, alices_client, import_jobs_run
):
    client.force_login(alice)
    with import_jobs_run():
        checked = upload(
            client,
            "client,owner,title,due_on\nAcme Logistics,alice@example.com,Call back,2031-01-06\n",
            record_type="follow_ups",
        )
    text = client.get(checked["Location"]).content.decode()
    assert "Follow-ups file uploaded" in text


def test_a_rejected_file_lists_its_bad_lines_and_offers_no_import(
    client, alice, alices_client, import_jobs_run
):
    client.force_login(alice)
    with import_jobs_run():
        checked = upload(client, CALLS + "Acme Logistics,tomorrow,call,alice@example.com,\n")

    response = client.get(checked["Location"])

    page = response.content.decode()
    assert response.status_code == 422
    assert "<strong>Line 4:</strong>" in page
    assert "nothing was saved" in page
    assert f'action="{checked["Location"]}import/"' not in page


def test_a_file_that_failed_its_check_cannot_be_imported(
    client, alice, alices_client, import_jobs_run
):
    client.force_login(alice)
    with import_jobs_run():
        checked = upload(client, CALLS + "Acme Logistics,tomorrow,call,alice@example.com,\n")
        response = client.post(checked["Location"] + "import/", follow=True)

    assert "Only a file whose dry run passed can be imported." in response.content.decode()
    assert Interaction.objects.count() == 0


def test_the_file_is_checked_again_when_it_is_imported(
    client, alice, alices_client, import_jobs_run
):
    client.force_login(alice)
    with import_jobs_run():
        checked = upload(client, CALLS)
    alices_client.name = "Acme Renamed"
    alices_client.save()

    with import_jobs_run():
        imported = client.post(checked["Location"] + "import/")
    response = client.get(imported["Location"])

    assert response.status_code == 422
    assert "there is no client named" in response.context["report"].errors[0].message
    assert Interaction.objects.count() == 0


def test_managers_do_not_import(client, maria):
    client.force_login(maria)
    assert client.get(reverse("imports:import")).status_code == 403
    assert "Import" not in [
        item["label"] for item in client.get("/", follow=True).context["nav_items"]
    ]


def test_a_download_holds_only_the_clients_the_user_may_see(client, alice, carol, maria):
    ClientFactory(name="Acme Logistics", owner=alice)
    ClientFactory(name="Carol's Cafe", owner=carol)
    client.force_login(alice)
    response = client.get(reverse("imports:export", args=["clients"]))
    body = b"".join(response.streaming_content if response.streaming else [response.content])
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert b"Acme Logistics" in body
    assert b"Carol" not in body
    client.force_login(maria)
    assert b"Acme Logistics" in client.get(reverse("imports:export", args=["clients"])).content


def test_brms_and_admins_find_the_import_page_in_the_menu(client, alice, admin_user):
    for user in (alice, admin_user):
        client.force_login(user)
        page = client.get(reverse("imports:import"))
        assert "Import" in [item["label"] for item in page.context["nav_items"]]
    assert "ownership_history" in page.content.decode()
