"""Building the many small objects of a snapshot or a backfill without Python's cyclic garbage
collector running over and over.

A 24-month backfill at bench scale 1 makes about 300k results and rows and keeps millions of
measure entries alive while it does. Every 700 allocations of container objects the collector
scans the young ones, and each time the old generation has grown by a quarter it scans every
live object again: measured, that was 2 s of the backfill's 6-7 s of Python CPU in computing
the KPIs and their rows (docs/kpis-implementation.md, "Python CPU of a backfill"). These
objects form no reference cycles, so pausing the collector while they are made frees nothing
later than reference counting does.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (``gc.disable``) for the block, and restore it after,
    also on error. The collector is process-wide: a block nested in another, or running while
    another thread's block is, leaves it as it found it (paused if it already was)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
