"""Writes KPI snapshots and targets.

A snapshot run computes every KPI for every subject of one period and upserts the rows on their
unique key in one transaction: running it twice, or again after a run was killed half-way, leaves
the same rows and never duplicates. A period with frozen rows is history: a run recomputes it
only to report where the recomputation differs, unless told to overwrite it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Team, User
from metrics.bulk import collector_paused
from metrics.engine import Computed, compute, compute_many
from metrics.models import SNAPSHOT_KEY, Snapshot, Status, Target
from metrics.periods import Period, Window, periods_between
from metrics.snapshot_writes import lock_for_writing, write_rows
from metrics.subjects import SubjectKey, Subjects
from metrics.targets import TargetBook, status_of

VALUE_FIELDS = [
    "value",
    "numerator",
    "denominator",
    "sample",
    "parts",
    "margin_of_error",
    "low_sample",
    "target",
    "tolerance",
    "status",
    "formula_version",
]
# What a backfill compares between a frozen row and its recomputation.
COMPARED_FIELDS = ["value", "numerator", "denominator", "sample", "target", "status"]


@dataclass(frozen=True)
class Difference:
    subject: str
    kpi: str
    breakdown: str
    field: str
    stored: object
    recomputed: object

    def __str__(self) -> str:
        where = f"{self.kpi}[{self.breakdown}]" if self.breakdown else self.kpi
        return f"{self.subject} {where} {self.field}: stored {self.stored}, now {self.recomputed}"


@dataclass
class SnapshotRun:
    period: Period
    written: int = 0
    frozen: bool = False
    kept_frozen: bool = False
    differences: list[Difference] = field(default_factory=list)


def snapshot_rows(period: Period, *, now: datetime | None = None) -> list[Snapshot]:
    """Every KPI of ``period`` for every subject as unsaved rows, with the target in force on
    the period's last day (today for the open period) and the status it gives."""
    computed, subjects = compute(period, now=now)
    return [Snapshot(**row) for row in _rows(period, computed, subjects, now)]


# A snapshot row as the engine writes it: the ``Snapshot`` fields but ``frozen``, by name. Plain
# dicts, not model instances: a 24-month backfill makes 300k of them.
Row = dict


def _rows(
    period: Period, computed: list[Computed], subjects: Subjects, now: datetime | None
) -> list[Row]:
    targets = TargetBook(Window.of(period, now).last_day)
    stamp = timezone.now()
    rows = []
    subject = team_id = None
    with collector_paused():
        # ``computed`` comes subject by subject: the team is looked up once per subject.
        for item in computed:
            if item.subject is not subject:
                subject = item.subject
                team_id = _team_of(subject, subjects)
            rows.append(_row(period, item, team_id, targets, stamp))
    return rows


def _team_of(subject: SubjectKey, subjects: Subjects) -> int | None:
    """The team whose targets apply to ``subject``: a BRM's, a team's own, none for the
    organisation."""
    if subject.type == "brm":
        return subjects.team_of(subject.id)
    return subject.id if subject.type == "team" else None


def _row(
    period: Period, item: Computed, team_id: int | None, targets: TargetBook, stamp: datetime
) -> Row:
    kpi, result = item.kpi, item.result
    subject = item.subject
    target, tolerance = targets.in_force(kpi, team_id)
    return {
        "subject_type": subject.type,
        "subject_id": subject.id,
        "kpi": kpi.key,
        "grain": period.grain,
        "period_start": period.start,
        "breakdown": item.breakdown,
        "value": result.value,
        "numerator": result.numerator,
        "denominator": result.denominator,
        "sample": result.sample,
        "parts": result.parts,
        "margin_of_error": result.margin_of_error,
        "low_sample": item.low_sample,
        "target": target,
        "tolerance": tolerance,
        # A low-sample value keeps its target but is not judged against it.
        "status": Status.LOW_SAMPLE
        if item.low_sample
        else status_of(kpi, result.value, target, tolerance),
        "computed_at": stamp,
        "formula_version": kpi.formula_version,
    }


def _field(row: Snapshot | Row, name: str):
    return row[name] if isinstance(row, dict) else getattr(row, name)


def _key(row: Snapshot | Row) -> tuple:
    return tuple(_field(row, name) for name in ("subject_type", "subject_id", "kpi", "breakdown"))


def _same(stored, recomputed) -> bool:
    if isinstance(stored, float) and isinstance(recomputed, float):
        return math.isclose(stored, recomputed, rel_tol=1e-9, abs_tol=1e-6)
    return stored == recomputed


def differences(stored: list[Snapshot], recomputed: list[Snapshot | Row]) -> list[Difference]:
    """Where ``recomputed`` rows differ from ``stored`` ones, including rows only one has."""
    before = {_key(row): row for row in stored}
    after = {_key(row): row for row in recomputed}
    found = []
    for key in sorted(before.keys() | after.keys()):
        subject, kpi, breakdown = f"{key[0]}:{key[1]}", key[2], key[3]
        old, new = before.get(key), after.get(key)
        if old is None or new is None:
            found.append(
                Difference(
                    subject,
                    kpi,
                    breakdown,
                    "row",
                    "present" if old else "missing",
                    "present" if new else "missing",
                )
            )
            continue
        for name in COMPARED_FIELDS:
            if not _same(_field(old, name), _field(new, name)):
                found.append(
                    Difference(subject, kpi, breakdown, name, _field(old, name), _field(new, name))
                )
    return found


