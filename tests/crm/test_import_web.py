"""The import page: upload, a dry-run preview with counts and first rows, then confirm; and
downloads of the same formats, limited to what the user may see."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.models import Interaction
from tests.factories import ClientFactory

CALLS = (
    "client,occurred_at,kind,logged_by,topic\n"
    "Acme Logistics,2025-01-06T10:00:00+00:00,call,alice@example.com,Renewal\n"
    "Acme Logistics,2025-01-07T10:00:00+00:00,meeting,alice@example.com,Kick-off\n"
)


def upload(client, text: str, record_type: str = "interactions"):
    return client.post(
        reverse("imports:import"),
        {"record_type": record_type, "file": SimpleUploadedFile("calls.csv", text.encode())},
    )


def test_a_brm_previews_a_file_then_confirms_it(client, alice, alices_client):
    client.force_login(alice)

    preview = upload(client, CALLS)

    assert preview.status_code == 200
    page = preview.content.decode()
    assert "2 interactions" in page
    assert "Kick-off" in page
    assert Interaction.objects.count() == 0
    token = preview.context["pending"]["token"]

    confirmed = client.post(reverse("imports:confirm"), {"token": token}, follow=True)

    assert Interaction.objects.count() == 2
    assert "Imported calls.csv: 2 interactions" in confirmed.content.decode()


def test_a_rejected_file_lists_its_bad_lines_and_offers_no_confirmation(
    client, alice, alices_client
):
    client.force_login(alice)
    response = upload(client, CALLS + "Acme Logistics,tomorrow,call,alice@example.com,\n")
    page = response.content.decode()
    assert response.status_code == 422
    assert "<strong>Line 4:</strong>" in page
    assert "nothing was saved" in page
    assert reverse("imports:confirm") not in page


def test_a_stale_confirmation_imports_nothing(client, alice, alices_client):
    client.force_login(alice)
    upload(client, CALLS)
    response = client.post(reverse("imports:confirm"), {"token": "not-the-token"}, follow=True)
    assert "That preview has expired" in response.content.decode()
    assert Interaction.objects.count() == 0


def test_the_file_is_checked_again_on_confirmation(client, alice, alices_client):
    client.force_login(alice)
    token = upload(client, CALLS).context["pending"]["token"]
    alices_client.name = "Acme Renamed"
    alices_client.save()
    response = client.post(reverse("imports:confirm"), {"token": token})
    assert response.status_code == 422
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
