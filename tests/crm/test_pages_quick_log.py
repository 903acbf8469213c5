"""Logging an interaction in seconds, from anywhere, without a page reload."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import FollowUp, Interaction
from tests.factories import ClientFactory

LOG = reverse("interaction_log")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def log(client, alice, alices_client):
    """The quick log posted by Alice from an htmx page: her client unless ``client`` is given."""
    client.force_login(alice)
    return lambda **fields: client.post(LOG, {"client": alices_client.pk, **fields}, **HTMX)


def test_every_page_offers_the_quick_log_button_to_brms_but_not_to_managers(
    client, alice, maria, alices_client
):
    client.force_login(alice)
    assert "data-quick-log" in client.get(reverse("client_list")).content.decode()
    client.force_login(maria)
    assert "data-quick-log" not in client.get(reverse("client_list")).content.decode()


def test_the_form_offers_only_clients_the_user_may_write(client, alice, bob, alices_client):
    ClientFactory(name="Bobs Bakery", owner=bob)
    client.force_login(alice)
    form = client.get(LOG, {"client": alices_client.pk}, **HTMX).context["form"]
    assert list(form.fields["client"].queryset) == [alices_client]
    assert form["client"].value() == str(alices_client.pk)


def test_three_fields_log_an_interaction_with_a_follow_up_without_a_reload(log, alice):
    due = timezone.localdate() + timedelta(days=2)

    response = log(
        kind="call",
        summary="Agreed to a pilot",
        follow_up_title="Send pilot plan",
        follow_up_due_on=due.isoformat(),
    )

    assert response.status_code == 200
    assert response.templates[0].name == "crm/partials/quick_log_form.html"
    assert response["HX-Trigger"] == "interactionLogged"
    assert "Logged: Call with Acme Logistics" in response.content.decode()
    interaction = Interaction.objects.get()
    assert interaction.direction == Interaction.Direction.OUTBOUND
    assert interaction.owner == alice and interaction.logged_by == alice
    assert abs(interaction.occurred_at - timezone.now()) < timedelta(minutes=1)
    follow_up = FollowUp.objects.get()
    assert (follow_up.title, follow_up.due_on, follow_up.interaction) == (
        "Send pilot plan",
        due,
        interaction,
    )
    assert follow_up.origin == FollowUp.Origin.INTERACTION


def test_a_note_is_internal_by_default(log):
    log(kind="note", topic="Org chart")
    assert Interaction.objects.get().direction == Interaction.Direction.INTERNAL


def test_a_meeting_is_two_way_by_default_and_the_form_preselects_it(log, client, alices_client):
    form = client.get(LOG, {"client": alices_client.pk, "kind": "meeting"}, **HTMX)
    assert form.context["form"]["direction"].value() == Interaction.Direction.TWO_WAY
    assert 'data-two-way-kinds="meeting event"' in form.content.decode()

    log(kind="meeting", topic="QBR")

    meeting = Interaction.objects.get()
    assert meeting.direction == Interaction.Direction.TWO_WAY
    assert meeting.is_two_way


def test_only_a_meeting_or_an_event_may_be_two_way(log):
    response = log(kind="call", topic="Hi", direction="two_way")
    assert "Only a meeting or an event is two-way" in response.content.decode()
    assert not Interaction.objects.exists()


def test_validation_errors_come_back_in_the_form_and_nothing_is_saved(log):
    response = log(kind="call")

    assert response.status_code == 200
    assert "HX-Trigger" not in response
    assert "Give a topic or a summary" in response.content.decode()
    assert not Interaction.objects.exists()


def test_a_future_date_is_refused_on_its_field(log):
    tomorrow = timezone.localtime() + timedelta(days=1)
    response = log(
        kind="call", topic="Time travel", occurred_at=tomorrow.strftime("%Y-%m-%dT%H:%M")
    )
    assert response.context["form"].errors["occurred_at"] == [
        "An interaction cannot be logged in the future."
    ]
    assert not Interaction.objects.exists()


def test_another_brms_client_cannot_be_logged_against(log, bob):
    bobs = ClientFactory(name="Bobs Bakery", owner=bob)
    response = log(client=bobs.pk, kind="call", topic="Hi")
    assert "Select a valid choice" in response.content.decode()
    assert not Interaction.objects.exists()


def test_without_javascript_the_quick_log_is_a_page_that_redirects_to_the_client(
    client, alice, alices_client
):
    client.force_login(alice)
    assert client.get(LOG).status_code == 200
    response = client.post(LOG, {"client": alices_client.pk, "kind": "email", "topic": "Intro"})
    assert response.status_code == 302
    assert response.url == reverse("client_detail", args=[alices_client.pk])
