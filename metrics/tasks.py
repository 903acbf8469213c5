"""Scheduled KPI snapshots. Tasks take strings and are safe to run twice: snapshots are upserts
in one transaction per period."""

from __future__ import annotations

from datetime import date, timedelta

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from metrics.periods import Grain, Period
from metrics.services import period_is_frozen, snapshot_many, snapshot_take


@shared_task
def snapshot_period(grain: str, period_start: str, freeze: bool = False) -> None:
    snapshot_take(period=Period(grain, date.fromisoformat(period_start)), freeze=freeze)


@shared_task
def snapshot_schedule() -> None:
    """Recompute each grain's open period to date; keep recomputing the previous period until
    ``KPI_FREEZE_AFTER_HOURS`` after it closed (late entries), then freeze it once."""
    now = timezone.now()
    grace = timedelta(hours=settings.KPI_FREEZE_AFTER_HOURS)
    for grain in Grain.values:
        current = Period.current(grain, now)
        snapshot_period.delay(grain, current.start.isoformat())
        previous = current.previous
        if not period_is_frozen(previous):
            freeze = now >= previous.end_at + grace
            snapshot_period.delay(grain, previous.start.isoformat(), freeze=freeze)


@shared_task
def refresh_open_periods() -> bool:
    """Recompute the open month, quarter and year of every subject to date, after writes
    (``metrics.refresh``). If another refresh is running, queue one for after it instead of
    running side by side. Returns whether this run recomputed."""
    from metrics import refresh

    if not cache.add(refresh.RUNNING_KEY, 1, timeout=settings.KPI_REFRESH_LOCK_SECONDS):
        refresh.schedule_refresh()
        return False
    try:
        # A write that commits from here on must queue the next run: its pending mark would
        # otherwise outlive this run when the worker starts it early (eager) or late (busy).
        cache.delete(refresh.PENDING_KEY)
        now = timezone.now()
        # The three open periods in one pass over each table.
        snapshot_many([Period.current(grain, now) for grain in Grain.values], now=now)
    finally:
        cache.delete(refresh.RUNNING_KEY)
    return True
