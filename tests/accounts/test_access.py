"""The access matrix: every role against another user's client."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from crm.access import can_reassign_client, client_for_user, clients_visible_to

READERS = {
    "alice": 200,  # the owner
    "bob": 404,  # a teammate: books are private between BRMs
    "carol": 404,  # a BRM of another team
    "maria": 200,  # the manager of the owner's team
    "oscar": 404,  # the manager of another team
    "admin_user": 200,
}


@pytest.mark.parametrize(("who", "status"), READERS.items())
def test_client_page_is_readable_only_by_owner_their_manager_and_admins(
    request, client, alices_client, who, status
):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("client_detail", args=[alices_client.pk]))
    assert response.status_code == status
    if status == 404:
        assert alices_client.name not in response.content.decode()


@pytest.mark.parametrize(
    ("who", "outcome"),
    [
        ("alice", "write"),
        ("bob", Http404),
        ("carol", Http404),
        ("maria", PermissionDenied),
        ("oscar", Http404),
        ("admin_user", "write"),
    ],
)
def test_only_the_owner_and_admins_may_change_a_client(request, alices_client, who, outcome):
    user = request.getfixturevalue(who)
    if outcome == "write":
        assert client_for_user(user, alices_client.pk, write=True) == alices_client
    else:
        with pytest.raises(outcome):
            client_for_user(user, alices_client.pk, write=True)


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("alice", False), ("bob", False), ("maria", True), ("oscar", False), ("admin_user", True)],
)
def test_reassigning_is_for_the_team_manager_and_admins(request, alices_client, who, allowed):
    assert can_reassign_client(request.getfixturevalue(who), alices_client) is allowed


def test_anonymous_visitors_are_sent_to_log_in(client, alices_client):
    response = client.get(reverse("client_detail", args=[alices_client.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_manager_stops_seeing_a_brm_who_left_their_team(alice, maria, alices_client, team):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.services import team_membership_end

    membership = alice.team_memberships.get(team=team)
    team_membership_end(membership=membership, ended_on=timezone.localdate())
    assert alices_client not in clients_visible_to(maria)
    membership.ended_on = timezone.localdate() + timedelta(days=1)
    membership.save()
    assert alices_client in clients_visible_to(maria)


def test_deactivated_users_see_nothing(alice, alices_client):
    alice.is_active = False
    alice.save()
    assert not clients_visible_to(alice).exists()
