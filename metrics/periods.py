"""KPI periods: a calendar month, quarter or year, half-open ``[start, end)`` and cut at
midnight in the organisation's time zone (``settings.TIME_ZONE``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import models
from django.utils import timezone

from crm.input_rules import FIRST_YEAR, LAST_YEAR


class Grain(models.TextChoices):
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"
    YEAR = "year", "Year"


MONTHS_IN = {Grain.MONTH: 1, Grain.QUARTER: 3, Grain.YEAR: 12}


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after the month of ``day``."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass(frozen=True, order=True)
class Period:
    grain: str
    start: date

    @classmethod
    def containing(cls, grain: str, day: date) -> Period:
        if grain not in MONTHS_IN:
            raise ValueError(f"Unknown grain {grain!r}: use month, quarter or year.")
        first_month = (day.month - 1) // MONTHS_IN[grain] * MONTHS_IN[grain] + 1
        return cls(grain, date(day.year, first_month, 1))

    @classmethod
    def parse(cls, text: str, grain: str = Grain.MONTH) -> Period:
        """``2026-03`` (the ``grain`` period containing March 2026), ``2026-Q1`` or ``2026``.

        Raises ValueError for any other text, and for years outside ``FIRST_YEAR``..``LAST_YEAR``.
        """
        text = text.strip()
        if match := re.fullmatch(r"(\d{4})-(\d{2})", text):
            year, month = int(match[1]), int(match[2])
        elif match := re.fullmatch(r"(\d{4})-[Qq]([1-4])", text):
            year, month = int(match[1]), (int(match[2]) - 1) * 3 + 1
        elif match := re.fullmatch(r"(\d{4})", text):
            year, month = int(match[1]), 1
        else:
            raise ValueError(f"Period {text!r} is not YYYY-MM, YYYY-Qn or YYYY.")
        if not 1 <= month <= 12:
            raise ValueError(f"Period {text!r} has no month {month}.")
        if not FIRST_YEAR <= year <= LAST_YEAR:
            # The same years the pages and imports accept: a period beyond them holds no
            # record, and its neighbours would fall outside the calendar.
            raise ValueError(f"Period {text!r} is outside the years {FIRST_YEAR}–{LAST_YEAR}.")
        return cls.containing(grain, date(year, month, 1))

    @classmethod
    def current(cls, grain: str, now: datetime | None = None) -> Period:
        return cls.containing(grain, timezone.localdate(now or timezone.now()))

    @property
    def end(self) -> date:
        """The first day after the period."""
        return add_months(self.start, MONTHS_IN[self.grain])

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def start_at(self) -> datetime:
        return local_midnight(self.start)

    @property
    def end_at(self) -> datetime:
        return local_midnight(self.end)

    def shift(self, periods: int) -> Period:
        return Period(self.grain, add_months(self.start, periods * MONTHS_IN[self.grain]))

    @property
    def previous(self) -> Period:
        return self.shift(-1)

    def is_closed(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.end_at

    def label(self) -> str:
        if self.grain == Grain.MONTH:
            return f"{self.start:%Y-%m}"
        if self.grain == Grain.QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}"

    def __str__(self) -> str:
        return self.label()


def periods_between(first: Period, last: Period) -> list[Period]:
    """Every period of ``first``'s grain from ``first`` to ``last``, both included."""
    periods, period = [], first
    while period <= last:
        periods.append(period)
        period = period.shift(1)
    return periods


@dataclass(frozen=True)
class Window:
    """The instants a period's KPIs are measured over, as of ``now``.

    ``until`` is the period's end, or ``now`` for the open period ("to date"): events count in
    ``[start_at, until)``, and "at period end" means on ``last_day``, the day of the last
    instant before ``until``. Trailing windows (90 days, 12 months) end at ``until``.
    """

    period: Period
    until: datetime

    @classmethod
    def of(cls, period: Period, now: datetime | None = None) -> Window:
        now = now or timezone.now()
        # An open period is at least one microsecond long: at the very first instant of a
        # month its last day is its first day, not the day before it starts.
        return cls(
            period, min(period.end_at, max(now, period.start_at + timedelta(microseconds=1)))
        )

    @property
    def start(self) -> date:
        return self.period.start

    @property
    def start_at(self) -> datetime:
        return self.period.start_at

    @property
    def is_to_date(self) -> bool:
        return self.until < self.period.end_at

    @property
    def last_day(self) -> date:
        return timezone.localdate(self.until - timedelta(microseconds=1))

    @property
    def end_day(self) -> date:
        """The first day after ``last_day``: "the period end" for day counts."""
        return self.last_day + timedelta(days=1)

    @property
    def days(self) -> float:
        return (self.until - self.start_at).total_seconds() / 86400

    def trailing_days_at(self, days: int) -> datetime:
        return self.until - timedelta(days=days)

    def trailing_days_from(self, days: int) -> date:
        """First day of the ``days``-day window ending on ``last_day``."""
        return self.last_day - timedelta(days=days - 1)

    @property
    def year_start(self) -> date:
        """First day of the trailing 12 months ending with the period."""
        return add_months(self.period.end, -12)

    @property
    def year_start_at(self) -> datetime:
        return local_midnight(self.year_start)

    @property
    def previous_last_day(self) -> date:
        """Last day of the comparison span in the previous period: all of it once the period
        has closed, the same number of days as elapsed so far while it is open."""
        previous = self.period.previous
        if not self.is_to_date:
            return previous.last_day
        return min(previous.last_day, previous.start + (self.last_day - self.start))
