"""Bulk actions: reassign ticked clients (managers for their teams, admins anyone) and complete
ticked follow-ups. Every id goes through crm.access; one out of reach and nothing is written."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.models import Client, ClientOwnership, FollowUp
from tests.factories import ClientFactory, FollowUpFactory

REASSIGN = reverse("clients_bulk_reassign")
COMPLETE = reverse("follow_ups_complete")


def said(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


@pytest.mark.parametrize("who", ["maria", "admin_user"])
def test_a_manager_or_admin_reassigns_ticked_clients_with_their_history(
    request, client, alice, bob, who
):
    mine = [ClientFactory(owner=alice) for _ in range(3)]
    follow_up = FollowUpFactory(client=mine[0])
    user = request.getfixturevalue(who)
    client.force_login(user)

    response = client.post(
        REASSIGN,
        {"client": [c.pk for c in mine], "new_owner": bob.pk, "reason": "Territory change"},
    )

    assert response.status_code == 302
    assert "3 clients reassigned to Bob Brown" in said(response)
    assert set(Client.objects.filter(owner=bob).values_list("pk", flat=True)) == {
        c.pk for c in mine
    }
    assert FollowUp.objects.get(pk=follow_up.pk).owner == bob
    ownership = ClientOwnership.objects.get(client=mine[0], owner=bob)
    assert (ownership.changed_by, ownership.reason) == (user, "Territory change")
    # The edit history keeps who did it, before and after.
    latest = mine[0].history.order_by("-history_id").first()
    assert (latest.owner_id, latest.history_user) == (bob.pk, user)
    assert latest.prev_record.owner_id == alice.pk


def test_one_client_out_of_reach_and_nothing_is_reassigned(client, maria, alice, bob, carol):
    mine = ClientFactory(owner=alice)
    other_team = ClientFactory(owner=carol)
    client.force_login(maria)

    response = client.post(REASSIGN, {"client": [mine.pk, other_team.pk], "new_owner": bob.pk})

    assert response.status_code == 403
    assert (
        "1 of the 2 chosen clients is not yours to change: nothing was changed."
        in response.content.decode()
    )
    assert Client.objects.get(pk=mine.pk).owner == alice
    assert Client.objects.get(pk=other_team.pk).owner == carol
    assert not ClientOwnership.objects.filter(owner=bob).exists()


def test_a_manager_cannot_hand_clients_to_a_brm_outside_their_teams(client, maria, alice, carol):
    mine = ClientFactory(owner=alice)
    client.force_login(maria)
    response = client.post(REASSIGN, {"client": [mine.pk], "new_owner": carol.pk})
    assert "Select a valid choice" in said(response)
    assert Client.objects.get(pk=mine.pk).owner == alice


@pytest.mark.parametrize("ids", [[], ["x"], ["1; drop"], [str(n) for n in range(600)]])
def test_a_bad_selection_is_a_clear_error_not_a_500(client, maria, alice, bob, ids):
    client.force_login(maria)
    response = client.post(REASSIGN, {"client": ids, "new_owner": bob.pk})
    assert response.status_code == 302
    assert "Choose" in said(response)


def test_a_brm_neither_sees_nor_may_use_bulk_reassign(client, alice, bob):
    mine = ClientFactory(owner=alice)
    client.force_login(alice)
    assert client.get(reverse("client_list")).context["bulk_form"] is None
    assert 'id="bulk-reassign"' not in client.get(reverse("client_list")).content.decode()
    response = client.post(REASSIGN, {"client": [mine.pk], "new_owner": bob.pk})
    assert response.status_code == 403
    assert Client.objects.get(pk=mine.pk).owner == alice


def test_a_manager_sees_the_tick_boxes_and_the_reassign_form(client, maria, alices_client):
    client.force_login(maria)
    page = client.get(reverse("client_list")).content.decode()
    assert 'id="bulk-reassign"' in page
    assert f'value="{alices_client.pk}" form="bulk-reassign"' in page


def test_a_brm_completes_ticked_follow_ups_at_once_with_history(client, alice, alices_client):
    ticked = [
        FollowUpFactory(client=alices_client, due_on=timezone.localdate() - timedelta(days=n))
        for n in (1, 2, 3)
    ]
    untouched = FollowUpFactory(client=alices_client)
    client.force_login(alice)
    assert 'form="bulk-complete"' in client.get(reverse("today")).content.decode()

    response = client.post(
        COMPLETE, {"follow_up": [f.pk for f in ticked], "outcome": "Sorted in one call"}
    )

    assert "3 follow-ups done." in said(response)
    for follow_up in ticked:
        follow_up.refresh_from_db()
        assert follow_up.is_done and follow_up.outcome == "Sorted in one call"
        assert follow_up.history.order_by("-history_id").first().history_user == alice
    untouched.refresh_from_db()
    assert not untouched.is_done


def test_another_brms_follow_up_among_the_ticked_and_none_is_completed(
    client, alice, alices_client, bob
):
    mine = FollowUpFactory(client=alices_client)
    bobs = FollowUpFactory(client=ClientFactory(owner=bob))
    client.force_login(alice)

    response = client.post(COMPLETE, {"follow_up": [mine.pk, bobs.pk]})

    assert response.status_code == 403
    assert "not yours to change: nothing was changed" in response.content.decode()
    assert not FollowUp.objects.filter(done_at__isnull=False).exists()


def test_a_manager_cannot_complete_their_teams_follow_ups_in_bulk(client, maria, alices_client):
    follow_up = FollowUpFactory(client=alices_client)
    client.force_login(maria)
    assert client.post(COMPLETE, {"follow_up": [follow_up.pk]}).status_code == 403
    assert not FollowUp.objects.get(pk=follow_up.pk).is_done


def test_a_cancelled_follow_up_among_the_ticked_rolls_the_others_back(client, alice, alices_client):
    fine = FollowUpFactory(client=alices_client)
    cancelled = FollowUpFactory(client=alices_client, title="Old idea")
    services.follow_up_cancel(follow_up=cancelled, reason="Not needed")
    client.force_login(alice)

    response = client.post(COMPLETE, {"follow_up": [fine.pk, cancelled.pk]})

    assert "“Old idea”" in said(response)
    assert not FollowUp.objects.get(pk=fine.pk).is_done
