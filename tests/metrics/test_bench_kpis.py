"""``make bench``'s command on a tiny organisation: every line it promises is printed."""

import io
import re

import pytest
from django.core.management import call_command
from django.db import connection

from tests.markers import needs_postgresql

POSTGRESQL = needs_postgresql("the benchmark measures PostgreSQL's server CPU")


@pytest.fixture
def _fresh_connection():
    yield
    # The bench's session settings (no parallel workers) end with its connection.
    connection.close()


@POSTGRESQL
@pytest.mark.usefixtures("reference_data", "_fresh_connection")
def test_the_bench_prints_the_floor_the_ratios_and_the_median_of_several_pairs():
    out = io.StringIO()
    call_command(
        "bench_kpis",
        scale=0.01,
        months=3,
        backfill=3,
        grains="month",
        again="",
        write_seconds=0,
        pairs=3,
        max_snapshot_ratio=1000,
        stdout=out,
    )
    text = out.getvalue()

    assert re.search(r"^floor \(GROUP BY per table\) +\d+\.\d\d s", text, re.MULTILINE)
    assert re.search(r"month snapshot \S+ .* = \d+\.\d\d× floor", text)
    assert re.search(r"month backfill 3 \(\S+…\) .* = \d+\.\d\d× snapshot", text)
    pairs = re.search(
        r"median of 3 pairs: floor (\d+\.\d\d) s, snapshot (\d+\.\d\d) s \((\d+\.\d\d)× floor\), "
        r"backfill (\d+\.\d\d) s; backfill ÷ snapshot (\d+\.\d\d)× \((\d+\.\d\d)–(\d+\.\d\d)×\)",
        text,
    )
    assert pairs, text
    median, low, high = (float(pairs[n]) for n in (5, 6, 7))
    assert low <= median <= high
    assert "24 months" in text and "µs each" in text
    assert re.search(r"snapshot ÷ floor: month \d+\.\d\d× \(within the limit of 1000×\)", text)


@pytest.mark.parametrize(
    ("options", "refusal"),
    [
        ({"pairs": 0}, "--pairs must be 1 or more"),
        ({"pairs": 3, "backfill": 0}, "it needs --backfill"),
    ],
)
def test_pairs_it_cannot_measure_are_refused_before_anything_is_loaded(options, refusal):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=refusal):
        call_command("bench_kpis", stdout=io.StringIO(), **options)


@POSTGRESQL
@pytest.mark.usefixtures("reference_data", "_fresh_connection")
def test_rows_read_count_what_an_index_only_scan_returns(alice):
    # The reply conversion's messages come from an index alone (crm.0015): PostgreSQL's count of
    # rows fetched from the table leaves them out, and the bench printed "0 rows read" for them.
    from crm.models import OUTBOUND_MESSAGE, Interaction
    from metrics import bench
    from metrics.sql import planner_settings
    from tests.factories import ClientFactory, InteractionFactory

    client = ClientFactory(owner=alice)
    InteractionFactory.create_batch(5, client=client, owner=alice, kind=Interaction.Kind.EMAIL)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) crm_interaction")  # visibility map: no table fetch

    def read_from_the_index():
        with planner_settings({"enable_seqscan": "off", "enable_bitmapscan": "off"}):
            messages = Interaction.objects.filter(OUTBOUND_MESSAGE).values_list("occurred_at")
            assert "Index Only Scan" in messages.explain()
            assert len(messages) == 5

    assert bench.measure(read_from_the_index).rows_scanned == 5
