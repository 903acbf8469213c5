"""Follow-up pages: edit, reschedule, snooze, cancel, undo done."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from tests.factories import FollowUpFactory


def _days(n: int):
    return timezone.localdate() + timedelta(days=n)


def test_the_owner_reschedules_a_follow_up_from_its_page_and_sees_the_history(
    client, alice, alices_client
):
    task = FollowUpFactory(client=alices_client, title="Send deck", due_on=_days(-2))
    client.force_login(alice)

    response = client.post(
        reverse("follow_up_edit", args=[task.pk]),
        {"title": "Send the deck", "due_on": _days(5).isoformat()},
    )

    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.title, task.due_on, task.missed_due_on) == ("Send the deck", _days(5), _days(-2))
    page = client.get(reverse("follow_up_edit", args=[task.pk])).content.decode()
    assert "moved when overdue" in page and "judges it against" in page


def test_a_due_date_before_the_relationship_started_is_refused_with_a_readable_error(
    client, alice, alices_client
):
    task = FollowUpFactory(client=alices_client)
    client.force_login(alice)
    too_early = alices_client.relationship_started_on - timedelta(days=1)

    response = client.post(
        reverse("follow_up_edit", args=[task.pk]),
        {"title": task.title, "due_on": too_early.isoformat()},
    )

    assert response.status_code == 422
    assert "before the relationship started" in response.content.decode()
    task.refresh_from_db()
    assert task.due_on == _days(3) and not task.due_changes.exists()


def test_snoozing_an_overdue_follow_up_moves_it_from_today_and_keeps_the_missed_date(
    client, alice, alices_client
):
    task = FollowUpFactory(client=alices_client, due_on=_days(-4))
    client.force_login(alice)
    today_page = client.get(reverse("today")).content.decode()
    assert "4 days" in today_page

    response = client.post(reverse("follow_up_snooze", args=[task.pk]), {"days": "7"})

    assert response.status_code == 302
    task.refresh_from_db()
    assert task.due_on == _days(7) and task.judged_due_on == _days(-4)


def test_cancel_needs_a_reason_and_undo_done_reopens(client, alice, alices_client):
    task = FollowUpFactory(client=alices_client)
    client.force_login(alice)

    refused = client.post(reverse("follow_up_cancel", args=[task.pk]), {"reason": ""})
    assert refused.status_code == 422
    cancelled = client.post(reverse("follow_up_cancel", args=[task.pk]), {"reason": "Merged"})
    assert cancelled.status_code == 302
    task.refresh_from_db()
    assert task.is_cancelled and task.cancel_reason == "Merged"

    client.post(reverse("follow_up_reopen", args=[task.pk]))
    client.post(reverse("follow_up_done", args=[task.pk]))
    client.post(reverse("follow_up_reopen", args=[task.pk]))
    task.refresh_from_db()
    assert task.is_open


def test_another_brms_follow_up_does_not_exist_for_them(client, carol, alices_client):
    task = FollowUpFactory(client=alices_client)
    client.force_login(carol)
    for name in ("follow_up_edit", "follow_up_cancel", "follow_up_reopen", "follow_up_snooze"):
        assert (
            client.post(reverse(name, args=[task.pk]), {"reason": "x", "days": 1}).status_code
            == 404
        )
    assert client.get(reverse("follow_up_edit", args=[task.pk])).status_code == 404
    task.refresh_from_db()
    assert task.is_open and task.due_on == _days(3)
