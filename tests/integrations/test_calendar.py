"""The private calendar feed as Outlook or Google Calendar reads it."""

from datetime import timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from crm import services
from integrations.calendar import calendar_feed_create
from tests.factories import ClientFactory, DealFactory, FollowUpFactory

pytestmark = pytest.mark.django_db


def events(response) -> dict[str, object]:
    calendar = Calendar.from_ical(response.content)
    return {str(e["summary"]): e for e in calendar.walk("VEVENT")}


def test_the_feed_lists_open_follow_ups_and_expected_closes_of_the_users_own_book(
    client, alice, bob
):
    acme = ClientFactory(name="Acme", owner=alice)
    due = timezone.localdate() + timedelta(days=3)
    FollowUpFactory(client=acme, owner=alice, title="Send the deck", due_on=due)
    done = FollowUpFactory(client=acme, owner=alice, title="Old call")
    services.follow_up_complete(follow_up=done)
    FollowUpFactory(client=ClientFactory(owner=bob), owner=bob, title="Bob's call")
    DealFactory(client=acme, title="Renewal", expected_close_on=due + timedelta(days=10))
    _, raw = calendar_feed_create(user=alice)

    response = client.get(f"/integrations/calendar/{raw}.ics")

    found = events(response)
    assert response["Content-Type"].startswith("text/calendar")
    assert set(found) == {
        "Follow up: Send the deck (Acme)",
        "Expected close: Renewal (Acme, GBP 5,000)",
    }
    assert found["Follow up: Send the deck (Acme)"].decoded("dtstart") == due


def test_a_new_address_or_a_revoked_one_stops_the_old_address(client, alice):
    _, first = calendar_feed_create(user=alice)
    client.force_login(alice)
    client.post("/integrations/calendar/")
    page = client.get("/integrations/").content.decode()
    client.logout()

    assert client.get(f"/integrations/calendar/{first}.ics").status_code == 404
    assert "/integrations/calendar/" in page and "Copy it now" in page
    client.force_login(alice)
    client.post("/integrations/calendar/revoke/")
    client.logout()
    assert not alice.calendar_feeds.filter(revoked_at__isnull=True).exists()
    assert client.get("/integrations/calendar/not-a-token.ics").status_code == 404
