"""95 % intervals of survey ratios, worked values (metrics.intervals)."""

import math

import pytest

from metrics.intervals import nps_interval, nps_margin, wilson


def test_wilson_keeps_a_small_perfect_score_honest():
    # CSAT 2 of 2: p = 1, z = 1.96 → centre (1 + 0.9604) / 2.9208, half 1.96 × √(0.9604 / 4) /
    # 2.9208 → 34.24 % to 100 %.
    low, high = wilson(2, 2)
    assert low == pytest.approx(34.24, abs=0.01)
    assert high == 100
    assert wilson(0, 5)[0] == 0 and wilson(0, 5)[1] == pytest.approx(43.45, abs=0.01)
    assert wilson(0, 0) is None


def test_wilson_narrows_with_the_sample():
    small, large = wilson(8, 10), wilson(80, 100)
    assert small[1] - small[0] > large[1] - large[0]
    assert large == pytest.approx((71.1, 86.7), abs=0.05)


def test_wilson_refuses_a_count_that_is_not_a_proportion():
    with pytest.raises(ValueError, match="not a proportion"):
        wilson(3, 2)


def test_the_nps_margin_is_the_catalogs_and_clipped_to_the_scale():
    # 3 promoters and 1 detractor of 4: NPS 50, margin 196 × √((1 − 0.25) / 4) = 84.87.
    assert nps_margin(3, 0, 1) == pytest.approx(196 * math.sqrt(0.75 / 4))
    low, high = nps_interval(3, 0, 1)
    assert (round(low, 2), high) == (-34.87, 100)
    # 1 promoter and 1 detractor: ± 139 becomes the whole scale, −100 to 100.
    assert nps_interval(1, 0, 1) == (-100, 100)


def test_one_answer_never_reads_plus_or_minus_zero():
    # A single promoter: the catalog's margin is 0; with one pseudo-answer per group
    # pP = 2/4, pD = 1/4 → 196 × √((0.75 − 0.0625) / 1) = 162.5: 100 reads as −62 to 100.
    assert nps_margin(1, 0, 0) == pytest.approx(196 * math.sqrt(0.6875))
    low, high = nps_interval(1, 0, 0)
    assert high == 100 and low == pytest.approx(100 - 196 * math.sqrt(0.6875))
    assert nps_margin(12, 0, 0) > 0  # unanimous, however many
    assert nps_interval(0, 0, 0) is None
