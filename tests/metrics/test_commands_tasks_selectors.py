"""The commands, the beat job and the selectors the scorecard pages read."""

import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from crm.models import Interaction
from crm.services import interaction_log
from metrics import selectors, tasks
from metrics.models import Snapshot
from metrics.periods import Period
from metrics.services import snapshot_take
from metrics.subjects import SubjectKey
from surveys.models import SurveyKind
from tests.metrics.conftest import MARCH
from tests.metrics.factories import ResponseFactory, local

pytestmark = pytest.mark.django_db


def test_kpis_command_prints_live_values_as_json(alice, book_client, capsys):
    client = book_client(alice)
    for score in (10, 9, 0):
        ResponseFactory(
            client=client, kind=SurveyKind.NPS, score=score, answered_at=local(2026, 3, 4)
        )
    call_command("kpis", "--period", "2026-03", "--brm", "ALICE@example.com", "--json")
    payload = json.loads(capsys.readouterr().out)
    nps = next(row for row in payload["kpis"] if row["key"] == "nps")
    assert nps | {"value": round(nps["value"], 2)} == nps | {
        "value": 33.33,
        "numerator": 1.0,
        "denominator": 3.0,
        "sample": 3,
        "status": "low_sample",  # 3 answers: shown, not judged
        "target": 50.0,
    }
    assert not Snapshot.objects.exists()  # live, nothing stored


def test_kpis_command_refuses_an_unknown_team_or_a_malformed_period(db):
    with pytest.raises(CommandError, match="No team named Nowhere"):
        call_command("kpis", "--period", "2026-03", "--team", "Nowhere")
    with pytest.raises(CommandError, match="not YYYY-MM"):
        call_command("snapshot_kpis", "--period", "March")


def test_snapshot_command_stores_a_quarter(alice, book_client):
    book_client(alice)
    call_command("snapshot_kpis", "--period", "2026-02", "--grain", "quarter")
    assert Snapshot.objects.filter(grain="quarter", period_start=date(2026, 1, 1)).exists()


def test_the_beat_job_recomputes_open_periods_and_freezes_closed_ones_once(
    alice, book_client, settings, monkeypatch
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    book_client(alice)
    now = local(2026, 4, 2, 3)  # 27 hours after March closed, past the 24-hour grace
    monkeypatch.setattr("metrics.tasks.timezone.now", lambda: now)
    monkeypatch.setattr("metrics.services.timezone.now", lambda: now)
    calls = []
    monkeypatch.setattr(tasks.snapshot_period, "delay", lambda *a, **k: calls.append((a, k)))
    tasks.snapshot_schedule()
    assert ((("month", "2026-03-01"), {"freeze": True})) in calls
    assert ((("month", "2026-04-01"), {})) in calls
    for args, kwargs in calls:
        tasks.snapshot_period(*args, **kwargs)
    assert Snapshot.objects.filter(grain="month", period_start=MARCH.start, frozen=True).exists()
    assert not Snapshot.objects.filter(period_start=date(2026, 4, 1), frozen=True).exists()
    calls.clear()
    tasks.snapshot_schedule()
    assert all(args[1] != "2026-03-01" for args, _ in calls)


def test_selectors_read_a_subject_a_trend_and_a_team_in_one_query_each(
    alice, bob, team, book_client, django_assert_num_queries
):
    client = book_client(alice)
    for month in (1, 2, 3):
        ResponseFactory(
            client=client, kind=SurveyKind.NPS, score=10, answered_at=local(2026, month, 5)
        )
        snapshot_take(period=Period.parse(f"2026-0{month}"))
    alice_key = SubjectKey("brm", alice.pk)
    with django_assert_num_queries(1):
        rows = list(selectors.snapshots_for(alice_key, MARCH))
    assert {row.kpi for row in rows} >= {"nps", "retention_rate", "revenue"}
    with django_assert_num_queries(1):
        nps_trend = [row for row in selectors.trend(alice_key, MARCH) if row.kpi == "nps"]
    assert [row.period_start.month for row in nps_trend] == [1, 2, 3]
    with django_assert_num_queries(1):
        matrix = list(selectors.team_matrix(team.pk, MARCH))
    assert {(row.subject_type, row.subject_id) for row in matrix} == {
        ("team", team.pk),
        ("brm", alice.pk),
        ("brm", bob.pk),
    }


def test_drilldown_lists_the_records_behind_a_number(alice, bob, team, book_client):
    quiet, busy = book_client(alice), book_client(alice)
    interaction_log(
        client=busy, logged_by=alice, kind=Interaction.Kind.MEETING, occurred_at=local(2026, 3, 3)
    )
    ResponseFactory(client=busy, kind=SurveyKind.NPS, score=2, answered_at=local(2026, 3, 3))
    ResponseFactory(
        client=book_client(bob), kind=SurveyKind.NPS, score=10, answered_at=local(2026, 3, 3)
    )
    now = local(2026, 5, 1)
    dormant = selectors.drilldown("dormant_share", SubjectKey("brm", alice.pk), MARCH, now=now)
    assert {(c.pk, c.in_numerator) for c in dormant} == {(quiet.pk, True), (busy.pk, False)}
    answers = selectors.drilldown("nps", SubjectKey("team", team.pk), MARCH, now=now)
    assert sorted(answer.score for answer in answers) == [2, 10]


def test_backfilling_the_last_periods_freezes_the_closed_ones_and_keeps_the_current_open(
    alice, book_client, capsys
):
    book_client(alice)
    call_command("backfill_kpis", "--last", "3", "--grain", "month")
    current = Period.current("month")
    frozen_by_period = dict(
        Snapshot.objects.filter(grain="month").values_list("period_start", "frozen").distinct()
    )
    assert frozen_by_period == {
        current.shift(-2).start: True,
        current.shift(-1).start: True,
        current.start: False,
    }
    assert "rows written (open, to date)" in capsys.readouterr().out


def test_backfill_refuses_a_range_and_a_count_together(db):
    with pytest.raises(CommandError, match="either --last N"):
        call_command("backfill_kpis", "--last", "3", "--from", "2026-01")
