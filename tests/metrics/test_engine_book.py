"""Relationship-book KPIs: cohorts, churn and return, reassignment, dormancy, engagement."""

from datetime import date

import pytest

from crm.models import Interaction, RelationshipType
from crm.services import (
    client_churn,
    client_reactivate,
    client_reassign,
    interaction_log,
    partner_certification_record,
    partner_referral_record,
    revenue_line_record,
    shared_goal_create,
    shared_goal_review,
)
from metrics.periods import Period
from surveys.models import SurveyKind
from tests.factories import TeamMembershipFactory
from tests.metrics.factories import ResponseFactory, hand_over, local

pytestmark = pytest.mark.django_db


def log(client, kind, when, **kwargs):
    return interaction_log(
        client=client, logged_by=client.owner, kind=kind, occurred_at=when, **kwargs
    )


@pytest.fixture
def march_book(alice, bob, book_client):
    """Alice's and Bob's books through March 2026 (see each client's comment)."""
    clients = {
        "steady": book_client(alice),  # active throughout, a meeting in March
        "lost": book_client(alice),  # churns 10 March
        "returned": book_client(alice),  # churns 5 March, comes back 20 March
        "moved": book_client(alice),  # handed to Bob on 15 March
        "gone": book_client(alice),  # churned in January
        "new": book_client(alice, relationship_started_on=date(2026, 3, 12)),
        "leaves_after": book_client(alice),  # churn effective 1 April: still active on 31 March
        "left_first_day": book_client(alice),  # churn effective 1 March: not active at start
        "bobs": book_client(bob),
    }
    client_churn(client=clients["gone"], on=date(2026, 1, 10), reason="Budget")
    client_churn(client=clients["lost"], on=date(2026, 3, 10), reason="Budget")
    client_churn(client=clients["returned"], on=date(2026, 3, 5), reason="Paused")
    client_reactivate(client=clients["returned"], on=date(2026, 3, 20))
    client_churn(client=clients["leaves_after"], on=date(2026, 4, 1), reason="Moved on")
    client_churn(client=clients["left_first_day"], on=date(2026, 3, 1), reason="Moved on")
    log(clients["moved"], Interaction.Kind.MEETING, local(2026, 3, 10))
    hand_over(clients["moved"], to=bob, at=local(2026, 3, 15))
    log(clients["moved"], Interaction.Kind.CALL, local(2026, 3, 20))
    log(clients["steady"], Interaction.Kind.MEETING, local(2026, 3, 3))
    # 90 days before 1 April is 1 January: a January e-mail keeps "returned" out of dormancy.
    log(clients["returned"], Interaction.Kind.EMAIL, local(2026, 1, 15))
    log(clients["new"], Interaction.Kind.NOTE, local(2026, 3, 20))  # notes do not count
    log(clients["leaves_after"], Interaction.Kind.EMAIL, local(2025, 12, 15))
    ResponseFactory(
        client=clients["leaves_after"], kind=SurveyKind.NPS, score=8, answered_at=local(2026, 3, 9)
    )
    return clients


def test_retention_and_churn_follow_the_cohort_at_period_start(alice, march_book, march_values):
    values = march_values()
    # Cohort at 1 March: steady, lost, returned, moved, leaves_after (gone churned in
    # January, new did not exist, left_first_day's churn is in force on the first day) = 5.
    # Still active on 31 March: all but lost (returned came back; moved counts for Alice,
    # who owned it at the start) = 4.
    retention = values.result(alice, "retention_rate")
    assert (retention.numerator, retention.denominator, retention.value) == (4, 5, 80.0)
    churn = values.result(alice, "churn_rate")
    assert (churn.numerator, churn.value) == (1, 20.0)


def test_team_retention_is_recomputed_from_the_cohort_not_averaged(
    alice, bob, team, march_book, march_values
):
    values = march_values()
    assert values[bob, "retention_rate"] == 100.0  # bobs: 1 of 1
    # Team cohort 6, retained 5 → 83.33, not the mean of 80 and 100.
    assert values[team, "retention_rate"] == pytest.approx(83.3333)
    assert values[team, "retention_rate"] + values[team, "churn_rate"] == pytest.approx(100)


