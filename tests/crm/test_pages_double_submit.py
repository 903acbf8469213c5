"""A form sent twice (a double click, a resubmitted page) saves once (issue 12, item 13)."""

import re

import pytest
from django.urls import reverse

from crm.models import Contact, FollowUp, Interaction


def _token(page: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', page).group(1)


def test_a_double_submitted_quick_log_saves_one_interaction(client, alice, alices_client):
    client.force_login(alice)
    token = _token(client.get(reverse("interaction_log")).content.decode())
    data = {"client": alices_client.pk, "kind": "call", "topic": "Renewal", "form_token": token}

    first = client.post(reverse("interaction_log"), data)
    second = client.post(reverse("interaction_log"), data)

    assert Interaction.objects.filter(client=alices_client).count() == 1
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]


def test_a_double_submitted_quick_log_under_htmx_saves_one_interaction(
    client, alice, alices_client
):
    client.force_login(alice)
    token = _token(client.get(reverse("interaction_log"), HTTP_HX_REQUEST="true").content.decode())
    data = {"client": alices_client.pk, "kind": "call", "topic": "Renewal", "form_token": token}

    first = client.post(reverse("interaction_log"), data, HTTP_HX_REQUEST="true")
    second = client.post(reverse("interaction_log"), data, HTTP_HX_REQUEST="true")

    assert Interaction.objects.filter(client=alices_client).count() == 1
    assert first.status_code == 200
    assert second.status_code == 204
    # The fresh form that came back carries a new token: the next interaction saves.
    assert _token(first.content.decode()) != token


@pytest.mark.parametrize(
    ("form", "url_name", "data", "model"),
    [
        ("contact_form", "client_contact_add", {"contact-name": "Sam Ode"}, Contact),
        (
            "follow_up_form",
            "client_follow_up_add",
            {"follow_up-title": "Send the deck", "follow_up-due_on": "2026-12-01"},
            FollowUp,
        ),
    ],
)
def test_client_page_forms_sent_twice_save_once(
    client, alice, alices_client, form, url_name, data, model
):
    client.force_login(alice)
    page = client.get(reverse("client_detail", args=[alices_client.pk]), {"form": form})
    data = {**data, "form_token": _token(page.content.decode())}
    url = reverse(url_name, args=[alices_client.pk])

    client.post(url, data)
    client.post(url, data)

    assert model.objects.filter(client=alices_client).count() == 1


def test_a_form_shown_again_with_errors_can_be_corrected_and_sent(client, alice, alices_client):
    client.force_login(alice)
    token = _token(client.get(reverse("interaction_log")).content.decode())
    refused = client.post(
        reverse("interaction_log"),
        {"client": alices_client.pk, "kind": "call", "form_token": token},
    )
    assert refused.status_code == 422
    again = {"client": alices_client.pk, "kind": "call", "topic": "Renewal"}
    client.post(
        reverse("interaction_log"), {**again, "form_token": _token(refused.content.decode())}
    )
    assert Interaction.objects.filter(client=alices_client).count() == 1


def test_with_the_cache_down_the_form_still_saves(client, alice, alices_client, monkeypatch):
    class Down:
        def __getattr__(self, name):
            raise ConnectionError("redis is down")

    monkeypatch.setattr("crm.idempotency.cache", Down())
    client.force_login(alice)
    data = {"client": alices_client.pk, "kind": "call", "topic": "Renewal", "form_token": "abc"}
    assert client.post(reverse("interaction_log"), data).status_code == 302
    assert Interaction.objects.filter(client=alices_client).count() == 1
