"""Revenue, pipeline, support, delivery, goals, feedback, follow-up and messaging KPIs."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from accounts.models import TeamMembership
from crm.models import OUTBOUND_MESSAGE, Deal, DealStage, FeedbackItem, Interaction, Priority
from crm.services import (
    client_churn,
    client_reassign,
    contact_create,
    deal_create,
    deal_move,
    feedback_item_close,
    feedback_item_record,
    follow_up_complete,
    follow_up_create,
    interaction_log,
    project_complete,
    project_create,
    revenue_line_record,
    shared_goal_assess,
    shared_goal_create,
    support_issue_open,
    support_issue_resolve,
    support_issue_respond,
)
from metrics.batch import Batch
from metrics.engine import compute, compute_many
from metrics.families import REPLIES_BY_TOPIC_IN_BULK
from metrics.periods import Grain, Period, periods_between
from metrics.sql import planner_settings
from metrics.subjects import SubjectKey
from tests.factories import TeamMembershipFactory
from tests.markers import needs_postgresql
from tests.metrics.conftest import MARCH
from tests.metrics.factories import hand_over, local

pytestmark = pytest.mark.django_db


def test_revenue_arpc_growth_roi_and_lifetime_value(alice, book_client, march_values):
    kept = book_client(alice)
    churned = book_client(alice)
    newer = book_client(alice, relationship_started_on=date(2026, 2, 15))
    for client, product, recognised_on, amount, cost in [
        (kept, "A", date(2026, 2, 10), 1000, 400),
        (kept, "A", date(2026, 3, 1), 1000, 400),
        (kept, "B", date(2026, 3, 31), 500, 100),
        (churned, "A", date(2025, 6, 1), 300, 200),
        (newer, "A", date(2026, 3, 15), 600, 300),
    ]:
        revenue_line_record(
            client=client,
            product_name=product,
            recognised_on=recognised_on,
            amount=amount,
            cost_to_serve=cost,
        )
    client_churn(client=churned, on=date(2026, 3, 10), reason="Budget")
    values = march_values()
    # Revenue in March: 1000 + 500 + 600 = 2100; cost 400 + 100 + 300 = 800.
    assert values[alice, "revenue"] == 2100
    # ROI = 100 × (2100 − 800) / 800 = 162.5
    assert values[alice, "relationship_roi"] == 162.5
    # Active at some time in March: kept, churned (until the 10th), newer → 2100 / 3.
    assert values[alice, "arpc"] == 700
    # Existing clients X = active on 1 February: kept and churned (newer came on the 15th).
    # From X: February 1000, March 1500 → +50 %.
    growth = values.result(alice, "revenue_growth_existing")
    assert (growth.value, growth.parts) == (50.0, {"current": 1500.0, "previous": 1000.0})
    # CLV over April 2025 to March 2026: gross profit 3400 − 1400 = 2000 over 3 clients;
    # cohort on 1 April 2025 is kept and churned, 1 churned → annual churn 0.5 → 2 years.
    clv = values.result(alice, "clv")
    assert clv.parts["lifetime_years"] == 2.0
    assert clv.value == pytest.approx(2000 / 3 * 2, abs=1e-3)
    # Historic CLV: lifetime revenue of clients that churned in the year = churned's 300.
    assert values[alice, "clv_historic"] == 300


def test_lifetime_value_caps_the_lifetime_when_nobody_churned(alice, book_client, march_values):
    client = book_client(alice)
    revenue_line_record(client=client, product_name="A", recognised_on=date(2026, 3, 1), amount=100)
    clv = march_values().result(alice, "clv")
    assert clv.parts["lifetime_years"] == 10
    assert clv.value == 1000  # 100 gross profit (no cost) per client × 10 years


@pytest.fixture
def stages(db):
    """The default pipeline (migration crm 0002): Qualified, Proposal, Negotiation, Won, Lost."""
    return {stage.name: stage for stage in DealStage.objects.all()}


def test_pipeline_rates_cycle_and_stage_breakdowns(alice, book_client, stages, march_values):
    client = book_client(alice)

    def deal(kind, value, created, moves):
        made = deal_create(
            client=client, title="Deal", value=Decimal(value), kind=kind, created_at=created
        )
        for stage, at in moves:
            deal_move(deal=made, to_stage=stages[stage], at=at)

    deal(
        Deal.Kind.NEW,
        1000,
        local(2026, 2, 1, 0),
        [("Proposal", local(2026, 2, 10, 0)), ("Won", local(2026, 3, 5, 0))],
    )
    deal(Deal.Kind.UPSELL, 3000, local(2026, 3, 1, 0), [("Won", local(2026, 3, 11, 0))])
    deal(Deal.Kind.UPSELL, 700, local(2026, 3, 2, 0), [("Lost", local(2026, 3, 20, 0))])
    # Won at 23:00 BST on the last day: 89 days 23 hours of wall-clock, 89 d 22 h elapsed.
    deal(Deal.Kind.CROSS_SELL, 2000, local(2026, 1, 1, 0), [("Won", local(2026, 3, 31, 23))])
    values = march_values()
    assert values[alice, "close_rate"] == 75.0  # 3 won of 4 closed
    assert values[alice, "upsell_rate"] == pytest.approx(66.6667)  # 2 of 3 upsell/cross-sell
    assert values[alice, "avg_deal_value"] == 2000  # (1000 + 3000 + 2000) / 3
    # Median days to win of 32, 10 and 89.9167 is 32.
    assert values[alice, "sales_cycle_days"] == 32
    # Stage exits in March: Qualified → Won, Qualified → Lost, Qualified → Won; Proposal → Won.
    assert values.breakdowns(alice, "stage_conversion") == {
        "Qualified": pytest.approx(66.6667),
        "Proposal": 100.0,
    }
    # Days in Qualified: 10, 18 and 89 + 22/24 → mean 39.3056; in Proposal: 10 Feb to 5 Mar = 23.
    assert values.breakdowns(alice, "stage_days") == {
        "Qualified": pytest.approx((10 + 18 + 89 + 22 / 24) / 3, abs=1e-4),
        "Proposal": 23.0,
    }
    assert ("brm", alice.pk, "stage_conversion", "") not in values.rows


def test_support_medians_and_sla_and_a_team_median_from_all_issues(
    alice, bob, team, book_client, march_values
):
    def issue(client, priority, opened, responded, resolved=None):
        made = support_issue_open(client=client, title="Issue", priority=priority, opened_at=opened)
        support_issue_respond(issue=made, at=responded)
        if resolved:
            support_issue_resolve(issue=made, at=resolved)

    mine, bobs = book_client(alice), book_client(bob)
    # Normal SLA 72 h, urgent 4 h.
    issue(mine, Priority.NORMAL, local(2026, 3, 2, 9), local(2026, 3, 2, 11), local(2026, 3, 3, 9))
    issue(mine, Priority.URGENT, local(2026, 3, 4, 9), local(2026, 3, 4, 15), local(2026, 3, 4, 15))
    issue(mine, Priority.NORMAL, local(2026, 2, 27, 9), local(2026, 3, 1, 9), local(2026, 3, 6, 9))
    issue(bobs, Priority.LOW, local(2026, 3, 9, 8), local(2026, 3, 9, 18))
    values = march_values()
    assert values[alice, "first_response_hours"] == 6  # median of 2, 6, 48
    assert values[alice, "resolution_hours"] == 24  # median of 24, 6, 168
    assert values[alice, "sla_compliance"] == pytest.approx(33.3333)  # only the first
    # Team first responses 2, 6, 48, 10: median (6 + 10) / 2 = 8, from the pooled issues.
    assert values[team, "first_response_hours"] == 8
    assert values.result(team, "first_response_hours").sample == 4
    assert values[bob, "resolution_hours"] is None


def test_projects_goals_feedback_and_follow_ups(alice, book_client, march_values):
    client = book_client(alice)
    on_time = project_create(client=client, name="P1", due_on=date(2026, 3, 10))
    project_complete(project=on_time, at=local(2026, 3, 10, 23, 30))
    late = project_create(client=client, name="P2", due_on=date(2026, 3, 20))
    project_complete(project=late, at=local(2026, 3, 21, 0, 30))
    project_create(client=client, name="P3", due_on=date(2026, 3, 25))
    for due, met in [
        (date(2026, 3, 15), True),
        (date(2026, 3, 20), False),
        (date(2026, 3, 28), None),
    ]:
        goal = shared_goal_create(client=client, title="Goal", due_on=due)
        if met is not None:
            shared_goal_assess(goal=goal, met=met, on=due)
    for closed_on, outcome in [
        (date(2025, 3, 1), FeedbackItem.Outcome.IMPLEMENTED),  # before the trailing year
        (date(2025, 9, 1), FeedbackItem.Outcome.IMPLEMENTED),
        (date(2026, 3, 2), FeedbackItem.Outcome.IMPLEMENTED),
        (date(2026, 3, 3), FeedbackItem.Outcome.DECLINED),
    ]:
        item = feedback_item_record(client=client, summary="Idea", received_on=date(2025, 1, 15))
        feedback_item_close(item=item, outcome=outcome, on=closed_on)
    for due, done in [
        (date(2026, 3, 10), local(2026, 3, 10, 20)),
        (date(2026, 3, 12), local(2026, 3, 14, 9)),
        (date(2026, 3, 30), None),
        (date(2026, 2, 20), local(2026, 3, 2, 9)),
    ]:
        follow_up = follow_up_create(client=client, owner=alice, title="Call", due_on=due)
        if done:
            follow_up_complete(follow_up=follow_up, at=done)
    values = march_values()
    assert values[alice, "project_completion_rate"] == pytest.approx(33.3333)  # P1 only
    assert values[alice, "goal_attainment"] == pytest.approx(33.3333)  # unassessed ≠ met
    assert values[alice, "feedback_implementation_rate"] == pytest.approx(66.6667)
    assert values[alice, "follow_ups_completed"] == 3  # done in March, whenever due
    assert values[alice, "follow_up_on_time_rate"] == pytest.approx(33.3333)  # 1 of 3 due


def test_reply_conversion_by_topic_and_network_reach(alice, book_client, march_values):
    client = book_client(alice)
    ann = contact_create(client=client, name="Ann")
    ben = contact_create(client=client, name="Ben")
    ann.created_at = local(2026, 1, 5)
    ann.save()
    ben.created_at = local(2026, 3, 5)
    ben.save()

    def send(kind, topic, contacts, replied):
        message = interaction_log(
            client=client,
            logged_by=alice,
            kind=kind,
            topic=topic,
            occurred_at=local(2026, 3, 2),
            contacts=contacts,
        )
        if replied:
            interaction_log(
                client=client,
                logged_by=alice,
                kind=kind,
                occurred_at=local(2026, 4, 2),
                in_reply_to=message,
            )

    send(Interaction.Kind.EMAIL, "Renewal", [ann], replied=True)
    send(Interaction.Kind.EMAIL, "Renewal", [ann], replied=False)
    send(Interaction.Kind.EMAIL, "Pricing", [ben], replied=True)  # a reply after March counts
    send(Interaction.Kind.MESSAGE, "", [], replied=False)
    send(Interaction.Kind.CALL, "Renewal", [ben], replied=False)  # a call is not a message
    values = march_values()
    assert values[alice, "reply_conversion_rate"] == 50.0  # 2 of 4 messages
    assert values.breakdowns(alice, "reply_conversion_rate") == {
        "Renewal": 50.0,
        "Pricing": 100.0,
        "(no topic)": 0.0,
    }
    assert values[alice, "network_reach"] == 2  # Ann and Ben, each counted once
    assert values[alice, "network_growth"] == 1  # Ben was added in March


def test_touches_count_in_their_local_month_and_a_contact_two_members_reached_once(
    alice, bob, team, book_client
):
    """Measured together (one read of March and April), a touch counts in the calendar month
    of its local time: 00:30 on 1 April (BST) is 23:30 UTC on 31 March, and is April's. A
    contact two members of a team reached in the month is one contact for the team and the
    organisation."""
    client = book_client(alice)
    ann = contact_create(client=client, name="Ann")

    def touch(at):
        interaction_log(
            client=client,
            logged_by=alice,
            kind=Interaction.Kind.CALL,
            occurred_at=at,
            contacts=[ann],
        )

    touch(local(2026, 2, 28, 23, 59))  # February
    touch(local(2026, 3, 1, 0, 0))  # March, Alice's
    hand_over(client, to=bob, at=local(2026, 3, 15))
    touch(local(2026, 3, 31, 23, 59))  # March, Bob's
    touch(local(2026, 4, 1, 0, 30))  # April, Bob's
    subjects = {("brm", alice.pk): "alice", ("brm", bob.pk): "bob", ("team", team.pk): "team"}
    subjects[("org", 0)] = "org"
    measured = {}
    for period, rows, _ in compute_many([MARCH, MARCH.shift(1)]):
        for row in rows:
            who = subjects.get((row.subject.type, row.subject.id))
            if who and row.kpi.key in ("interactions_per_client", "network_reach"):
                measured[period.start.month, who, row.kpi.key] = row.result.numerator
    logged = {
        (month, who): measured[month, who, "interactions_per_client"] for month, who, _ in measured
    }
    assert logged == {
        (3, "alice"): 1, (3, "bob"): 1, (3, "team"): 2, (3, "org"): 2,
        (4, "alice"): 0, (4, "bob"): 1, (4, "team"): 1, (4, "org"): 1,
    }  # fmt: skip
    reach = {(month, who): measured[month, who, "network_reach"] for month, who, _ in measured}
    assert reach == {
        (3, "alice"): 1, (3, "bob"): 1, (3, "team"): 1, (3, "org"): 1,
        (4, "alice"): 0, (4, "bob"): 1, (4, "team"): 1, (4, "org"): 1,
    }  # fmt: skip


def test_arpc_counts_a_client_handed_over_mid_period_in_both_books(
    alice, bob, team, book_client, march_values
):
    """Old owner keeps the revenue of the first half of March and the client in its
    denominator; the new owner gets the rest and the client too; the team counts it once."""
    kept = book_client(alice)
    moved = book_client(alice)
    revenue_line_record(client=kept, product_name="A", recognised_on=date(2026, 3, 2), amount=300)
    revenue_line_record(client=moved, product_name="A", recognised_on=date(2026, 3, 5), amount=500)
    hand_over(moved, to=bob, at=local(2026, 3, 15))
    revenue_line_record(client=moved, product_name="A", recognised_on=date(2026, 3, 20), amount=200)
    values = march_values()
    # Alice: (300 + 500) / 2 clients (kept, and moved until the 15th) = 400, not 800 / 1.
    arpc = values.result(alice, "arpc")
    assert (arpc.numerator, arpc.denominator, arpc.value) == (800, 2, 400)
    # Bob: 200 / 1 (moved from the 15th).
    assert values[bob, "arpc"] == 200
    # The team (both members) counts "moved" once: 1000 / 2 = 500, not 1000 / 3.
    assert values.result(team, "arpc").denominator == 2
    assert values[team, "arpc"] == 500
    assert values.result("org", "arpc").denominator == 2


def test_arpc_leaves_out_a_client_handed_over_after_it_churned(
    alice, bob, book_client, march_values
):
    """Held only while churned is not held while active: the new owner does not count it."""
    client = book_client(alice)
    revenue_line_record(client=client, product_name="A", recognised_on=date(2026, 3, 3), amount=90)
    client_churn(client=client, on=date(2026, 3, 10), reason="Budget")
    client_reassign(client=client, new_owner=bob, at=local(2026, 3, 12))
    values = march_values()
    assert values.result(alice, "arpc").denominator == 1
    assert values[alice, "arpc"] == 90
    assert values[bob, "arpc"] is None  # no client held while active: no data, not 0


def test_clv_counts_clients_held_over_the_trailing_year_in_both_books(
    alice, bob, book_client, march_values
):
    moved = book_client(alice)
    revenue_line_record(client=moved, product_name="A", recognised_on=date(2025, 6, 1), amount=400)
    hand_over(moved, to=bob, at=local(2025, 9, 1))
    revenue_line_record(client=moved, product_name="A", recognised_on=date(2026, 3, 1), amount=100)
    values = march_values()
    # Alice held it April–August 2025: 400 gross profit over 1 client. Her cohort on
    # 1 April 2025 (moved) is active on 31 March → no churn → lifetime capped at 10 years.
    alice_clv = values.result(alice, "clv")
    assert alice_clv.parts["clients_12m"] == 1
    assert alice_clv.value == 4000
    # Bob held it from September: 100 over 1 client. His cohort at 1 April 2025 is empty, so
    # the churn rate (and CLV) has no data.
    assert values.result(bob, "clv").parts["clients_12m"] == 1
    assert values[bob, "clv"] is None


def test_follow_ups_on_time_follow_the_holder_on_the_due_date_reschedules_and_cancels(
    alice, bob, team, book_client, march_values
):
    from crm.services import follow_up_cancel, follow_up_reschedule
    from metrics.periods import Window
    from metrics.registry import get
    from tests.metrics.conftest import MARCH

    client = book_client(alice)

    def due(on, who=alice, of=client):
        return follow_up_create(client=of, owner=who, title="Call", due_on=on)

    # Missed on 5 March, then the client goes to Bob on the 10th (the follow-up moves with it):
    # still Alice's miss.
    handed = book_client(alice)
    missed = due(date(2026, 3, 5), of=handed)
    client_reassign(client=handed, new_owner=bob, at=local(2026, 3, 10))
    missed.refresh_from_db()
    assert missed.owner == bob
    # Handed over before it fell due: Bob held it on its due date and did it on time.
    early = book_client(alice)
    bobs = due(date(2026, 3, 20), of=early)
    client_reassign(client=early, new_owner=bob, at=local(2026, 3, 15))
    bobs.refresh_from_db()
    follow_up_complete(follow_up=bobs, at=local(2026, 3, 19))
    # Due 3 March, moved on the 6th (after it fell due) to the 12th, done on the 11th: judged
    # against the 3rd, so missed.
    late_move = due(date(2026, 3, 3))
    follow_up_reschedule(follow_up=late_move, due_on=date(2026, 3, 12), at=local(2026, 3, 6))
    follow_up_complete(follow_up=late_move, at=local(2026, 3, 11))
    # Due 20 March, moved on the 15th (before) to the 25th, done on the 24th: on time.
    early_move = due(date(2026, 3, 20))
    follow_up_reschedule(follow_up=early_move, due_on=date(2026, 3, 25), at=local(2026, 3, 15))
    follow_up_complete(follow_up=early_move, at=local(2026, 3, 24))
    # Cancelled before it fell due: not counted. Cancelled after: counted, as missed.
    follow_up_cancel(follow_up=due(date(2026, 3, 8)), reason="Not needed", at=local(2026, 3, 7))
    follow_up_cancel(follow_up=due(date(2026, 3, 9)), reason="Too late", at=local(2026, 3, 12))
    # Done on its due date (late in the evening): on time.
    follow_up_complete(follow_up=due(date(2026, 3, 4)), at=local(2026, 3, 4, 23, 30))
    # Due 27 February, moved late into March: judged in February, not in March.
    february = due(date(2026, 2, 27))
    follow_up_reschedule(follow_up=february, due_on=date(2026, 3, 10), at=local(2026, 3, 2))
    follow_up_complete(follow_up=february, at=local(2026, 3, 9))

    values = march_values()
    # Alice: missed (handed over), late_move, cancelled late → missed; early_move, the 4th →
    # on time: 2 of 5.
    alice_rate = values.result(alice, "follow_up_on_time_rate")
    assert (alice_rate.numerator, alice_rate.denominator, alice_rate.value) == (2, 5, 40.0)
    bob_rate = values.result(bob, "follow_up_on_time_rate")
    assert (bob_rate.numerator, bob_rate.denominator) == (1, 1)
    team_rate = values.result(team, "follow_up_on_time_rate")
    assert (team_rate.numerator, team_rate.denominator, team_rate.value) == (3, 6, 50.0)
    # The drill-down lists the same follow-ups.
    records = get("follow_up_on_time_rate").records.queryset(Window.of(MARCH), [alice.pk])
    assert records.count() == 5
    assert records.filter(in_numerator=True).count() == 2
    assert missed.pk in records.values_list("pk", flat=True)


def test_network_reach_of_a_backfill_longer_than_one_segment_mask(alice, bob, book_client):
    """Seventy months have more bounds than one segment mask holds (``Segments.MAX_BITS``):
    the distinct contacts are counted in runs of months, each month as it is alone."""
    client = book_client(alice, relationship_started_on=date(2019, 1, 1))
    ann = contact_create(client=client, name="Ann")
    ben = contact_create(client=client, name="Ben")
    for at, contacts in [
        (local(2020, 6, 3), [ann, ben]),
        (local(2020, 6, 20), [ann]),
        (local(2025, 11, 5), [ben]),
        (local(2026, 3, 31, 23, 59), [ann, ben]),
    ]:
        interaction_log(
            client=client,
            logged_by=alice,
            kind=Interaction.Kind.CALL,
            occurred_at=at,
            contacts=contacts,
        )
    periods = periods_between(Period.parse("2020-06"), MARCH)
    assert len(periods) == 70

    def reach(rows) -> dict:
        return {
            (row.subject.type, row.subject.id): row.result.numerator
            for row in rows
            if row.kpi.key == "network_reach"
        }

    together = {period: reach(rows) for period, rows, _ in compute_many(periods)}
    for period in (periods[0], periods[1], Period.parse("2025-11"), MARCH):
        assert together[period] == reach(compute(period)[0]), period
    assert together[periods[0]][("brm", alice.pk)] == 2
    assert together[periods[1]][("org", 0)] == 0
    assert together[MARCH][("org", 0)] == 2


def test_network_reach_of_a_team_whose_members_changed_between_overlapping_periods(
    alice, carol, team, other_team, book_client
):
    """Carol moves to Alice's team on 15 February: her January contact is the team's in the
    first quarter (its members at the quarter's end) but not in January. Measured together,
    the months (members changing between periods that share no day) and the quarter over
    them (members changing within it) give what each period gives alone."""
    TeamMembership.objects.filter(user=carol, team=other_team).update(ended_on=date(2026, 2, 15))
    TeamMembershipFactory(team=team, user=carol, started_on=date(2026, 2, 15))
    for owner, at in [(alice, local(2026, 1, 5)), (carol, local(2026, 1, 20))]:
        client = book_client(owner)
        interaction_log(
            client=client,
            logged_by=owner,
            kind=Interaction.Kind.CALL,
            occurred_at=at,
            contacts=[contact_create(client=client, name="Dana")],
        )
    months = periods_between(Period.parse("2026-01"), MARCH)
    quarter = Period.parse("2026-Q1", Grain.QUARTER)

    def reach(rows) -> dict:
        return {
            (row.subject.type, row.subject.id): row.result.numerator
            for row in rows
            if row.kpi.key == "network_reach"
        }

    for periods in (months, [*months, quarter]):
        together = {period: reach(rows) for period, rows, _ in compute_many(periods)}
        for period in periods:
            assert together[period] == reach(compute(period)[0]), period
    assert together[months[0]][("team", team.pk)] == 1
    assert together[quarter][("team", team.pk)] == 2


@needs_postgresql("index-only scans of a partial index with INCLUDE columns are PostgreSQL's")
def test_a_backfill_reads_the_outbound_messages_from_their_own_index(alice, book_client):
    # The reply rate's messages of a backfill come from the partial index alone: a condition
    # written differently from the index's would scan every interaction again (about 0.45 s of
    # a 24-month backfill at bench scale 1). Sequential scans are priced out, so the plan shows
    # whether the index can serve the statement at all, whatever the test data's size.
    interaction_log(
        client=book_client(alice),
        logged_by=alice,
        kind=Interaction.Kind.EMAIL,
        topic="Renewal",
        occurred_at=local(2026, 3, 2),
    )
    batch = Batch(periods_between(MARCH.shift(-1), MARCH))
    captured = CaptureQueriesContext(connection)
    with captured:
        REPLIES_BY_TOPIC_IN_BULK.rows(batch)
    (query,) = captured.captured_queries
    plan = _plan_without_scans(query["sql"])
    assert "Index Only Scan using crm_interac_outbound_idx" in plan


def test_network_reach_follows_an_interaction_credited_anew_past_the_services(
    alice, bob, book_client, march_values
):
    # Contacts reached are read from the contact links, which carry their interaction's owner
    # and instant (crm.ContactReach): a correction made past the services (the admin, a
    # script) moves the contact to the BRM and month the interaction now has.
    client = book_client(alice)
    ann = contact_create(client=client, name="Ann")
    call = interaction_log(
        client=client,
        logged_by=alice,
        kind=Interaction.Kind.CALL,
        occurred_at=local(2026, 2, 20),
        contacts=[ann],
    )
    assert march_values()[alice, "network_reach"] == 0
    Interaction.objects.filter(pk=call.pk).update(owner=bob, occurred_at=local(2026, 3, 3))
    values = march_values()
    assert values[bob, "network_reach"] == 1
    assert values[alice, "network_reach"] == 0


@needs_postgresql("index-only scans with a grouping in index order are PostgreSQL's")
def test_a_backfill_counts_contacts_reached_from_the_links_index_alone(alice, book_client):
    # 24 months of contact links grouped by (owner, contact) as they come off their index,
    # without a join to the interactions or a hash of the pairs: the join and the hash cost
    # 1.5-1.7 s of a backfill at bench scale 1, the index 0.70-0.83 s.
    client = book_client(alice)
    interaction_log(
        client=client,
        logged_by=alice,
        kind=Interaction.Kind.CALL,
        occurred_at=local(2026, 3, 2),
        contacts=[contact_create(client=client, name="Ann")],
    )
    periods = periods_between(MARCH.shift(-23), MARCH)
    captured = CaptureQueriesContext(connection)
    with captured:
        list(compute_many(periods))
    (query,) = [q for q in captured.captured_queries if "crm_interaction_contacts" in q["sql"]]
    plan = _plan_without_scans(query["sql"])
    assert "Index Only Scan using crm_contact_reach_idx" in plan
    assert "crm_interaction " not in plan and "Hash Join" not in plan


def test_the_outbound_index_condition_names_the_interaction_choices_it_means():
    # crm.models spells the reply rate's condition out before Interaction's choices exist.
    assert (
        Q(
            direction=Interaction.Direction.OUTBOUND,
            kind__in=[Interaction.Kind.EMAIL, Interaction.Kind.MESSAGE],
        )
        == OUTBOUND_MESSAGE
    )


@needs_postgresql("index-only scans are PostgreSQL's")
def test_a_backfill_counts_interactions_per_owner_and_month_from_the_owner_index_alone(
    alice, book_client
):
    # 24 months of interactions counted per owner and month, notes left out, from the owner
    # index (which carries the kind) without reading the table: at bench scale 1 the scan of
    # the table cost 0.51 s of a backfill, the index 0.39 s.
    client = book_client(alice)
    for kind in (Interaction.Kind.CALL, Interaction.Kind.NOTE):
        interaction_log(client=client, logged_by=alice, kind=kind, occurred_at=local(2026, 3, 2))
    periods = periods_between(MARCH.shift(-23), MARCH)
    captured = CaptureQueriesContext(connection)
    with captured:
        march = {
            row.kpi.key: row.result.numerator
            for period, rows, _ in compute_many(periods)
            if period == MARCH
            for row in rows
            if row.subject == SubjectKey("brm", alice.pk) and not row.breakdown
        }
    # The call, not the note.
    assert march["interactions_per_client"] == 1
    (query,) = [
        q
        for q in captured.captured_queries
        if q["sql"].startswith('SELECT "crm_interaction"."owner_id" AS "owner", COALESCE')
    ]
    plan = _plan_without_scans(query["sql"])
    assert "Index Only Scan using crm_interac_owner_kind_idx" in plan


def _plan_without_scans(sql: str) -> str:
    """PostgreSQL's plan of ``sql`` with sequential and bitmap scans priced out: whether an
    index can serve the statement at all, whatever the test data's size."""
    off = {"enable_seqscan": "off", "enable_bitmapscan": "off"}
    with planner_settings(off), connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(line for (line,) in cursor.fetchall())