def test_a_client_reassigned_mid_period_keeps_its_history_with_the_old_owner(
    alice, bob, march_book, march_values
):
    values = march_values()
    # Interactions: Alice is credited the 10 March meeting with "moved" and the one with
    # "steady"; Bob the 20 March call after the hand-over.
    assert values.result(alice, "interactions_per_client").numerator == 2
    assert values.result(bob, "interactions_per_client").numerator == 1
    # At period end "moved" is in Bob's book: Alice's active clients are steady, returned,
    # new and leaves_after (4); Bob's are bobs and moved (2).
    assert values.result(alice, "dormant_share").denominator == 4
    assert values.result(bob, "dormant_share").denominator == 2
    # 2 interactions / 4 clients scaled to 30 days of a 31-day month.
    assert values[alice, "interactions_per_client"] == pytest.approx(2 / 4 * 30 / 31, abs=1e-4)


def test_dormancy_engagement_and_tenure_of_the_book_at_period_end(alice, march_book, march_values):
    values = march_values()
    # Dormant (no interaction other than a note since 1 January): new and leaves_after.
    assert values.result(alice, "dormant_share").numerator == 2
    assert values[alice, "dormant_share"] == 50.0
    # Two-way touch in March: steady (meeting) and leaves_after (survey answer).
    assert values[alice, "engagement_rate"] == 50.0
    # Days to 1 April: 455 for each client started on 1 January 2025, 20 for "new":
    # (3 × 455 + 20) / 4 = 346.25 days = 346.25 / 30.4375 months.
    assert values[alice, "relationship_tenure_months"] == pytest.approx(346.25 / 30.4375, abs=1e-4)


def test_book_kpis_of_a_brm_without_clients_are_no_data(carol, march_values):
    values = march_values()
    for kpi in ("retention_rate", "churn_rate", "dormant_share", "engagement_rate", "arpc"):
        assert values[carol, kpi] is None, kpi
    assert values.row(carol, "retention_rate").result.denominator == 0


def test_depth_alignment_and_partners(alice, book_client, march_values):
    strategic = book_client(alice, relationship_type=RelationshipType.STRATEGIC)
    drifting = book_client(alice, relationship_type=RelationshipType.STRATEGIC)
    partner = book_client(alice, relationship_type=RelationshipType.PARTNER)
    for product, day in [("Audit", date(2025, 5, 1)), ("Audit", date(2026, 2, 1))]:
        revenue_line_record(client=strategic, product_name=product, recognised_on=day, amount=10)
    revenue_line_record(
        client=strategic, product_name="Advice", recognised_on=date(2026, 3, 1), amount=10
    )
    # Billed in March 2025: outside the trailing 12 months (April 2025 to March 2026).
    revenue_line_record(
        client=drifting, product_name="Audit", recognised_on=date(2025, 3, 31), amount=10
    )
    reviewed = shared_goal_create(client=strategic, title="Expand", due_on=date(2026, 6, 30))
    shared_goal_review(goal=reviewed, on=date(2026, 1, 1))  # 90 days to 31 March inclusive
    stale = shared_goal_create(client=drifting, title="Renew", due_on=date(2026, 6, 30))
    shared_goal_review(goal=stale, on=date(2025, 12, 31))
    partner_certification_record(
        partner=partner, name="Gold", valid_from=date(2025, 4, 1), valid_until=date(2026, 3, 31)
    )
    partner_referral_record(partner=partner, lead_name="Lead", received_on=date(2026, 3, 31))
    partner_referral_record(partner=partner, lead_name="Old", received_on=date(2026, 2, 28))
    values = march_values()
    # Distinct products per active client: strategic 2, drifting 0, partner 0 → 2 / 3.
    assert values[alice, "relationship_depth"] == pytest.approx(0.6667)
    assert values[alice, "strategic_alignment"] == 50.0  # 1 of 2 strategic clients
    assert values[alice, "partners_active"] == 1
    assert values[alice, "partners_certified"] == 1  # valid through the last day
    assert values[alice, "partner_referrals"] == 1


BOOK_COLUMNS = [
    "owner_start",
    "owner_end",
    "owner_year",
    "active_start",
    "active_end",
    "active_year",
    "activated",
    "activated_year",
    "churned_recently",
    "dormant",
    "engaged",
    "products",
    "lifetime_revenue",
    "strategic",
    "aligned",
    "partner",
    "certified",
    "tenure_days",
]


def _normalised(row: dict) -> dict:
    # Flags are booleans on PostgreSQL and 0/1 on SQLite; money is Decimal or float.
    return {
        name: float(row[name]) if name == "lifetime_revenue" else row[name] for name in BOOK_COLUMNS
    } | {name: bool(row[name]) for name in BOOK_COLUMNS if not name.startswith(("owner", "p"))}


