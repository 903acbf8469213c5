"""A drill-down warns when the records behind a stored number changed after the snapshot: an
edit through the pages (a contact taken off a meeting) and a deletion both trigger it, and the
client's timeline says what happened."""

import pytest
from django.urls import reverse

from crm import edits
from crm.models import Interaction
from metrics.periods import Period
from metrics.services import snapshot_take
from tests.factories import ContactFactory
from tests.metrics.factories import local, logged

pytestmark = pytest.mark.django_db

MARCH = Period.parse("2026-03")
WARNING = "The records have changed since the number was computed"


def reach_page(client, alice):
    url = reverse("kpi_records", args=["brm", alice.pk, "network_reach"]) + "?period=2026-03"
    return client.get(url)


@pytest.fixture
def meeting(alice, book_client):
    acme = book_client(alice, name="Acme")
    dana, eli = ContactFactory(client=acme, name="Dana"), ContactFactory(client=acme, name="Eli")
    meeting = logged(
        acme,
        Interaction.Kind.MEETING,
        local(2026, 3, 10),
        topic="Quarterly review",
        contacts=[dana, eli],
    )
    snapshot_take(period=MARCH)
    return meeting


def test_the_drilldown_reproduces_the_number_before_any_edit(client, alice, meeting):
    client.force_login(alice)
    response = reach_page(client, alice)
    assert response.context["drill"].reproduced
    assert WARNING not in response.content.decode()


def test_an_edit_after_the_snapshot_triggers_the_warning(client, alice, meeting):
    client.force_login(alice)
    dana = meeting.contacts.get(name="Dana")
    client.post(
        reverse("interaction_edit", args=[meeting.pk]),
        {"topic": "Quarterly review", "summary": "", "contacts": [dana.pk]},
    )
    assert list(meeting.contacts.all()) == [dana]

    response = reach_page(client, alice)

    assert not response.context["drill"].reproduced
    assert WARNING in response.content.decode()


def test_a_deletion_after_the_snapshot_triggers_the_warning_and_the_timeline_shows_it(
    client, alice, meeting
):
    acme = meeting.client
    edits.interaction_delete(interaction=meeting, by=alice)
    client.force_login(alice)

    response = reach_page(client, alice)

    assert not response.context["drill"].reproduced
    assert WARNING in response.content.decode()
    page = client.get(reverse("client_detail", args=[acme.pk])).content.decode()
    assert "Interaction deleted" in page
