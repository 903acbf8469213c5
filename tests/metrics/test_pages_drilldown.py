"""Every number links to the records behind it, and the list reproduces the number: the engine
takes a snapshot of a small March 2026, then each drill-down page is checked against it."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from crm.models import DealStage, Interaction, Priority
from crm.services import (
    client_reassign,
    deal_create,
    deal_move,
    follow_up_complete,
    follow_up_create,
    support_issue_open,
    support_issue_resolve,
)
from metrics.models import Snapshot
from metrics.periods import Period
from metrics.services import snapshot_take
from surveys.models import SurveyKind
from tests.metrics.factories import ResponseFactory, local, logged, stored_snapshot

pytestmark = pytest.mark.django_db

MARCH = Period.parse("2026-03")


def records_url(kind, pk, kpi, **query):
    params = "&".join(f"{k}={v}" for k, v in {"period": "2026-03", **query}.items())
    return reverse("kpi_records", args=[kind, pk, kpi]) + "?" + params


def stored(who, kpi, breakdown=""):
    return stored_snapshot(who, kpi, MARCH, breakdown)


def drill(client, user, *args, **query):
    client.force_login(user)
    response = client.get(records_url(*args, **query))
    assert response.status_code == 200
    return response.context["drill"]


def listed_clients(drill):
    return sorted(str(row.client) for row in drill.rows)


def test_the_detractors_behind_an_nps_are_listed_and_add_up(
    client, alice, bob, team, maria, book_client
):
    acme, bolt = book_client(alice, name="Acme"), book_client(alice, name="Bolt")
    for who, score in [(acme, 10), (acme, 9), (bolt, 3), (bolt, 5), (acme, 7)]:
        ResponseFactory(client=who, kind=SurveyKind.NPS, score=score, answered_at=local(2026, 3, 9))
    ResponseFactory(
        client=book_client(bob), kind=SurveyKind.NPS, score=0, answered_at=local(2026, 3, 9)
    )
    snapshot_take(period=MARCH)

    everything = drill(client, alice, "brm", alice.pk, "nps")
    assert everything.reproduced
    assert everything.total == stored(alice, "nps").denominator == 5
    detractors = drill(client, alice, "brm", alice.pk, "nps", show="detractors")
    assert [row.cells[3] for row in detractors.rows] == ["5", "3"]
    assert listed_clients(detractors) == ["Bolt", "Bolt"]
    assert {tab.slug: tab.count for tab in detractors.tabs} == {
        "": 5,
        "promoters": 2,
        "passives": 1,
        "detractors": 2,
    }
    # The team's list is every answer of the team, so it reproduces the team's own NPS.
    team_list = drill(client, maria, "team", team.pk, "nps", show="detractors")
    assert team_list.reproduced and len(team_list.rows) == 3
    assert stored(team, "nps").parts["detractors"] == 3


def test_the_dormant_clients_are_the_ones_listed(client, alice, maria, book_client):
    touched, _silent, noted = (book_client(alice, name=n) for n in ("Touched", "Silent", "Noted"))
    logged(touched, Interaction.Kind.MEETING, local(2026, 3, 5))
    logged(noted, Interaction.Kind.NOTE, local(2026, 3, 6))
    snapshot_take(period=MARCH)
    dormant = drill(client, maria, "brm", alice.pk, "dormant_share", show="counted")
    assert dormant.reproduced
    assert listed_clients(dormant) == ["Noted", "Silent"]
    assert stored(alice, "dormant_share").numerator == len(dormant.rows) == 2
    assert dormant.headers[-1] == "Last touch"
    assert {row.cells[-1] for row in dormant.rows} == {"never"}


def test_the_issues_that_breached_their_sla_are_listed(client, alice, book_client):
    acme = book_client(alice, name="Acme")
    quick = support_issue_open(
        client=acme, title="Quick fix", priority=Priority.NORMAL, opened_at=local(2026, 3, 2)
    )
    slow = support_issue_open(
        client=acme, title="Slow fix", priority=Priority.NORMAL, opened_at=local(2026, 3, 2)
    )
    support_issue_resolve(issue=quick, at=local(2026, 3, 2, 15))
    support_issue_resolve(issue=slow, at=local(2026, 3, 28))
    snapshot_take(period=MARCH)
    breached = drill(client, alice, "brm", alice.pk, "sla_compliance", show="rest")
    assert breached.reproduced
    assert [row.cells[0] for row in breached.rows] == ["Slow fix"]
    assert stored(alice, "sla_compliance").value == 50.0
    # The median resolution time is recomputed from the listed issues.
    hours = drill(client, alice, "brm", alice.pk, "resolution_hours")
    assert hours.reproduced and len(hours.rows) == 2


def test_the_late_follow_ups_are_listed(client, alice, book_client):
    acme = book_client(alice, name="Acme")
    due = date(2026, 3, 10)
    on_time, late, _never = (
        follow_up_create(client=acme, owner=alice, title=title, due_on=due)
        for title in ("On time", "Late", "Never")
    )
    follow_up_complete(follow_up=on_time, at=local(2026, 3, 9))
    follow_up_complete(follow_up=late, at=local(2026, 3, 15))
    snapshot_take(period=MARCH)
    late_list = drill(client, alice, "brm", alice.pk, "follow_up_on_time_rate", show="rest")
    assert late_list.reproduced
    assert sorted(row.cells[0] for row in late_list.rows) == ["Late", "Never"]
    assert stored(alice, "follow_up_on_time_rate").denominator == 3


def test_deals_won_and_lost_are_listed_with_the_stage_they_left(client, alice, book_client):
    acme = book_client(alice, name="Acme")
    stages = {stage.name: stage for stage in DealStage.objects.all()}
    won = deal_create(
        client=acme, title="Big win", value=Decimal(9000), created_at=local(2026, 2, 1)
    )
    lost = deal_create(
        client=acme, title="Near miss", value=Decimal(4000), created_at=local(2026, 2, 1)
    )
    deal_move(deal=won, to_stage=stages["Proposal"], at=local(2026, 3, 5))
    deal_move(deal=won, to_stage=stages["Won"], at=local(2026, 3, 10))
    deal_move(deal=lost, to_stage=stages["Lost"], at=local(2026, 3, 12))
    snapshot_take(period=MARCH)

    closings = drill(client, alice, "brm", alice.pk, "close_rate")
    assert closings.reproduced
    by_deal = {row.cells[1]: (row.cells[3], row.cells[4], row.segment) for row in closings.rows}
    assert by_deal == {
        "Big win": ("Proposal", "Won", "Won"),
        "Near miss": ("Qualified", "Lost", "Lost"),
    }
    qualified = drill(
        client, alice, "brm", alice.pk, "stage_conversion", breakdown=stages["Qualified"].name
    )
    # Two deals left Qualified in March; one moved forward.
    assert qualified.reproduced
    assert qualified.figure.text == "50.0 %"
    assert sorted(row.cells[1] for row in qualified.rows) == ["Big win", "Near miss"]
    value = drill(client, alice, "brm", alice.pk, "avg_deal_value")
    assert value.reproduced and value.measured_text == "GBP 9,000"


def test_a_reassigned_client_stays_in_the_old_owners_records_without_a_link(
    client, alice, carol, maria, book_client
):
    acme = book_client(alice, name="Acme")
    ResponseFactory(client=acme, kind=SurveyKind.NPS, score=2, answered_at=local(2026, 3, 9))
    client_reassign(client=acme, new_owner=carol, at=local(2026, 4, 2))
    snapshot_take(period=MARCH)
    answers = drill(client, maria, "brm", alice.pk, "nps")
    assert answers.reproduced
    # Maria may read Alice's history but not Carol's book: the answer is shown, not linked.
    assert [(str(row.client), row.client_visible) for row in answers.rows] == [("Acme", False)]
    assert "(reassigned)" in client.get(records_url("brm", alice.pk, "nps")).content.decode()


def test_every_kpi_of_a_busy_month_reproduces_its_number(client, alice, admin_user, book_client):
    acme = book_client(alice, name="Acme")
    for score in (10, 4, 6):
        ResponseFactory(
            client=acme, kind=SurveyKind.NPS, score=score, answered_at=local(2026, 3, 4)
        )
    ResponseFactory(client=acme, kind=SurveyKind.CSAT, score=2, answered_at=local(2026, 3, 4))
    ResponseFactory(client=acme, kind=SurveyKind.CES, score=5, answered_at=local(2026, 3, 4))
    logged(acme, Interaction.Kind.EMAIL, local(2026, 3, 3))
    snapshot_take(period=MARCH)
    client.force_login(admin_user)
    for row in Snapshot.objects.filter(subject_type="brm", subject_id=alice.pk, grain="month"):
        query = {"breakdown": row.breakdown} if row.breakdown else {}
        response = client.get(records_url("brm", alice.pk, row.kpi, **query))
        assert response.context["drill"].reproduced, (row.kpi, row.breakdown)


def test_a_drilldown_runs_the_same_queries_for_two_or_twenty_records(
    client, alice, book_client, django_assert_num_queries
):
    acme = book_client(alice, name="Acme")
    for score in (10, 3):
        ResponseFactory(
            client=acme, kind=SurveyKind.NPS, score=score, answered_at=local(2026, 3, 4)
        )
    snapshot_take(period=MARCH)
    client.force_login(alice)
    url = records_url("brm", alice.pk, "nps")
    # Nine, and one for the import sources of the listed page (crm.selectors.import_sources).
    with django_assert_num_queries(10) as small:
        client.get(url)
    for offset in range(18):
        other = book_client(alice, name=f"Client {offset}")
        ResponseFactory(
            client=other,
            kind=SurveyKind.NPS,
            score=offset % 11,
            answered_at=local(2026, 3, 4) + timedelta(minutes=offset),
        )
    snapshot_take(period=MARCH)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.context["drill"].total == 20 and response.context["drill"].reproduced


def test_a_brm_sees_team_totals_but_not_the_records_behind_them(client, alice, team):
    client.force_login(alice)
    assert client.get(reverse("scorecard", args=["team", team.pk])).status_code == 200
    assert client.get(records_url("team", team.pk, "nps")).status_code == 404


def test_an_unknown_kpi_or_a_breakdown_of_a_plain_kpi_is_not_found(client, alice):
    client.force_login(alice)
    assert client.get(records_url("brm", alice.pk, "happiness")).status_code == 404
    assert client.get(records_url("brm", alice.pk, "nps", breakdown="x")).status_code == 404


def test_arpc_lists_a_client_handed_over_mid_period_in_both_books_and_once_for_the_team(
    client, alice, bob, team, maria, book_client
):
    from crm.services import revenue_line_record

    acme = book_client(alice, name="Acme")
    book_client(alice, name="Beta")
    revenue_line_record(client=acme, product_name="A", recognised_on=date(2026, 3, 2), amount=100)
    client_reassign(client=acme, new_owner=bob, at=local(2026, 3, 15))
    snapshot_take(period=MARCH)
    alices = drill(client, maria, "brm", alice.pk, "arpc")
    bobs = drill(client, maria, "brm", bob.pk, "arpc")
    teams = drill(client, maria, "team", team.pk, "arpc")
    assert listed_clients(alices) == ["Acme", "Beta"]
    assert listed_clients(bobs) == ["Acme"]
    assert listed_clients(teams) == ["Acme", "Beta"]
    assert alices.reproduced and bobs.reproduced and teams.reproduced
    assert stored(team, "arpc").denominator == 2
