"""Follow-ups keep their due-date history: reschedules, cancels, undo done, edits."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from crm.models import FollowUpDueChange
from crm.services import (
    follow_up_cancel,
    follow_up_complete,
    follow_up_create,
    follow_up_reopen,
    follow_up_reschedule,
    follow_up_update,
)
from tests.factories import FollowUpFactory


def _days(n: int):
    return timezone.localdate() + timedelta(days=n)


def test_moving_a_follow_up_before_it_falls_due_judges_it_against_the_new_date(
    alice, alices_client
):
    task = FollowUpFactory(client=alices_client, due_on=_days(2))

    change = follow_up_reschedule(follow_up=task, due_on=_days(9), by=alice)

    task.refresh_from_db()
    assert (change.from_due_on, change.to_due_on, change.changed_by) == (_days(2), _days(9), alice)
    assert not change.was_overdue
    assert task.due_on == _days(9) and task.judged_due_on == _days(9)


def test_moving_an_overdue_follow_up_keeps_the_date_it_missed_however_often_it_moves(
    alice, alices_client
):
    task = FollowUpFactory(client=alices_client, due_on=_days(-3))

    follow_up_reschedule(follow_up=task, due_on=_days(4), by=alice)
    later = timezone.now() + timedelta(days=6)
    follow_up_reschedule(follow_up=task, due_on=_days(10), by=alice, at=later)

    task.refresh_from_db()
    assert task.due_on == _days(10)
    assert task.judged_due_on == _days(-3)
    moves = list(task.due_changes.values_list("from_due_on", "to_due_on", "was_overdue"))
    assert moves == [(_days(-3), _days(4), True), (_days(4), _days(10), True)]


def test_a_follow_up_cannot_be_due_before_the_relationship_or_decades_away(alices_client):
    with pytest.raises(ValidationError, match="before the relationship started"):
        follow_up_create(
            client=alices_client,
            owner=alices_client.owner,
            title="Call",
            due_on=alices_client.relationship_started_on - timedelta(days=1),
        )
    task = FollowUpFactory(client=alices_client)
    with pytest.raises(ValidationError, match="five years"):
        follow_up_reschedule(follow_up=task, due_on=_days(365 * 20))
    with pytest.raises(ValidationError, match="into the past"):
        follow_up_reschedule(follow_up=task, due_on=_days(-1))
    assert not FollowUpDueChange.objects.exists()


def test_cancelling_needs_a_reason_and_closes_the_follow_up(alice, alices_client):
    task = FollowUpFactory(client=alices_client)
    with pytest.raises(ValidationError, match="Say why"):
        follow_up_cancel(follow_up=task, reason="  ", by=alice)

    follow_up_cancel(follow_up=task, reason="Client asked us to wait", by=alice)

    task.refresh_from_db()
    assert task.is_cancelled and not task.is_open and task.cancelled_by == alice
    assert not alices_client.follow_ups.open().exists()
    with pytest.raises(ValidationError, match="reopen it"):
        follow_up_complete(follow_up=task)


def test_undoing_done_reopens_the_follow_up_with_its_due_date(alice, alices_client):
    task = FollowUpFactory(client=alices_client, due_on=_days(-1))
    follow_up_complete(follow_up=task, outcome="Sent")

    follow_up_reopen(follow_up=task, by=alice)

    task.refresh_from_db()
    assert task.is_open and task.outcome == "" and task.is_overdue()
    assert task.days_overdue() == 1
    with pytest.raises(ValidationError, match="already open"):
        follow_up_reopen(follow_up=task)


def test_editing_a_follow_up_leaves_a_history_row_with_before_and_after(alice, alices_client):
    task = follow_up_create(
        client=alices_client, owner=alice, title="Send the proposl", due_on=_days(3)
    )

    follow_up_update(follow_up=task, title="Send the proposal", due_on=_days(5), by=alice)

    latest, previous = task.history.order_by("-history_date", "-history_id")[:2]
    delta = latest.diff_against(previous)
    changed = {change.field: (change.old, change.new) for change in delta.changes}
    assert changed["title"] == ("Send the proposl", "Send the proposal")
    assert changed["due_on"] == (_days(3), _days(5))
    assert latest.history_user == alice
    assert task.due_changes.get().to_due_on == _days(5)
