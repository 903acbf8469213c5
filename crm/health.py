"""Reachability of what the app depends on, for the /health/ page and monitoring."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from crm.celery import app as celery_app

HEARTBEAT_KEY = "health:last-heartbeat"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    required: bool = True


def check_database() -> Check:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "unreachable" to an operator
        return Check("database", False, f"{connection.vendor}: {exc.__class__.__name__}: {exc}")
    elapsed = (time.monotonic() - started) * 1000
    return Check("database", True, f"{connection.vendor} answered in {elapsed:.1f} ms")


def check_broker() -> Check:
    started = time.monotonic()
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            transport = conn.transport_cls
    except Exception as exc:
        return Check("broker", False, f"{exc.__class__.__name__}: {exc}")
    elapsed = (time.monotonic() - started) * 1000
    return Check("broker", True, f"{transport} answered in {elapsed:.1f} ms")


def check_scheduler() -> Check:
    """Beat queues a heartbeat every minute and a worker runs it: a recent one proves both."""
    try:
        last = cache.get(HEARTBEAT_KEY)
    except Exception as exc:
        return Check("worker and beat", False, f"cache unreachable: {exc}", required=False)
    if last is None:
        return Check("worker and beat", False, "no heartbeat seen yet", required=False)
    age = (timezone.now() - last).total_seconds()
    return Check("worker and beat", age < 180, f"last heartbeat {age:.0f} s ago", required=False)


def record_heartbeat() -> None:
    cache.set(HEARTBEAT_KEY, timezone.now(), timeout=None)


def run_checks() -> list[Check]:
    return [check_database(), check_broker(), check_scheduler()]
