"""The REST API as another system uses it: tokens, sync, errors, limits, the schema."""

import html
from datetime import timedelta

import pytest
import yaml
from django.urls import reverse
from django.utils import timezone
from openapi_spec_validator import validate
from rest_framework.test import APIClient

from crm import services
from crm.models import Interaction
from integrations.models import ApiToken
from integrations.secrets import digest
from integrations.tokens import api_token_create, api_token_revoke
from tests.factories import ClientFactory, ContactFactory

pytestmark = pytest.mark.django_db


def test_the_schema_is_valid_openapi_3_and_lists_every_resource(client, alice):
    client.force_login(alice)
    response = client.get("/api/v1/schema/")

    schema = yaml.safe_load(response.content)
    validate(schema)
    assert schema["openapi"].startswith("3.")
    for path in ("/api/v1/clients/", "/api/v1/deals/{id}/move/", "/api/v1/kpi-snapshots/"):
        assert path in schema["paths"]
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_the_reference_page_loads_vendored_swagger_without_inline_scripts(client, alice):
    client.force_login(alice)
    response = client.get("/api/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "vendor/swagger-ui-dist-5.35.0/swagger-ui-bundle.js" in html
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "<script>" not in html and "cdn" not in html.lower()


def test_a_token_is_shown_once_stored_only_as_a_digest_and_stops_working_when_revoked(alice):
    token, raw = api_token_create(user=alice, name="Outlook", scope="read")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert token.token_hash == digest(raw) and raw not in str(token.__dict__)
    assert api.get("/api/v1/clients/").status_code == 200
    api_token_revoke(token=token)
    refused = api.get("/api/v1/clients/")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")


def test_without_a_token_the_api_answers_401_not_a_login_page():
    response = APIClient().get("/api/v1/clients/")
    assert response.status_code == 401
    assert response.json()["detail"]


def test_the_integrations_page_creates_a_token_shows_it_once_and_revokes_it(client, alice):
    client.force_login(alice)
    created = client.post("/integrations/api-tokens/", {"name": "Zapier", "scope": "write"})
    page = client.get(created.url).content.decode()
    token = ApiToken.objects.get(user=alice)
    shown_again = client.get("/integrations/").content.decode()

    assert "Copy it now" in page and token.prefix in page
    assert "Copy it now" not in shown_again
    client.post(f"/integrations/api-tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert not token.is_active


def test_someone_elses_token_cannot_be_revoked(client, alice, bob):
    token, _ = api_token_create(user=alice, name="Mine", scope="read")
    client.force_login(bob)
    assert client.post(f"/integrations/api-tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.is_active


def test_sync_pages_with_a_cursor_and_picks_up_only_what_changed_since(api, alice):
    clients = [ClientFactory(owner=alice) for _ in range(5)]
    caller = api(alice, "read")
    first = caller.get("/api/v1/clients/", {"page_size": 2}).json()
    second = caller.get(first["next"]).json()
    checkpoint = timezone.now()
    services.client_churn(client=clients[1], reason="Budget cut")

    changed = caller.get("/api/v1/clients/", {"updated_since": checkpoint.isoformat()}).json()

    assert [row["id"] for row in first["results"] + second["results"]] == [
        c.pk for c in clients[:4]
    ]
    assert [row["id"] for row in changed["results"]] == [clients[1].pk]
    assert changed["results"][0]["status"] == "churned"


def test_a_bad_updated_since_is_a_400_naming_the_parameter(api, alice):
    response = api(alice).get("/api/v1/interactions/", {"updated_since": "last tuesday"})
    assert response.status_code == 400
    assert "updated_since" in response.json()


def test_an_api_interaction_is_credited_to_whoever_owned_the_client_then(
    api, alice, bob, admin_user
):
    acme = ClientFactory(owner=alice)
    services.client_reassign(client=acme, new_owner=bob, at=timezone.now() - timedelta(days=3))
    dana = ContactFactory(client=acme)

    response = api(admin_user).post(
        "/api/v1/interactions/",
        {
            "client": acme.pk,
            "kind": "meeting",
            "occurred_at": (timezone.now() - timedelta(days=10)).isoformat(),
            "topic": "Quarterly review",
            "contacts": [dana.pk],
        },
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["owner"] == alice.pk
    assert response.json()["logged_by"] == admin_user.pk
    assert Interaction.objects.get(pk=response.json()["id"]).contacts.get() == dana


def test_service_validation_errors_are_400s_with_the_pages_message(api, alice):
    acme = ClientFactory(owner=alice)
    response = api(alice).post(
        "/api/v1/interactions/",
        {"client": acme.pk, "kind": "call", "occurred_at": "2999-01-01T10:00:00Z"},
        format="json",
    )
    assert response.status_code == 400
    assert "future" in str(response.json())
    assert not Interaction.objects.exists()


def test_a_contact_of_another_client_cannot_be_attached(api, alice):
    acme, other = ClientFactory(owner=alice), ClientFactory()
    response = api(alice).post(
        "/api/v1/interactions/",
        {"client": acme.pk, "kind": "call", "contacts": [ContactFactory(client=other).pk]},
        format="json",
    )
    assert response.status_code == 400
    assert not Interaction.objects.exists()


def test_each_token_is_rate_limited(api, alice, settings):
    settings.API_RATE_LIMIT = "3/min"
    caller = api(alice, "read")
    statuses = [caller.get("/api/v1/clients/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert api(alice, "read").get("/api/v1/clients/").status_code == 200


def test_kpi_snapshots_filter_by_kpi_and_reject_a_bad_date(api, alice):
    caller = api(alice, "read")
    assert caller.get("/api/v1/kpi-snapshots/", {"kpi": "nps"}).status_code == 200
    assert caller.get("/api/v1/kpi-snapshots/", {"period_start": "soon"}).status_code == 400


def test_a_browser_session_cannot_be_made_to_write_through_the_api_without_csrf(alice):
    acme = ClientFactory(owner=alice)
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(alice)

    forged = browser.post(
        "/api/v1/follow-ups/", {"client": acme.pk, "title": "x", "due_on": "2026-12-01"}
    )

    assert forged.status_code == 403
    assert "CSRF" in forged.json()["detail"]
    assert not acme.follow_ups.exists()


@pytest.mark.parametrize(
    ("who", "reach", "sees_admin_link"),
    [
        ("alice", "Other systems read your book", False),
        ("maria", "Other systems read your teams' books", False),
        ("admin_user", "Other systems read every book", True),
    ],
)
def test_the_integrations_page_says_whose_books_a_token_reads(
    request, client, who, reach, sees_admin_link
):
    client.force_login(request.getfixturevalue(who))
    page = html.unescape(client.get(reverse("integrations:settings")).content.decode())

    assert reach in page
    assert ("Django admin" in page) is sees_admin_link


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/deals/", {"title": "Renewal\nQ3", "value": "10"}, "title"),
        ("/api/v1/follow-ups/", {"title": "Call\x07back", "due_on": "2026-12-20"}, "title"),
        ("/api/v1/issues/", {"title": "Slow\x1b[31m"}, "title"),
        (
            "/api/v1/revenue/",
            {"product": "Lic\u2028ence", "recognised_on": "2026-11-02", "amount": "5"},
            "product",
        ),
        ("/api/v1/interactions/", {"kind": "call", "topic": "Re\rnewal"}, "topic"),
    ],
    ids=["deal-newline", "follow-up-bell", "issue-escape", "revenue-line-separator", "topic-cr"],
)
def test_the_api_refuses_the_control_characters_the_pages_refuse(api, alice, path, body, field):
    acme = ClientFactory(owner=alice)

    response = api(alice).post(path, {"client": acme.pk, **body}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not acme.deals.exists() and not acme.follow_ups.exists()


def test_a_summary_keeps_its_line_breaks_through_the_api(api, alice):
    acme = ClientFactory(owner=alice)

    response = api(alice).post(
        "/api/v1/interactions/",
        {"client": acme.pk, "kind": "meeting", "topic": "Review", "summary": "Agreed:\n- pilot"},
        format="json",
    )

    assert response.status_code == 201
    assert Interaction.objects.get().summary == "Agreed:\n- pilot"
