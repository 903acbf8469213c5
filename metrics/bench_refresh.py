"""What freshness costs (``make bench``): one refresh of the open periods, and whether
refreshes keep up with a steady stream of writes.

``refresh_cost`` times ``metrics.tasks.refresh_open_periods`` once: the open month, quarter
and year of every subject, which is what each burst of writes costs.

``refresh_under_writes`` replays ``writes_per_minute`` real writes (a follow-up logged and
ticked done through ``crm.services``, each its own transaction) for ``seconds``, with the real
after-commit scheduling of ``metrics.refresh``. The Celery queue is replaced by an in-process
one that a single worker thread drains, honouring each task's countdown, so the numbers are a
worker's. For each write it records how long until a refresh that started after its commit
finished (the staleness a reader sees), and the longest the queue ever got. The writes are
deleted afterwards.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from unittest import mock

from django.db import connection
from django.test.utils import override_settings
from django.utils import timezone

from crm.models import Client, FollowUp
from crm.services import follow_up_complete, follow_up_create
from metrics import refresh
from metrics.bench import Measurement, measure
from metrics.tasks import refresh_open_periods


def refresh_cost() -> Measurement:
    """One refresh of the open month, quarter and year (the lock taken and released)."""
    return measure(refresh_open_periods)


@dataclass
class WriteLoad:
    writes: int = 0
    refreshes: int = 0
    refresh_seconds: list[float] = field(default_factory=list)
    staleness: list[float] = field(default_factory=list)
    longest_queue: int = 0

    @property
    def worst_staleness(self) -> float:
        return max(self.staleness, default=0.0)

    @property
    def kept_up(self) -> bool:
        """Every write was in a refreshed scorecard within a minute, and the queue never
        held more than the one pending run plus the one being coalesced."""
        return self.worst_staleness <= 60 and self.longest_queue <= 2


def refresh_under_writes(*, writes_per_minute: int = 50, seconds: float = 60.0) -> WriteLoad:
    load = WriteLoad()
    tasks: queue.Queue = queue.Queue()
    committed: list[float] = []
    runs: list[tuple[float, float]] = []
    lock = threading.Lock()

    def enqueue(*args, countdown: float = 0, **kwargs):
        tasks.put(time.monotonic() + countdown)
        with lock:
            load.longest_queue = max(load.longest_queue, tasks.qsize())

    def worker():
        try:
            while True:
                due = tasks.get()
                if due is None:
                    return
                time.sleep(max(0.0, due - time.monotonic()))
                started = time.monotonic()
                if refresh_open_periods():
                    runs.append((started, time.monotonic()))
        finally:
            connection.close()

    clients = list(Client.objects.select_related("owner").order_by("pk")[:200])
    made: list[int] = []
    interval = 60.0 / writes_per_minute
    thread = threading.Thread(target=worker, name="refresh-worker")
    with (
        override_settings(KPI_REFRESH_AFTER_WRITES=True),
        mock.patch.object(refresh_open_periods, "apply_async", side_effect=enqueue),
    ):
        refresh.cache.delete(refresh.PENDING_KEY)
        refresh.cache.delete(refresh.RUNNING_KEY)
        thread.start()
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            client = clients[load.writes % len(clients)]
            follow_up = follow_up_create(
                client=client,
                owner=client.owner,
                title="Benchmark write",
                due_on=timezone.localdate(),
            )
            follow_up_complete(follow_up=follow_up, at=timezone.now() - timedelta(seconds=1))
            made.append(follow_up.pk)
            committed.append(time.monotonic())
            load.writes += 1
            time.sleep(max(0.0, started + load.writes * interval - time.monotonic()))
        # Let the last pending refresh run, then stop the worker.
        deadline = time.monotonic() + 300
        while (tasks.qsize() or not runs or runs[-1][0] < committed[-1]) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.5)
        tasks.put(None)
        thread.join()
    with override_settings(KPI_REFRESH_AFTER_WRITES=False):
        FollowUp.objects.filter(pk__in=made).delete()
    load.refreshes = len(runs)
    load.refresh_seconds = [end - begin for begin, end in runs]
    for at in committed:
        done = next((end for begin, end in runs if begin >= at), None)
        load.staleness.append((done - at) if done is not None else float("inf"))
    return load
