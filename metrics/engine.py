"""Computes every KPI of the registry for every BRM, team and the organisation, for one period
or many at once.

The measure families (``metrics.families``) compute the parts every KPI is made from for all
subjects of all the batch's windows in a fixed number of queries, reading each table once per
batch (``metrics.batch``); each KPI's value is then made from its subject's parts
(``KPI.compute``), never averaged from other values.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from metrics.batch import Batch, Measures
from metrics.bulk import collector_paused
from metrics.families import MEASURE_FAMILIES, closing_deadline
from metrics.periods import Period, Window
from metrics.registry import KPI, KPIS, Result
from metrics.sql import planner_settings
from metrics.subjects import SubjectKey, Subjects

__all__ = ["Computed", "closing_deadline", "compute", "compute_many"]


# --- KPIs from measures -----------------------------------------------------------------------


@dataclass
class Computed:
    subject: SubjectKey
    kpi: KPI
    breakdown: str
    result: Result
    low_sample: bool


def compute(period: Period, *, now: datetime | None = None) -> tuple[list[Computed], Subjects]:
    """Every KPI of the registry for every subject over ``period`` (to date if it is open)."""
    _, rows, subjects = next(compute_many([period], now=now))
    return rows, subjects


def compute_many(
    periods: Iterable[Period], *, now: datetime | None = None
) -> Iterator[tuple[Period, list[Computed], Subjects]]:
    """``compute`` for each of ``periods`` (of any grains), in period order, reading each table
    once for all of them. Each period's rows are made when it is reached, so a long backfill
    holds the measures of every period but the rows of one."""
    batch = Batch(periods, now)
    with _planner_settings(len(batch.windows)), collector_paused():
        for family in MEASURE_FAMILIES:
            family(batch)
    for window in batch.windows:
        subjects = batch.subjects[window]
        # Not across the ``yield``: the caller's work between periods is its own.
        with collector_paused():
            rows = _kpis(window, subjects, batch.out.pop(window))
        yield window.period, rows, subjects


def _planner_settings(windows: int) -> AbstractContextManager[None]:
    """PostgreSQL's settings for the engine's queries (``sql.planner_settings``: for their
    transaction only, then restored; SQLite has none):

    - ``random_page_cost`` at ``settings.KPI_RANDOM_PAGE_COST`` (e.g. "1.1"; "" keeps the
      server's): the engine reads tables that sit in memory or on SSD, where PostgreSQL's
      default of 4 prices every index page as four table pages and passes over index-only
      scans that return rows in the order they are grouped in. Bench scale 1: the month
      snapshot 2.38 -> 2.15 s of DB CPU (medians of four, alternated), its book statement
      0.91 -> 0.74 s; the 24-month backfill unchanged (docs/kpis-implementation.md, "Planner
      costs").
    - ``work_mem`` at ``settings.KPI_WORK_MEM`` (e.g. "64MB"; "" keeps the server's) for a
      batch of several windows (a backfill, the open month, quarter and year): their hashes
      and sorts grow with the months a batch spans and spill to disk at PostgreSQL's 4 MB; a
      single window keeps the server's, where a larger ``work_mem`` picks plans measured
      slower (docs/kpis-implementation.md, "work_mem").
    """
    wanted = {"random_page_cost": settings.KPI_RANDOM_PAGE_COST}
    if windows > 1:
        wanted["work_mem"] = settings.KPI_WORK_MEM
    return planner_settings({name: value for name, value in wanted.items() if value})


def _kpis(window: Window, subjects: Subjects, measures: Measures) -> list[Computed]:
    """Every KPI of every subject of ``window`` from its measures (``(subject, dimension,
    value) -> name -> amount``): per subject, each KPI in registry order, its overall row then
    its breakdown rows by value. About 12k rows a month at bench scale 1, so what does not
    depend on the subject (the KPIs' dimensions, the sample threshold) is looked up once."""
    # subject -> dimension -> [(value, measures)], sorted by value
    breakdowns: dict[SubjectKey, dict[str, list[tuple[str, dict]]]] = defaultdict(dict)
    for (subject, dim, value), values in measures.items():
        if dim:
            breakdowns[subject].setdefault(dim, []).append((value, values))
    for per_dim in breakdowns.values():
        for each in per_dim.values():
            each.sort(key=_first)
    kpis = [(kpi, _DIMENSIONS[kpi.breakdown] if kpi.breakdown else "") for kpi in KPIS.values()]
    min_sample = settings.SURVEY_MIN_SAMPLE
    rows: list[Computed] = []
    for subject in subjects:
        overall = measures.get((subject, "", ""), {})
        per_dim = breakdowns.get(subject, {})
        for kpi, dim in kpis:
            if kpi.overall:
                result = kpi.compute(overall, window)
                rows.append(_computed(subject, kpi, "", result, min_sample))
            for value, values in per_dim.get(dim, ()) if dim else ():
                result = kpi.compute(values, window)
                rows.append(_computed(subject, kpi, value, result, min_sample))
    return rows


_DIMENSIONS = {"topic": "topic", "stage": "from_stage__name"}


def _first(pair: tuple):
    return pair[0]


def _computed(
    subject: SubjectKey, kpi: KPI, breakdown: str, result: Result, min_sample: int
) -> Computed:
    if result.value is not None:
        result.value = round(result.value, 4)
    if result.margin_of_error is not None:
        result.margin_of_error = round(result.margin_of_error, 4)
    low = kpi.sampled and result.value is not None and (result.sample or 0) < min_sample
    return Computed(subject, kpi, breakdown, result, low)
