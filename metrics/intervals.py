"""95 % intervals for survey ratios, so a score from a handful of answers reads as what it is.

Proportions (CSAT, response rate, closed loop) get Wilson's score interval: unlike "p ± 1.96 ×
standard error" it stays inside 0…100 % and is not zero-width at 0 of n or n of n (CSAT 2 of 2
is 34–100 %, not "100 %"). NPS gets the catalog's margin ``1.96 × 100 × sqrt((pP + pD −
(pP − pD)²) / N)`` clipped to −100…100. That margin is zero when every answer is the same (one
answer, or all promoters); there the variance is taken with one pseudo-answer in each of the
three groups (the Agresti–Caffo adjustment), so one answer never reads "± 0".

Written out rather than imported: the arithmetic is four lines and the statistics packages
that have it (statsmodels) would bring numpy, scipy and pandas into a web app that has none.
"""

from __future__ import annotations

import math

# The normal quantile of a two-sided 95 % interval, rounded as the catalog writes it.
Z95 = 1.96

Interval = tuple[float, float]


def wilson(successes: float, n: float, *, z: float = Z95) -> Interval | None:
    """Wilson's score interval of ``successes`` out of ``n``, in percent; ``None`` without
    answers. Raises ``ValueError`` if ``successes`` is outside ``0…n``."""
    if not n:
        return None
    if not 0 <= successes <= n:
        raise ValueError(f"{successes} successes out of {n} is not a proportion.")
    p = successes / n
    scale = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / scale
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / scale
    return 100 * max(0.0, centre - half), 100 * min(1.0, centre + half)


def nps_margin(promoters: float, passives: float, detractors: float, *, z: float = Z95) -> float:
    """The catalog's 95 % margin of an NPS in points; with unanimous answers (a variance of 0),
    the margin of the same answers plus one promoter, one passive and one detractor."""
    n = promoters + passives + detractors
    if not n:
        raise ValueError("An NPS margin needs at least one answer.")
    p, d = promoters / n, detractors / n
    variance = max(p + d - (p - d) ** 2, 0.0)
    if variance == 0:
        p, d = (promoters + 1) / (n + 3), (detractors + 1) / (n + 3)
        variance = p + d - (p - d) ** 2
    return z * 100 * math.sqrt(variance / n)


def nps_interval(promoters: float, passives: float, detractors: float) -> Interval | None:
    """The NPS ± its margin, clipped to −100…100; ``None`` without answers."""
    n = promoters + passives + detractors
    if not n:
        return None
    score = 100 * (promoters - detractors) / n
    margin = nps_margin(promoters, passives, detractors)
    return max(-100.0, score - margin), min(100.0, score + margin)
