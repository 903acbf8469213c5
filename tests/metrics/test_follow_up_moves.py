"""Nobody empties their overdue list by moving dates: rescheduling or cancelling an overdue
follow-up never raises follow_up_on_time_rate (docs/kpis.md)."""

from datetime import date

import pytest

from crm.services import (
    follow_up_cancel,
    follow_up_complete,
    follow_up_create,
    follow_up_reschedule,
)
from tests.metrics.factories import local

RATE = "follow_up_on_time_rate"


def test_rescheduling_or_cancelling_an_overdue_follow_up_cannot_raise_the_on_time_rate(
    alice, book_client, march_values
):
    client = book_client(alice)

    def due(day):
        return follow_up_create(client=client, owner=alice, title="Call", due_on=day)

    follow_up_complete(follow_up=due(date(2026, 3, 5)), at=local(2026, 3, 5, 10))
    moved, cancelled = due(date(2026, 3, 10)), due(date(2026, 3, 11))
    before = march_values()[alice, RATE]
    assert before == pytest.approx(33.3333)  # 1 of 3 due in March done on time

    follow_up_reschedule(follow_up=moved, due_on=date(2026, 3, 20), at=local(2026, 3, 12, 9))
    follow_up_complete(follow_up=moved, at=local(2026, 3, 19, 9))
    follow_up_cancel(follow_up=cancelled, reason="Not needed now", at=local(2026, 3, 12, 9))

    after = march_values()[alice, RATE]
    assert after == pytest.approx(before)
    assert march_values().result(alice, RATE).sample == 3


def test_moving_a_follow_up_before_it_falls_due_judges_it_by_the_new_date(
    alice, book_client, march_values
):
    client = book_client(alice)
    early = follow_up_create(client=client, owner=alice, title="Call", due_on=date(2026, 3, 10))
    follow_up_reschedule(follow_up=early, due_on=date(2026, 3, 20), at=local(2026, 3, 8, 9))
    follow_up_complete(follow_up=early, at=local(2026, 3, 19, 9))
    # Cancelled before it fell due: it does not count at all.
    ahead = follow_up_create(client=client, owner=alice, title="Call", due_on=date(2026, 3, 25))
    follow_up_cancel(follow_up=ahead, reason="Client asked to wait", at=local(2026, 3, 24, 9))

    values = march_values()
    assert values[alice, RATE] == 100
    assert values.result(alice, RATE).sample == 1
