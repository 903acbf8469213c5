"""Several periods measured in one pass over each table.

A backfill (or the open month, quarter and year) needs the same measures over many windows.
One query per window would re-read every table once per period. Instead an event family's
query reads the whole range once, grouped by credited owner and calendar month (in the
organisation's time zone), and each month's sums are added to every window that contains the
month. This is exact because every window of a batch is a union of whole months, except the
open periods', which all end at the same ``now``, where the range ends too: the open month's
sums are its sums to date. A trailing 12-month measure is the sum of the 12 months ending
with its window's month. Measures that do not add up (distinct counts, medians) are computed
per window by the database in one statement that joins the events to the windows
(``metrics.sql``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Aggregate, DateTimeField, QuerySet
from django.utils import timezone

from metrics.periods import Grain, Period, Window, add_months, local_midnight
from metrics.sql import Segments, planner_settings
from metrics.subjects import SubjectKey, Subjects

# (subject, breakdown dimension, breakdown value) -> measure name -> value
MeasureKey = tuple[SubjectKey, str, str]
Measures = dict[MeasureKey, dict[str, float]]

NO_TOPIC = "(no topic)"
# Which months of its window a measure sums: the period's, or the trailing 12 months'.
PERIOD, YEAR = "period", "year"


def month_of(value: date | datetime) -> date:
    """The first day of the local calendar month of ``value``."""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return value.replace(day=1)


def _months(first: date, last: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


class Batch:
    """The windows measured together, who is measured in each, and their measures."""

    def __init__(self, periods: Iterable[Period], now: datetime | None = None):
        now = now or timezone.now()
        self.windows = [Window.of(period, now) for period in sorted(set(periods))]
        if not self.windows:
            raise ValueError("A batch needs at least one period.")
        by_day = Subjects.on_days({window.last_day for window in self.windows})
        self.subjects = {window: by_day[window.last_day] for window in self.windows}
        self.out: dict[Window, Measures] = {window: {} for window in self.windows}
        self._windows_of: dict[str, dict[date, list[Window]]] = {}
        self._keys: dict[tuple[Window, int], list[SubjectKey]] = {}

    # --- The range read -----------------------------------------------------------------------

    @property
    def until(self) -> datetime:
        return max(window.until for window in self.windows)

    def range(self, span: str = PERIOD) -> Window:
        """The records a family's one query reads, as a window ending at the last instant any
        window measures: for ``PERIOD``, starting with the first window; for ``YEAR``, a
        window whose trailing 12 months start with the first month any window's trailing
        year needs (only its ``year_start`` and ``last_day`` are meant to be read)."""
        first = min(self._first_day(window, span) for window in self.windows)
        if span == YEAR:
            return Window(Period(Grain.MONTH, add_months(first, 11)), self.until)
        return Window(Period(Grain.MONTH, first), self.until)

    @staticmethod
    def _first_day(window: Window, span: str) -> date:
        return window.year_start if span == YEAR else window.start

    def months(self, span: str = PERIOD) -> list[date]:
        """The first days of every calendar month from the first one a window's ``span``
        covers to the last one a window ends in, gaps between windows included."""
        first = min(self._first_day(window, span) for window in self.windows)
        return _months(first, max(window.last_day for window in self.windows))

    def windows_of(self, month: date, span: str = PERIOD) -> list[Window]:
        """The windows whose ``span`` contains the calendar month starting on ``month``."""
        return self._windows_index(span).get(month, [])

    def _windows_index(self, span: str) -> dict[date, list[Window]]:
        """``windows_of`` for every month at once: first day of a month -> its windows."""
        if span not in self._windows_of:
            index: dict[date, list[Window]] = defaultdict(list)
            for window in self.windows:
                for each in _months(self._first_day(window, span), window.last_day):
                    index[each].append(window)
            self._windows_of[span] = dict(index)
        return self._windows_of[span]

    # --- Adding rows to measures --------------------------------------------------------------

    def keys_for_owner(self, window: Window, owner_id: int) -> list[SubjectKey]:
        key = (window, owner_id)
        if key not in self._keys:
            self._keys[key] = self.subjects[window].keys_for_owner(owner_id)
        return self._keys[key]

    def add(self, window: Window, owner_id, values: dict, *, dim: str = "", value="") -> None:
        """Add ``values`` (sums) to every subject ``owner_id``'s records count for."""
        if owner_id is None:
            return
        self._add(window, owner_id, values, dim, _breakdown(value) if dim else "")

    def _add(self, window: Window, owner_id: int, values: dict, dim: str, breakdown: str) -> None:
        out = self.out[window]
        for key in self.keys_for_owner(window, owner_id):
            bucket = out.get((key, dim, breakdown))
            if bucket is None:
                bucket = out[(key, dim, breakdown)] = defaultdict(int)
            for name, amount in values.items():
                # Money stays Decimal while months are added up, so that a year's sum is
                # exactly the database's sum over the year.
                if amount is not None:
                    bucket[name] += amount if isinstance(amount, int | Decimal) else float(amount)

    def fold(
        self,
        rows: Iterable[dict],
        *,
        span: str = PERIOD,
        owner: str = "owner",
        dim: str = "",
        measures: Iterable[str] | None = None,
    ) -> None:
        """Add monthly rows (``owner``, ``month``, optional ``dim``, sums) to the windows
        whose ``span`` contains their month; ``measures`` picks some of the sums.

        Rows whose amounts are all exact (``int``, ``Decimal``, or ``None``) are first summed
        per window, owner and breakdown (``_Groups``), and each group is then added once to the
        owner's subjects (the BRM, their teams, the organisation): a trailing year takes 12
        monthly rows per owner, an owner's total over topics one row per topic, so this adds
        several times fewer sums to subjects. Exact sums do not depend on the order of their
        terms; a float's do, so a row with a float is added on its own, in the rows' order, as
        ``add`` does. (A measure's amounts have one type, that of its column.)"""
        names = list(measures) if measures is not None else None
        skip = {owner, dim, "month"}
        groups = _Groups()
        # Windows by position: a group's key hashes an int, not a window (two dataclasses).
        position = {window: n for n, window in enumerate(self.windows)}
        index = {
            month: [position[window] for window in windows]
            for month, windows in self._windows_index(span).items()
        }
        for row in rows:
            owner_id = row[owner]
            positions = index.get(month_of(row["month"]))
            if owner_id is None or not positions:
                continue
            picked = names if names is not None else [name for name in row if name not in skip]
            values = {name: row[name] for name in picked}
            breakdown = _breakdown(row.get(dim)) if dim else ""
            if _exact(values):
                for n in positions:
                    groups.add((n, owner_id, breakdown), values)
            else:
                for n in positions:
                    self._add(self.windows[n], owner_id, values, dim, breakdown)
        for (n, owner_id, breakdown), sums in groups.items():
            self._add(self.windows[n], owner_id, sums, dim, breakdown)

    def direct(self, window: Window, per_subject: dict[SubjectKey, dict[str, float]]) -> None:
        """Values the database computed per subject (distinct counts, medians)."""
        out = self.out[window]
        for key, values in per_subject.items():
            out.setdefault((key, "", ""), defaultdict(int)).update(
                {name: value for name, value in values.items() if value is not None}
            )