@transaction.atomic
def snapshot_take(
    *,
    period: Period,
    now: datetime | None = None,
    freeze: bool = False,
    overwrite_frozen: bool = False,
) -> SnapshotRun:
    """Compute and upsert every KPI of ``period``; ``freeze`` marks the rows as history.

    If the period is already frozen, nothing is written unless ``overwrite_frozen``: the run
    returns the differences between the stored rows and a recomputation instead.
    """
    computed, subjects = compute(period, now=now)
    rows = _rows(period, computed, subjects, now)
    return _store(period, rows, freeze=freeze, overwrite_frozen=overwrite_frozen)


def _store(period: Period, rows: list[Row], *, freeze: bool, overwrite_frozen: bool) -> SnapshotRun:
    """Write ``rows`` as ``period``'s snapshot, in the caller's transaction.

    The period is locked for writing first, so what is stored cannot change until the write is
    committed. A period nothing is stored for yet (a first backfill) is one plain insert;
    otherwise the rows are upserted on their unique key and the rows this run did not write are
    deleted."""
    stored = Snapshot.objects.filter(grain=period.grain, period_start=period.start)
    run = SnapshotRun(period, frozen=freeze)
    table = Snapshot._meta.db_table
    lock_for_writing(table, period.grain, period.start.toordinal())
    # None when nothing is stored yet, else whether some stored row is frozen. Sorting makes
    # PostgreSQL read the period's rows by index; an EXISTS probe is planned as a sequential
    # scan that stops at the first match, which reads the whole table when nothing is stored.
    some_frozen = stored.order_by("-frozen").values_list("frozen", flat=True).first()
    if some_frozen and not overwrite_frozen:
        run.kept_frozen = True
        run.frozen = True
        run.differences = differences(list(stored.filter(frozen=True)), rows)
        return run
    stamp = rows[0]["computed_at"] if rows else timezone.now()
    shared = {
        "grain": period.grain,
        "period_start": period.start,
        "computed_at": stamp,
        "frozen": freeze,
    }
    write_rows(
        table,
        rows,
        shared,
        unique=SNAPSHOT_KEY,
        update=None if some_frozen is None else [*VALUE_FIELDS, "computed_at", "frozen"],
    )
    if some_frozen is not None:
        # Rows this run did not write (a topic or a subject that no longer has records) are stale.
        stored.filter(computed_at__lt=stamp).delete()
    run.written = len(rows)
    if freeze:
        from metrics.signals import period_frozen

        transaction.on_commit(
            lambda: period_frozen.send(
                Snapshot, grain=period.grain, period_start=period.start, rows=len(rows)
            )
        )
    return run


def snapshot_backfill(
    *, first: Period, last: Period, overwrite_frozen: bool = False, now: datetime | None = None
) -> list[SnapshotRun]:
    """Recompute every period from ``first`` to ``last``; closed periods are frozen as they
    are written.

    Every period is computed in one pass over each table (``engine.compute_many``), then each
    period is written in its own transaction, so a backfill killed while writing keeps the
    periods written so far and a rerun rewrites the same rows.
    """
    if last < first:
        raise ValidationError("The backfill must end on or after the period it starts from.")
    return snapshot_many(periods_between(first, last), overwrite_frozen=overwrite_frozen, now=now)


def snapshot_many(
    periods: list[Period], *, overwrite_frozen: bool = False, now: datetime | None = None
) -> list[SnapshotRun]:
    """``snapshot_take`` for each of ``periods`` (any grains, e.g. the open month, quarter and
    year), computed together; closed periods are frozen."""
    runs = []
    # Paused for the whole run, not only while objects are built: re-enabled between periods,
    # the collector would scan the batch's measures, still alive, again and again.
    with collector_paused():
        for period, computed, subjects in compute_many(periods, now=now):
            rows = _rows(period, computed, subjects, now)
            with transaction.atomic():
                runs.append(
                    _store(
                        period,
                        rows,
                        freeze=period.is_closed(now),
                        overwrite_frozen=overwrite_frozen,
                    )
                )
    return runs


def period_is_frozen(period: Period) -> bool:
    return Snapshot.objects.filter(
        grain=period.grain, period_start=period.start, frozen=True
    ).exists()


@transaction.atomic
def target_set(
    *,
    kpi: str,
    value: float,
    effective_from: date,
    team: Team | None = None,
    tolerance: float | None = None,
    by: User | None = None,
) -> Target:
    """A new target from ``effective_from`` (for ``team``, or for everyone). Earlier targets
    stay as history, and snapshots already taken keep the target they were taken with."""
    target = Target(
        kpi=kpi,
        value=value,
        effective_from=effective_from,
        team=team,
        tolerance=tolerance,
        created_by=by,
    )
    target.full_clean()
    target.save()
    return target
