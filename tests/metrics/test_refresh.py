"""Fresh within a minute: committed writes to KPI inputs schedule one debounced refresh of the
open periods (metrics.refresh), and the refresh recomputes month, quarter and year."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from crm.models import Interaction
from crm.services import follow_up_complete, follow_up_create, interaction_log
from metrics import refresh
from metrics.models import Snapshot
from metrics.periods import Period
from metrics.services import snapshot_take, target_set
from metrics.tasks import refresh_open_periods
from tests.metrics.factories import stored_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def refreshing(settings):
    """Turns the refresh on (request it after the fixtures that write) with the task's queueing
    replaced by a mock."""
    settings.KPI_REFRESH_AFTER_WRITES = True
    settings.KPI_REFRESH_DELAY_SECONDS = 10
    with mock.patch.object(refresh_open_periods, "apply_async") as queued:
        yield queued


def test_a_burst_of_writes_queues_one_refresh_after_commit(
    alice, alices_client, refreshing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        for day in range(3):
            interaction_log(
                client=alices_client,
                logged_by=alice,
                kind=Interaction.Kind.CALL,
                occurred_at=timezone.now() - timedelta(days=day),
            )
        follow_up_create(
            client=alices_client, owner=alice, title="Call", due_on=timezone.localdate()
        )
        # Nothing is queued before the commit.
        assert not refreshing.called
    assert callbacks == [refresh.schedule_refresh]  # one per transaction, not one per row
    refreshing.assert_called_once_with(countdown=10)


def test_refreshes_coalesce_while_one_is_pending(refreshing):
    assert refresh.schedule_refresh() is True
    # Writes within the countdown join the pending run.
    assert refresh.schedule_refresh() is False
    assert refresh.schedule_refresh() is False
    assert refreshing.call_count == 1
    # Once the countdown has run out (the pending mark expires with it), a write queues again.
    cache.delete(refresh.PENDING_KEY)
    assert refresh.schedule_refresh() is True
    assert refreshing.call_count == 2


def test_a_write_after_a_refresh_started_queues_the_next_one(refreshing):
    # The run was queued by a first write; the worker picks it up before the countdown ran out
    # (eager, or early): a write that commits once it has begun reading must not join it.
    assert refresh.schedule_refresh() is True
    assert refresh_open_periods() is True
    assert refresh.schedule_refresh() is True
    assert refreshing.call_count == 2


def test_a_rolled_back_write_queues_nothing(
    alice, alices_client, refreshing, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        follow_up_create(
            client=alices_client, owner=alice, title="Call", due_on=timezone.localdate()
        )
        raise RuntimeError("the form failed after the insert")
    assert callbacks == []
    assert not refreshing.called


def test_writes_that_change_no_kpi_queue_nothing(
    alice, refreshing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        alice.last_login = timezone.now()
        alice.save(update_fields=["last_login"])
        snapshot_take(period=Period.current("month"))  # the refresh's own writes
    assert callbacks == []


def test_a_refresh_that_finds_another_running_queues_itself_after_it(refreshing):
    cache.add(refresh.RUNNING_KEY, 1)
    assert refresh_open_periods() is False
    refreshing.assert_called_once_with(countdown=10)
    assert not Snapshot.objects.exists()


def test_a_refresh_recomputes_month_quarter_and_year_and_a_new_target_applies_at_once(
    alice, alices_client
):
    today = timezone.localdate()
    done = follow_up_create(client=alices_client, owner=alice, title="Call", due_on=today)
    follow_up_complete(follow_up=done)
    assert refresh_open_periods() is True
    for grain in ("month", "quarter", "year"):
        row = stored_snapshot(alice, "follow_ups_completed", Period.current(grain))
        assert row.value == 1, grain
    target_set(kpi="follow_up_on_time_rate", value=75, effective_from=today, by=None)
    refresh_open_periods()
    row = stored_snapshot(alice, "follow_up_on_time_rate", Period.current("month"))
    assert row.target == 75
    assert cache.get(refresh.RUNNING_KEY) is None  # the lock is released


def test_a_broker_or_cache_outage_does_not_fail_the_write(refreshing, settings):
    refreshing.side_effect = ConnectionError("broker down")
    assert refresh.schedule_refresh() is False