def _breakdown(value) -> str:
    """A breakdown value as stored: text, ``NO_TOPIC`` for a record without one."""
    return str(value) if value not in (None, "") else NO_TOPIC


def _exact(values: dict) -> bool:
    """Whether every amount of ``values`` adds up exactly (``int``, ``Decimal``) or is
    ``None``."""
    return all(amount is None or isinstance(amount, int | Decimal) for amount in values.values())


class _Groups(dict):
    """(window position, owner, breakdown) -> measure name -> the sum of its amounts so far
    (``None`` left out, as ``add`` does). A group is made by its first row even if all its
    amounts are ``None``, so that every subject of the owner gets the entry (e.g. a topic's)
    that ``add`` would make."""

    def add(self, group: tuple, values: dict) -> None:
        sums = self.get(group)
        if sums is None:
            sums = self[group] = {}
        for name, amount in values.items():
            if amount is not None:
                sums[name] = sums.get(name, 0) + amount


@dataclass(frozen=True)
class MonthlySums:
    """Sums of a source's records per credited ``owner`` (and breakdown ``dim``) and local
    calendar month of ``field``, for the windows of a batch whose ``span`` contains the
    month: a family's one read of a table over the batch's whole range."""

    source: Callable[[Window], QuerySet]
    field: str
    sums: dict[str, Aggregate]
    owner: str = "owner"
    dim: str = ""
    span: str = PERIOD
    # The source joins two tables whose both sides have an index on the join key (invitations
    # to their answers): a batch of several windows then merges the two indexes in key order
    # instead of hashing one whole table, whose probes miss the CPU caches; PostgreSQL's cost
    # model does not see it (scale 1, 24 months: 0.7 -> 0.5 s). One window keeps its plan. Hash
    # joins are off for the whole statement, and the gain relies on the table's heap being
    # mostly in id order (rows appended as they are created).
    merge_join: bool = False

    def rows(self, batch: Batch) -> list[dict]:
        """The monthly rows, as dicts with ``owner``, ``month`` (its first day), ``dim`` and
        the sums.

        A record's month is found by comparing ``field`` with the months' first instants (a
        binary search, ``Segments.index``) rather than by truncating it in the organisation's
        time zone: the same months, without converting every record's instant to local time.
        Records outside the batch's months (none, with the sources' own bounds) are left out,
        as no window would take them."""
        months = batch.months(self.span)
        source = self.source(batch.range(self.span)).order_by()
        kind = source.query.resolve_ref(self.field).output_field
        starts = [*months, add_months(months[-1], 1)]
        bounds = [local_midnight(m) for m in starts] if isinstance(kind, DateTimeField) else starts
        columns = (self.owner, self.dim) if self.dim else (self.owner,)
        rows = (
            source.annotate(month_=Segments(bounds).index(self.field))
            .values(*columns, "month_")
            .annotate(**self.sums)
        )
        if self.merge_join and len(batch.windows) > 1:
            with planner_settings({"enable_hashjoin": "off"}):
                rows = list(rows)
        # Segment ``k`` (1 ≤ k ≤ months) is the k-th month; 0 is before, the last after.
        out = []
        for row in rows:
            segment = row.pop("month_")
            if 0 < segment <= len(months):
                row["month"] = months[segment - 1]
                out.append(row)
        return out

    def fold(self, batch: Batch) -> None:
        batch.fold(self.rows(batch), span=self.span, owner=self.owner, dim=self.dim)
