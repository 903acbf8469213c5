"""Snapshots: upserts, freezing, backfill differences, targets in force, statuses, queries."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Interaction
from crm.services import revenue_line_record
from metrics import registry
from metrics.models import SNAPSHOT_KEY, Snapshot, Status
from metrics.periods import Period
from metrics.services import (
    VALUE_FIELDS,
    snapshot_backfill,
    snapshot_take,
    target_set,
)
from metrics.snapshot_writes import write_rows
from metrics.targets import status_of
from surveys.models import SurveyKind
from tests.factories import TeamFactory, TeamMembershipFactory, UserFactory
from tests.metrics.conftest import MARCH
from tests.metrics.factories import ResponseFactory, TargetFactory, local, logged, stored_snapshot

pytestmark = pytest.mark.django_db


def nps_answers(client, scores, when=None):
    for score in scores:
        ResponseFactory(
            client=client, kind=SurveyKind.NPS, score=score, answered_at=when or local(2026, 3, 10)
        )


def stored(who, kpi, period=MARCH, breakdown=""):
    return stored_snapshot(who, kpi, period, breakdown)


def test_taking_a_snapshot_twice_leaves_the_same_rows_never_duplicates(alice, book_client):
    nps_answers(book_client(alice), [10, 10, 3])
    snapshot_take(period=MARCH)
    first = list(
        Snapshot.objects.order_by("id").values_list(
            "subject_type", "subject_id", "kpi", "breakdown", "value", "status"
        )
    )
    snapshot_take(period=MARCH)
    again = list(
        Snapshot.objects.order_by("id").values_list(
            "subject_type", "subject_id", "kpi", "breakdown", "value", "status"
        )
    )
    assert again == first
    row = stored(alice, "nps")
    assert (row.value, row.numerator, row.denominator, row.sample) == (
        pytest.approx(33.3333),
        1,
        3,
        3,
    )
    assert row.low_sample is True
    assert row.formula_version == registry.get("nps").formula_version


def test_a_kpi_without_data_is_stored_as_null_with_status_no_data(alice, book_client):
    book_client(alice)
    snapshot_take(period=MARCH)
    row = stored(alice, "csat")
    assert (row.value, row.status, row.target) == (None, Status.NO_DATA, 80.0)


def test_a_run_killed_half_way_writes_nothing_and_the_rerun_is_complete(
    alice, book_client, monkeypatch
):
    nps_answers(book_client(alice), [10])
    import metrics.services as services

    def killed(*args, **kwargs):
        raise RuntimeError("worker lost")

    original = services.write_rows
    monkeypatch.setattr(services, "write_rows", lambda *a, **k: (original(*a, **k), killed()))
    with pytest.raises(RuntimeError):
        snapshot_take(period=MARCH)
    assert not Snapshot.objects.exists()
    monkeypatch.setattr(services, "write_rows", original)
    snapshot_take(period=MARCH)
    assert stored(alice, "nps").value == 100


def test_a_backfill_killed_half_way_keeps_the_periods_written_and_the_rerun_rewrites_them(
    alice, book_client, monkeypatch
):
    nps_answers(book_client(alice), [10])
    import metrics.services as services

    original, written = services.write_rows, []

    def dies_on_the_second_period(*args, **kwargs):
        if written:
            raise RuntimeError("worker lost")
        original(*args, **kwargs)
        written.append(True)

    monkeypatch.setattr(services, "write_rows", dies_on_the_second_period)
    with pytest.raises(RuntimeError):
        snapshot_backfill(first=MARCH, last=MARCH.shift(1))
    kept = dict(Snapshot.objects.values_list("id", "period_start"))
    assert set(kept.values()) == {MARCH.start}
    monkeypatch.setattr(services, "write_rows", original)
    snapshot_backfill(first=MARCH, last=MARCH.shift(1), overwrite_frozen=True)
    rewritten = Snapshot.objects.filter(period_start=MARCH.start)
    assert set(rewritten.values_list("id", flat=True)) == kept.keys()
    assert Snapshot.objects.filter(period_start=MARCH.shift(1).start).count() == len(kept)


@pytest.mark.parametrize(
    ("kpi", "value", "status"),
    [
        ("nps", 50, Status.GREEN),  # target 50, tolerance 10 % of the 200-point scale = 20
        ("nps", 31, Status.AMBER),
        ("nps", 29, Status.RED),
        ("csat", 72, Status.AMBER),  # target 80, tolerance 10 points
        ("ces", 2.5, Status.GREEN),  # lower is better: target 3.0, tolerance 0.6
        ("ces", 3.5, Status.AMBER),
        ("ces", 3.7, Status.RED),
        ("first_response_hours", 4.4, Status.AMBER),  # unbounded: 10 % of the 4 h target
        ("first_response_hours", 4.5, Status.RED),
        ("testimonials", 3, Status.NO_TARGET),
        ("nps", None, Status.NO_DATA),
    ],
)
def test_status_is_green_when_met_amber_within_tolerance_red_beyond(kpi, value, status):
    definition = registry.get(kpi)
    target = definition.default_target
    tolerance = definition.default_tolerance(target) if target is not None else None
    assert status_of(definition, value, target, tolerance) == status


def test_a_team_target_overrides_the_global_one_for_the_team_and_its_brms(
    alice, carol, team, book_client, settings
):
    settings.SURVEY_MIN_SAMPLE = 4  # judged, not a low sample
    nps_answers(book_client(alice), [10, 10, 10, 0])  # 50
    nps_answers(book_client(carol), [10, 10, 10, 0])
    target_set(kpi="nps", value=60, effective_from=date(2026, 1, 1), team=team, tolerance=5)
    target_set(kpi="nps", value=40, effective_from=date(2026, 1, 1))
    snapshot_take(period=MARCH)
    assert (stored(alice, "nps").target, stored(alice, "nps").status) == (60, Status.RED)
    assert stored(team, "nps").target == 60
    assert (stored(carol, "nps").target, stored(carol, "nps").status) == (40, Status.GREEN)


def test_the_target_in_force_on_the_periods_last_day_is_the_one_stored(alice, book_client):
    """(One answer is a low sample: the target is stored all the same, for when it is judged.)"""
    nps_answers(book_client(alice), [10])
    TargetFactory(kpi="nps", value=70, effective_from=date(2026, 3, 31))
    TargetFactory(kpi="nps", value=90, effective_from=date(2026, 4, 1))
    snapshot_take(period=MARCH)
    assert stored(alice, "nps").target == 70
    assert stored(alice, "nps").status == Status.LOW_SAMPLE


def test_changing_a_target_after_a_frozen_snapshot_never_rewrites_it(alice, book_client, settings):
    settings.SURVEY_MIN_SAMPLE = 3  # judged, not a low sample
    nps_answers(book_client(alice), [10, 10, 0])  # 33.3: amber against 50 (tolerance 20)
    snapshot_backfill(first=MARCH, last=MARCH)
    assert (
        stored(alice, "nps").target,
        stored(alice, "nps").status,
        stored(alice, "nps").frozen,
    ) == (50, Status.AMBER, True)

    target_set(kpi="nps", value=30, effective_from=date(2026, 3, 1))
    [run] = snapshot_backfill(first=MARCH, last=MARCH)
    assert run.kept_frozen
    changed = {(d.subject, d.kpi, d.field): (d.stored, d.recomputed) for d in run.differences}
    assert changed[(f"brm:{alice.pk}", "nps", "target")] == (50, 30)
    assert changed[(f"brm:{alice.pk}", "nps", "status")] == (Status.AMBER, Status.GREEN)
    assert (stored(alice, "nps").target, stored(alice, "nps").status) == (50, Status.AMBER)

    snapshot_backfill(first=MARCH, last=MARCH, overwrite_frozen=True)
    assert (stored(alice, "nps").target, stored(alice, "nps").status) == (30, Status.GREEN)


def test_late_records_in_a_frozen_period_are_reported_not_written(alice, book_client, capsys):
    from django.core.management import call_command

    client = book_client(alice)
    nps_answers(client, [10])
    call_command("backfill_kpis", "--from", "2026-03", "--to", "2026-03")
    nps_answers(client, [0])  # logged after the period was frozen
    call_command("backfill_kpis", "--from", "2026-03", "--to", "2026-03")
    output = capsys.readouterr().out
    assert "frozen, kept" in output
    assert f"brm:{alice.pk} nps value: stored 100.0, now 0.0" in output
    assert stored(alice, "nps").value == 100


def test_the_open_period_is_computed_to_date_and_left_open(alice, book_client):
    client = book_client(alice)
    revenue_line_record(client=client, product_name="A", recognised_on=date(2026, 3, 2), amount=10)
    november = Period.parse("2026-11")
    runs = snapshot_backfill(
        first=Period.parse("2026-10"), last=november, now=local(2026, 11, 15, 9)
    )
    assert [run.frozen for run in runs] == [True, False]
    assert not stored(alice, "revenue", november).frozen
    # To date: 14 days and 9 hours of November have elapsed.
    logged(client, Interaction.Kind.MEETING, local(2026, 11, 2))
    from metrics.engine import compute

    rows, _ = compute(november, now=local(2026, 11, 15, 0))
    [ipc] = [
        r
        for r in rows
        if r.subject.id == alice.pk
        and r.subject.type == "brm"
        and r.kpi.key == "interactions_per_client"
    ]
    assert ipc.result.value == pytest.approx(1 / 1 * 30 / 14, abs=1e-4)


def test_stale_rows_of_a_recomputed_open_period_are_removed(alice, book_client):
    client = book_client(alice)
    message = logged(client, Interaction.Kind.EMAIL, local(2026, 3, 2), topic="Pricing")
    snapshot_take(period=MARCH)
    assert stored(alice, "reply_conversion_rate", breakdown="Pricing").value == 0
    message.topic = "Renewal"
    message.save()
    snapshot_take(period=MARCH)
    assert not Snapshot.objects.filter(breakdown="Pricing").exists()
    assert stored(alice, "reply_conversion_rate", breakdown="Renewal").value == 0


def test_a_rerun_updates_the_same_rows_in_place_and_stamps_them_again(alice, book_client):
    client = book_client(alice)
    nps_answers(client, [10])
    snapshot_take(period=MARCH)  # nothing stored yet: one plain insert
    first = {row.pk: row for row in Snapshot.objects.all()}
    nps_answers(client, [0])
    snapshot_take(period=MARCH)  # stored: an upsert on the same rows
    again = {row.pk: row for row in Snapshot.objects.all()}
    assert again.keys() == first.keys()
    assert stored(alice, "nps").value == 0
    assert all(again[pk].computed_at > first[pk].computed_at for pk in again)


def test_breakdowns_and_parts_with_quotes_braces_and_backslashes_are_stored_as_written(
    alice, book_client
):
    topic = 'Price, "list" {2027} \\ NULL'
    logged(book_client(alice), Interaction.Kind.EMAIL, local(2026, 3, 2), topic=topic)
    nps_answers(book_client(alice), [10, 7, 0])
    snapshot_take(period=MARCH)
    assert stored(alice, "reply_conversion_rate", breakdown=topic).value == 0
    assert stored(alice, "nps").parts == {"promoters": 1.0, "passives": 1.0, "detractors": 1.0}
    assert not Snapshot.objects.filter(breakdown="NULL").exists()


def test_the_query_log_keeps_the_write_statement_not_its_rows(alice, book_client):
    """Under DEBUG the log keeps the last 9,000 statements: with every period's rows inlined,
    a backfill's memory would grow with its months. Both writes: nothing stored, then stored."""
    for index in range(30):
        logged(book_client(alice), Interaction.Kind.EMAIL, local(2026, 3, 2), topic=f"T{index}")
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            snapshot_take(period=MARCH)
        [write] = [
            q["sql"]
            for q in captured.captured_queries
            if q["sql"].startswith(("INSERT", "COPY", "MERGE"))
        ]
        assert "rows" in write
        assert len(write) < 1_500
    assert Snapshot.objects.count() > 100


