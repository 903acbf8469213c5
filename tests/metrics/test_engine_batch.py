"""One pass over many periods gives exactly what computing each period on its own gives."""

import math
from datetime import date, datetime, time

import pytest
from django.utils import timezone

from demo.scale import DemoScale
from demo.seed import demo_seed
from metrics.engine import compute, compute_many
from metrics.periods import Grain, Period, periods_between
from tests.markers import needs_postgresql

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 17)
NOW = timezone.make_aware(datetime.combine(TODAY, time(15, 30)))


@pytest.fixture
def demo(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    demo_seed(scale=DemoScale(brms=6, teams=2, clients=60, months=14, seed=11), today=TODAY)


def _values(rows) -> dict:
    """Each row's numbers, its parts flattened so that they compare as numbers."""
    return {
        (str(row.subject), row.kpi.key, row.breakdown): (
            row.result.value,
            row.result.numerator,
            row.result.denominator,
            row.result.sample,
            row.result.margin_of_error,
            row.low_sample,
            *sorted(row.result.parts.items()),
        )
        for row in rows
    }


def _same(a, b) -> bool:
    """Equal, numbers up to float rounding (sums are added in another order)."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float | int) and isinstance(b, float | int):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def _periods(grain: str, count: int) -> list[Period]:
    last = Period.current(grain, NOW)
    return periods_between(last.shift(1 - count), last)


def test_one_pass_over_every_grain_equals_each_period_computed_alone(demo):
    periods = _periods(Grain.MONTH, 14) + _periods(Grain.QUARTER, 5) + _periods(Grain.YEAR, 2)
    together = {period: _values(rows) for period, rows, _ in compute_many(periods, now=NOW)}
    assert list(together) == sorted(periods)
    compared = 0
    for period in periods:
        alone = _values(compute(period, now=NOW)[0])
        assert together[period].keys() == alone.keys(), period
        for key, expected in alone.items():
            assert _same(together[period][key], expected), (period, key)
        compared += len(alone)
    # Every KPI, with breakdowns by topic and stage, has values somewhere in the demo.
    keys = {key for values in together.values() for key, value in values.items() if value[0]}
    assert {kpi for _, kpi, _ in keys} >= {
        "nps",
        "closed_loop_rate",
        "reply_conversion_rate",
        "network_reach",
        "revenue_growth_existing",
        "clv",
        "sales_cycle_days",
        "resolution_hours",
        "feedback_implementation_rate",
    }
    assert any(breakdown for _, _, breakdown in keys)
    assert compared > 5_000


def test_the_book_read_once_for_every_period_equals_each_period_listed_alone(demo):
    """The book and the clients held while active, read in one statement for 14 months, 5
    quarters and 2 years of demo data, agree client by client with the drill-down's querysets
    of each period on its own."""
    from django.db import connection

    from metrics.book_scan import book_rows
    from metrics.held_scan import held_rows
    from metrics.periods import Window
    from metrics.sources import book, held_in_year
    from tests.metrics.test_engine_book import BOOK_COLUMNS, _normalised

    periods = _periods(Grain.MONTH, 14) + _periods(Grain.QUARTER, 5) + _periods(Grain.YEAR, 2)
    windows = [Window.of(period, NOW) for period in periods]
    with connection.cursor() as cursor:
        cursor.execute(*book_rows(windows))
        names = [column[0] for column in cursor.description]
        scanned = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
        cursor.execute(*held_rows(windows))
        held = cursor.fetchall()
    for index, window in enumerate(windows):
        listed = {
            row.pop("id"): _normalised(row) for row in book(window).values("id", *BOOK_COLUMNS)
        }
        assert {row["client_id"]: _normalised(row) for row in scanned if row["i"] == index} == (
            listed
        ), window
        spans: dict[tuple[int, int], int] = {}
        for owner_id, client_id, in_period in held_in_year(window).values_list(
            "owner_id", "client_id", "in_period"
        ):
            spans[owner_id, client_id] = max(spans.get((owner_id, client_id), 0), in_period)
        assert {(who, x): p for i, who, x, p, _ in held if i == index} == spans, window
    # The demo has churn, hand-overs, dormant and engaged clients in these periods.
    assert any(row["churned_recently"] for row in scanned)
    assert any(row["dormant"] for row in scanned) and any(row["engaged"] for row in scanned)
    assert any(row["owner_start"] != row["owner_end"] for row in scanned)


def test_a_backfill_too_long_for_one_statement_equals_each_period_computed_alone(settings):
    """30 months have more window bounds than a 63-bit mask holds: the book and the held
    clients are read in several statements (``book_scan.batches``), and the values are those
    of each period computed alone."""
    from metrics.book_scan import batches
    from metrics.periods import Window

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    demo_seed(scale=DemoScale(brms=3, teams=2, clients=24, months=30, seed=5), today=TODAY)
    periods = _periods(Grain.MONTH, 30)
    assert len(batches([Window.of(period, NOW) for period in periods])) > 1
    together = {period: _values(rows) for period, rows, _ in compute_many(periods, now=NOW)}
    for period in (periods[0], periods[11], periods[12], periods[-2], periods[-1]):
        alone = _values(compute(period, now=NOW)[0])
        assert together[period].keys() == alone.keys(), period
        for key, expected in alone.items():
            assert _same(together[period][key], expected), (period, key)


def test_the_open_periods_at_the_first_instant_of_a_month_are_measured_not_an_error(demo):
    """A refresh that runs at local midnight on the 1st (a beat schedule, say) measures the
    month, quarter and year that have just opened: no events yet, every subject still listed."""
    midnight = timezone.make_aware(datetime.combine(date(2026, 7, 1), time(0, 0)))
    opened = [Period.current(grain, midnight) for grain in (Grain.MONTH, Grain.QUARTER)]
    for period, rows, _ in compute_many(opened, now=midnight):
        assert period.start == date(2026, 7, 1)
        revenue = [row for row in rows if row.kpi.key == "revenue" and row.breakdown == ""]
        assert revenue and all(not row.result.value for row in revenue)


@needs_postgresql("work_mem and random_page_cost are PostgreSQL settings; SQLite has none")
def test_the_engine_runs_with_its_planner_settings_and_gives_the_same_values(
    demo, settings, monkeypatch
):
    """On PostgreSQL every period's families run with ``KPI_RANDOM_PAGE_COST``, and those of a
    batch of several periods with ``KPI_WORK_MEM`` too, both restored afterwards, while a single
    period keeps the server's ``work_mem``; the values are the same as with the server's."""
    from metrics import engine

    seen = []
    monkeypatch.setattr(
        engine,
        "MEASURE_FAMILIES",
        [
            *engine.MEASURE_FAMILIES,
            lambda batch: seen.append((len(batch.windows), *_engine_settings())),
        ],
    )
    work_mem, page_cost = _engine_settings()
    periods = _periods(Grain.MONTH, 3)
    settings.KPI_WORK_MEM, settings.KPI_RANDOM_PAGE_COST = "48MB", "1.3"
    raised = {period: _values(rows) for period, rows, _ in compute_many(periods, now=NOW)}
    assert _engine_settings() == (work_mem, page_cost)
    compute(periods[0], now=NOW)
    settings.KPI_WORK_MEM = settings.KPI_RANDOM_PAGE_COST = ""
    kept = {period: _values(rows) for period, rows, _ in compute_many(periods, now=NOW)}

    assert work_mem != "48MB" and page_cost != "1.3"
    assert seen == [(3, "48MB", "1.3"), (1, work_mem, "1.3"), (3, work_mem, page_cost)]
    assert raised.keys() == kept.keys()
    for period, values in kept.items():
        assert raised[period].keys() == values.keys(), period
        for key, expected in values.items():
            assert _same(raised[period][key], expected), (period, key)


@needs_postgresql("work_mem and random_page_cost are PostgreSQL settings; SQLite has none")
def test_a_family_that_fails_leaves_the_server_settings_in_force(demo, settings, monkeypatch):
    """A batch whose family raises inside a caller's transaction: the caller's later
    statements run with the server's ``work_mem`` and ``random_page_cost``, not the engine's."""
    from django.db import transaction

    from metrics import engine

    def fails(batch):
        raise RuntimeError("a family failed")

    monkeypatch.setattr(engine, "MEASURE_FAMILIES", [*engine.MEASURE_FAMILIES[:1], fails])
    settings.KPI_WORK_MEM, settings.KPI_RANDOM_PAGE_COST = "48MB", "1.3"
    with transaction.atomic():
        server = _engine_settings()
        with pytest.raises(RuntimeError, match="a family failed"):
            list(compute_many(_periods(Grain.MONTH, 2), now=NOW))
        assert _engine_settings() == server
    assert server[0] != "48MB" and server[1] != "1.3"


def _engine_settings() -> tuple[str, str]:
    """This connection's ``work_mem`` and ``random_page_cost`` now."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('work_mem'), current_setting('random_page_cost')")
        return cursor.fetchone()
