"""Reassignment, churn and return keep dated history, through the client page."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from crm.models import ClientOwnership, FollowUp, LifecycleStatus
from crm.services import interaction_log
from tests.factories import FollowUpFactory


def test_reassigning_keeps_past_interactions_with_the_old_owner_and_moves_open_follow_ups(
    client, alice, bob, maria, alices_client
):
    past = interaction_log(
        client=alices_client,
        logged_by=alice,
        kind="meeting",
        topic="Annual review",
        occurred_at=timezone.now() - timedelta(days=3),
    )
    open_task = FollowUpFactory(client=alices_client, title="Open task")
    done_task = FollowUpFactory(client=alices_client, title="Done task", done_at=timezone.now())
    client.force_login(maria)

    response = client.post(
        reverse("client_reassign", args=[alices_client.pk]),
        {"reassign-new_owner": bob.pk, "reassign-reason": "Alice on leave"},
    )

    assert response.status_code == 302
    alices_client.refresh_from_db()
    assert alices_client.owner == bob
    past.refresh_from_db()
    assert past.owner == alice
    assert FollowUp.objects.get(pk=open_task.pk).owner == bob
    assert FollowUp.objects.get(pk=done_task.pk).owner == alice
    spans = list(ClientOwnership.objects.filter(client=alices_client).order_by("started_at"))
    assert [(s.owner, s.ended_at is None) for s in spans] == [(alice, False), (bob, True)]
    assert spans[1].changed_by == maria and spans[1].reason == "Alice on leave"

    page = client.get(reverse("client_detail", args=[alices_client.pk])).content.decode()
    assert "Alice on leave" in page and "Owned by <strong>Bob Brown</strong>" in page


def test_a_brm_cannot_reassign_even_their_own_client(client, alice, bob, alices_client):
    client.force_login(alice)
    response = client.post(
        reverse("client_reassign", args=[alices_client.pk]), {"reassign-new_owner": bob.pk}
    )
    assert response.status_code == 403
    alices_client.refresh_from_db()
    assert alices_client.owner == alice


def test_a_manager_can_only_hand_a_client_to_brms_they_oversee(client, maria, carol, alices_client):
    client.force_login(maria)
    response = client.post(
        reverse("client_reassign", args=[alices_client.pk]), {"reassign-new_owner": carol.pk}
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    alices_client.refresh_from_db()
    assert alices_client.owner.email == "alice@example.com"


def test_churn_and_return_produce_dated_status_rows(client, alice, alices_client):
    today = timezone.localdate()
    churned_on = today - timedelta(days=20)
    client.force_login(alice)

    client.post(
        reverse("client_churn", args=[alices_client.pk]),
        {"churn-on": churned_on.isoformat(), "churn-reason": "Lost the tender"},
    )
    client.post(
        reverse("client_reactivate", args=[alices_client.pk]),
        {"reactivate-on": today.isoformat(), "reactivate-reason": "Won them back"},
    )

    rows = list(alices_client.status_changes.order_by("effective_on", "id"))
    assert [(r.status, r.effective_on, r.reason) for r in rows][1:] == [
        (LifecycleStatus.CHURNED, churned_on, "Lost the tender"),
        (LifecycleStatus.ACTIVE, today, "Won them back"),
    ]
    assert all(r.recorded_by == alice for r in rows[1:])
    alices_client.refresh_from_db()
    assert alices_client.is_active
    page = client.get(reverse("client_detail", args=[alices_client.pk])).content.decode()
    assert "Lost the tender" in page and "Won them back" in page


def test_churn_needs_a_reason(client, alice, alices_client):
    client.force_login(alice)
    response = client.post(
        reverse("client_churn", args=[alices_client.pk]), {"churn-on": "2030-01-01"}
    )
    assert response.status_code == 422
    alices_client.refresh_from_db()
    assert alices_client.is_active