# Everything a topic (a breakdown) may hold that a text format must escape: quotes, braces,
# commas, tabs, backslashes, new lines, a carriage return, what looks like NULL, and non-ASCII.
HOSTILE = "a\tb \"q\" 's' {x,y} \\N \\ \t\n\r\n end\\ Zoë 東京 \u200f\U0001f600 NULL"


@pytest.mark.parametrize("postgresql_version", [150000, 140000])
def test_hostile_breakdowns_and_parts_round_trip_through_a_first_write_and_a_rewrite(
    alice, postgresql_version, monkeypatch
):
    """The first write of a period (COPY on PostgreSQL) and its rewrite (MERGE, an upsert
    before PostgreSQL 15) store every text exactly as given, and the rewrite matches the
    stored rows on them."""
    if connection.vendor == "postgresql":
        monkeypatch.setattr(connection, "pg_version", postgresql_version)
    elif postgresql_version < 150000:
        pytest.skip("PostgreSQL only")

    def row(breakdown, value, parts):
        return {
            "subject_type": "brm",
            "subject_id": alice.pk,
            "kpi": "reply_conversion_rate",
            "breakdown": breakdown,
            "value": value,
            "numerator": 1,
            "denominator": None,
            "sample": None,
            "parts": parts,
            "margin_of_error": 1e308,
            "low_sample": False,
            "target": 50,
            "tolerance": None,
            "status": Status.RED,
            "formula_version": 3,
        }

    shared = {"grain": MARCH.grain, "period_start": MARCH.start, "frozen": False}
    texts = [HOSTILE, HOSTILE + "\n", "", "\\", "\t", " ", "'", "\\N"]
    written = [
        row(text, index / 10, {text: [text], "n": 1e-300}) for index, text in enumerate(texts)
    ]
    fields = [*SNAPSHOT_KEY, *VALUE_FIELDS, "frozen"]

    def stored_rows():
        return sorted(Snapshot.objects.values_list(*fields), key=lambda each: each[5])

    def expected():
        full = [r | shared for r in written]
        return sorted((tuple(r[name] for name in fields) for r in full), key=lambda each: each[5])

    write_rows(
        Snapshot._meta.db_table,
        written,
        shared | {"computed_at": local(2026, 4, 1)},
        unique=SNAPSHOT_KEY,
        update=None,
    )
    assert stored_rows() == expected()
    ids = set(Snapshot.objects.values_list("id", flat=True))
    written = [r | {"value": -r["value"], "numerator": None} for r in written]
    shared["frozen"] = True
    write_rows(
        Snapshot._meta.db_table,
        written,
        shared | {"computed_at": local(2026, 4, 2)},
        unique=SNAPSHOT_KEY,
        update=[*VALUE_FIELDS, "computed_at", "frozen"],
    )
    assert stored_rows() == expected()
    assert set(Snapshot.objects.values_list("id", flat=True)) == ids


