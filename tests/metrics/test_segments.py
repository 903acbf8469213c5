"""Segments between the bounds of a batch's windows: how the one-statement book and the
per-window counts tell which windows an event falls in."""

from datetime import date, datetime, time

from django.conf import settings
from django.utils import timezone

from metrics.book_scan import batches
from metrics.periods import Grain, Period, Window
from metrics.sql import Segments

NOW = timezone.make_aware(datetime.combine(date(2026, 6, 17), time(15, 30)))


def test_a_window_is_the_run_of_segments_between_its_bounds():
    segments = Segments([date(2026, 3, 1), date(2026, 1, 1), date(2026, 2, 1), date(2026, 1, 1)])
    assert segments.bounds == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    # Segment 0 is before the first bound, segment 1 from January 1st to February 1st, ...
    assert list(segments.of(date(2026, 1, 1), date(2026, 3, 1))) == [1, 2]
    assert segments.mask(date(2026, 2, 1), date(2026, 3, 1)) == 0b100
    assert segments.mask(date(2026, 1, 1), date(2026, 1, 1)) == 0


def test_a_long_backfill_is_split_into_groups_whose_bounds_fit_a_mask():
    last = Period.current(Grain.MONTH, NOW).previous
    windows = [Window.of(last.shift(-k), NOW) for k in reversed(range(60))]
    groups = batches(windows)
    assert len(groups) > 1
    assert [window for group in groups for window in group] == windows
    for group in groups:
        instants = {
            moment
            for w in group
            for moment in (w.start_at, w.until, w.trailing_days_at(settings.DORMANT_AFTER_DAYS))
        }
        assert len(instants) < Segments.MAX_BITS
    # A 24-month backfill is one statement.
    assert len(batches(windows[-24:])) == 1