def test_the_engine_scans_the_same_book_the_drilldown_lists(alice, bob, march_book, book_client):
    """The engine reads every client's owners and flags in one set-based statement for all
    windows at once (``book_rows``, ``held_rows``); the drill-down lists them from ``book``
    and ``held_in_year``, one window at a time. Both must agree on every client, at the edges
    too: a hand-over at the period's first and last instants, a client that did not exist yet,
    a churned client's lifetime revenue."""
    from django.db import connection

    from metrics.book_scan import book_rows
    from metrics.held_scan import held_rows
    from metrics.periods import Period, Window
    from metrics.sources import book, held_in_year

    at_start, at_end = book_client(alice), book_client(alice)
    client_reassign(client=at_start, new_owner=bob, at=local(2026, 3, 1, 0))
    client_reassign(client=at_end, new_owner=bob, at=local(2026, 4, 1, 0))
    for client in (march_book["lost"], march_book["steady"]):
        for product, day in [("Audit", date(2025, 6, 1)), ("Advice", date(2026, 3, 2))]:
            revenue_line_record(client=client, product_name=product, recognised_on=day, amount=7)
    strategic = book_client(alice, relationship_type=RelationshipType.STRATEGIC)
    goal = shared_goal_create(client=strategic, title="Expand", due_on=date(2026, 6, 30))
    shared_goal_review(goal=goal, on=date(2026, 2, 1))
    partner = book_client(bob, relationship_type=RelationshipType.PARTNER)
    partner_certification_record(
        partner=partner, name="Gold", valid_from=date(2025, 4, 1), valid_until=date(2026, 3, 31)
    )
    windows = [
        Window.of(Period.parse("2026-03")),
        Window.of(Period.parse("2026-03"), local(2026, 3, 12, 15)),
        Window.of(Period.parse("2026-03", "quarter")),
        Window.of(Period.parse("2026-03", "year")),
    ]
    sql, params = book_rows(windows)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    for index, window in enumerate(windows):
        listed = {
            row.pop("id"): _normalised(row) for row in book(window).values("id", *BOOK_COLUMNS)
        }
        scanned = {row["client_id"]: _normalised(row) for row in rows if row["i"] == index}
        assert scanned == listed, window
    # The clients each BRM held while active, in one statement for all the windows too.
    sql, params = held_rows(windows)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        held = cursor.fetchall()
    for index, window in enumerate(windows):
        spans = held_in_year(window).values_list("owner_id", "client_id", "in_period")
        listed = {}
        for owner_id, client_id, in_period in spans:
            listed[owner_id, client_id] = max(listed.get((owner_id, client_id), 0), in_period)
        assert {(who, x): p for i, who, x, p, _ in held if i == index} == listed, window
        assert listed, window
    march = Window.of(Period.parse("2026-03"))
    flags = {row["id"]: row for row in book(march).values("id", "owner_start", "owner_end")}
    assert (flags[at_start.pk]["owner_start"], flags[at_end.pk]["owner_end"]) == (bob.pk, alice.pk)


def test_a_member_in_a_team_twice_at_once_counts_once_in_it(alice, team, book_client, march_values):
    """Two memberships of the same team in force together (a back-dated one overlapping the
    open one, as the admin or ``team_membership_start`` after an end allow) make one member:
    the team's revenue and clients held are the BRM's, not twice theirs."""
    TeamMembershipFactory(
        team=team, user=alice, started_on=date(2026, 3, 10), ended_on=date(2026, 4, 10)
    )
    client = book_client(alice)
    revenue_line_record(
        client=client, product_name="Audit", recognised_on=date(2026, 3, 2), amount=100
    )
    values = march_values()
    for kpi in ("arpc", "clv"):
        assert values.result(team, kpi).denominator == values.result(alice, kpi).denominator == 1
    assert values[team, "revenue"] == values[alice, "revenue"] == 100


def test_lifetime_revenue_of_a_churned_client_with_windows_ending_on_the_same_day(
    alice, book_client
):
    """A month and its quarter end on the same day: computed together, each still finds the
    lifetime revenue of a client churned in it (the churned clients' lines were filtered on
    the windows' last days as a sum of bits, which two equal days carried past)."""
    from metrics.engine import compute_many

    client = book_client(alice)
    revenue_line_record(
        client=client, product_name="Audit", recognised_on=date(2025, 6, 1), amount=100
    )
    client_churn(client=client, on=date(2026, 3, 10), reason="Budget")
    march, first_quarter = Period.parse("2026-03"), Period.parse("2026-03", "quarter")
    for _, rows, _ in compute_many([march, first_quarter]):
        historic = {
            row.subject.type: row.result.value for row in rows if row.kpi.key == "clv_historic"
        }
        assert historic["brm"] == historic["org"] == 100