def test_a_hostile_topic_round_trips_through_snapshots(alice, book_client):
    logged(book_client(alice), Interaction.Kind.EMAIL, local(2026, 3, 2), topic=HOSTILE)
    snapshot_take(period=MARCH)
    snapshot_take(period=MARCH)
    assert stored(alice, "reply_conversion_rate", breakdown=HOSTILE).value == 0
    assert set(Snapshot.objects.values_list("breakdown", flat=True)) == {"", HOSTILE}


def _organisation(brms: int, clients_per_brm: int):
    from tests.factories import ClientFactory

    for index in range(brms):
        team = TeamFactory()
        brm = UserFactory()
        TeamMembershipFactory(team=team, user=brm, started_on=date(2025, 1, 1))
        for _ in range(clients_per_brm):
            client = ClientFactory(owner=brm, relationship_started_on=date(2025, 1, 1))
            nps_answers(client, [index % 11])
            logged(client, Interaction.Kind.MEETING, local(2026, 3, 3))
            revenue_line_record(
                client=client, product_name="A", recognised_on=date(2026, 3, 3), amount=5
            )


# One snapshot of a period: subjects (3) and targets (1), the measure families (20), the period's
# write lock, what is stored and the insert (3), the savepoint (2): 29 at every size; on
# PostgreSQL 5 more for the engine's planner settings (their savepoint, the settings read, set
# and restored), with KPI_RANDOM_PAGE_COST set as it is by default.
SNAPSHOT_QUERIES = 29 + (5 if connection.vendor == "postgresql" else 0)


