"""Hypothesis settings for the fuzz tests. CI runs a fixed set of examples, so a red build
always points at a real, reproducible input; locally every run explores new ones."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def fuzz_settings(max_examples: int) -> settings:
    """Settings for a fuzz test on pytest-django's database: ``max_examples`` inputs, no time
    limit per example (the database is slow on a shared machine), and no example database
    (the inputs that failed are printed instead; CI derandomizes). The function-scoped fixtures
    are set up once for all examples, which these tests allow for by comparing row counts."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
