"""My book: the clients a user may see, searchable, filterable, sortable, paged."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.models import RelationshipType
from tests.factories import ClientFactory, ContactFactory, FollowUpFactory, InteractionFactory

BOOK = reverse("client_list")


def names(response) -> list[str]:
    return [client.name for client in response.context["page"].object_list]


@pytest.mark.parametrize(
    ("who", "title", "sees"),
    [
        ("alice", "My book", {"Acme Logistics"}),
        ("maria", "Team book", {"Acme Logistics", "Bobs Bakery"}),
        ("admin_user", "All clients", {"Acme Logistics", "Bobs Bakery", "Carols Cars"}),
    ],
)
def test_the_book_lists_exactly_the_clients_each_role_may_read(
    request, client, alices_client, bob, carol, who, title, sees
):
    ClientFactory(name="Bobs Bakery", owner=bob)
    ClientFactory(name="Carols Cars", owner=carol)
    client.force_login(request.getfixturevalue(who))

    response = client.get(BOOK)

    assert response.status_code == 200
    assert set(names(response)) == sees
    assert f'<h1 class="h3 mb-0">{title}</h1>' in response.content.decode()


def test_the_book_shows_last_touch_and_open_follow_ups_per_client(client, alice, alices_client):
    touched = timezone.now() - timedelta(days=2)
    InteractionFactory(client=alices_client, occurred_at=touched - timedelta(days=30))
    InteractionFactory(client=alices_client, occurred_at=touched)
    FollowUpFactory(client=alices_client)
    FollowUpFactory(client=alices_client)
    done = FollowUpFactory(client=alices_client)
    services.follow_up_complete(follow_up=done)
    client.force_login(alice)

    row = client.get(BOOK).context["page"].object_list[0]

    assert row.last_touch == touched
    assert row.open_follow_ups == 2


def test_search_finds_clients_by_name_or_by_a_contacts_name(client, alice, alices_client):
    other = ClientFactory(name="Borealis Health", owner=alice)
    ContactFactory(client=other, name="Priya Patel")
    client.force_login(alice)

    assert names(client.get(BOOK, {"q": "acme"})) == ["Acme Logistics"]
    assert names(client.get(BOOK, {"q": "priya"})) == ["Borealis Health"]


def test_filters_narrow_by_type_status_and_dormancy(client, alice, alices_client, settings):
    settings.DORMANT_AFTER_DAYS = 90
    InteractionFactory(client=alices_client, occurred_at=timezone.now() - timedelta(days=100))
    fresh = ClientFactory(
        name="Fresh Foods", owner=alice, relationship_type=RelationshipType.PARTNER
    )
    InteractionFactory(client=fresh, occurred_at=timezone.now() - timedelta(days=3))
    gone = ClientFactory(name="Gone Gardens", owner=alice)
    services.client_churn(client=gone, reason="Moved supplier")
    client.force_login(alice)

    assert names(client.get(BOOK, {"type": "partner"})) == ["Fresh Foods"]
    assert names(client.get(BOOK, {"status": "churned"})) == ["Gone Gardens"]
    # Churned clients are not dormant; dormancy is about active relationships going cold.
    assert names(client.get(BOOK, {"dormant": "on"})) == ["Acme Logistics"]


def test_a_manager_filters_the_team_book_by_owner(client, maria, alices_client, bob):
    ClientFactory(name="Bobs Bakery", owner=bob)
    client.force_login(maria)
    assert names(client.get(BOOK, {"owner": bob.pk})) == ["Bobs Bakery"]


def test_sorting_by_last_touch_and_by_open_follow_ups(client, alice, alices_client):
    busy = ClientFactory(name="Busy Bees", owner=alice)
    FollowUpFactory(client=busy)
    InteractionFactory(client=busy, occurred_at=timezone.now() - timedelta(days=40))
    InteractionFactory(client=alices_client, occurred_at=timezone.now() - timedelta(days=1))
    never = ClientFactory(name="Zed Zinc", owner=alice)
    client.force_login(alice)

    assert names(client.get(BOOK, {"sort": "-last_touch"})) == [
        "Acme Logistics",
        "Busy Bees",
        never.name,
    ]
    assert names(client.get(BOOK, {"sort": "last_touch"}))[0] == never.name
    assert names(client.get(BOOK, {"sort": "-follow_ups"}))[0] == "Busy Bees"


def test_a_bad_filter_value_is_ignored_not_an_error(client, alice, alices_client):
    client.force_login(alice)
    response = client.get(BOOK, {"sort": "password", "type": "nonsense", "page": "9999"})
    assert response.status_code == 200
    assert names(response) == ["Acme Logistics"]


def test_the_book_pages_long_lists(client, alice):
    for n in range(30):
        ClientFactory(name=f"Client {n:02d}", owner=alice)
    client.force_login(alice)

    second = client.get(BOOK, {"page": 2, "sort": "name"})

    assert names(second) == [f"Client {n:02d}" for n in range(25, 30)]
    assert "Page 2 of 2" in second.content.decode()