@pytest.fixture
def _default_page_cost(settings):
    settings.KPI_RANDOM_PAGE_COST = "1.1"


@pytest.mark.usefixtures("_default_page_cost")
@pytest.mark.parametrize(("brms", "clients_per_brm"), [(2, 1), (6, 4)])
def test_a_snapshot_takes_the_same_number_of_queries_at_any_size(
    brms, clients_per_brm, django_assert_num_queries
):
    _organisation(brms, clients_per_brm)
    with django_assert_num_queries(SNAPSHOT_QUERIES):
        snapshot_take(period=MARCH)
    assert Snapshot.objects.filter(subject_type="brm", kpi="nps").count() == brms


def test_no_snapshot_query_filters_an_aggregate_on_a_subquery_set(django_assert_max_num_queries):
    """``x IN (SELECT …)`` is only fast while its hash fits ``work_mem``; past that PostgreSQL
    re-scans the whole set for every row (142 s for one day of reply conversion at twice the
    benchmark's size). The engine probes with correlated EXISTS or joins instead."""
    _organisation(2, 2)
    with django_assert_max_num_queries(SNAPSHOT_QUERIES) as captured:
        snapshot_take(period=MARCH)
    statements = [query["sql"].upper() for query in captured.captured_queries]
    assert statements
    assert not [sql for sql in statements if " IN (SELECT" in sql]
