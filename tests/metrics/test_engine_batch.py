"""One pass over many periods gives exactly what computing each period on its own gives."""

import math
from datetime import date, datetime, time

import pytest
from django.utils import timezone

from demo.scale import DemoScale
from demo.seed import demo_seed
from metrics.engine import compute, compute_many
from metrics.periods import Grain, Period, periods_between

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
