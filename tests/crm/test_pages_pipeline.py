"""The pipeline board and the support queue."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import DealStage, SupportIssue
from crm.selectors import sla_clock
from tests.factories import ClientFactory, DealFactory, SupportIssueFactory

PIPELINE = reverse("pipeline")
SUPPORT = reverse("support_queue")


@pytest.mark.parametrize("who", ["alice", "maria", "admin_user"])
def test_the_pipeline_and_support_queue_render_for_every_role(request, client, alices_client, who):
    DealFactory(client=alices_client)
    SupportIssueFactory(client=alices_client)
    client.force_login(request.getfixturevalue(who))
    assert client.get(PIPELINE).status_code == 200
    assert client.get(SUPPORT).status_code == 200


def test_the_pipeline_shows_deals_by_stage_with_totals(client, alice, bob, alices_client):
    DealFactory(client=alices_client, title="Big", value=Decimal("7000"))
    DealFactory(client=alices_client, title="Small", value=Decimal("500"))
    DealFactory(client=ClientFactory(owner=bob), title="Bobs deal")
    client.force_login(alice)

    columns = {c.stage.name: c for c in client.get(PIPELINE).context["columns"]}

    assert [d.title for d in columns["Qualified"].deals] == ["Big", "Small"]
    assert columns["Qualified"].total == Decimal("7500")
    assert columns["Won"].deals == []


def test_moving_a_deal_records_when_it_entered_and_left_the_stage(client, alice, alices_client):
    created = timezone.now() - timedelta(days=10)
    deal = DealFactory(client=alices_client, created_at=created)
    proposal = DealStage.objects.get(name="Proposal")
    client.force_login(alice)

    response = client.post(reverse("deal_move", args=[deal.pk]), {"to_stage": proposal.pk})

    assert response.status_code == 302
    move = deal.stage_changes.get(from_stage__name="Qualified")
    assert move.to_stage == proposal
    assert move.entered_from_at == created
    assert abs(move.changed_at - timezone.now()) < timedelta(minutes=1)
    assert move.changed_by == alice


def test_a_won_deal_is_terminal(client, alice, alices_client):
    deal = DealFactory(client=alices_client)
    client.force_login(alice)
    client.post(
        reverse("deal_move", args=[deal.pk]), {"to_stage": DealStage.objects.get(name="Won").pk}
    )
    deal.refresh_from_db()
    assert deal.is_closed

    response = client.post(
        reverse("deal_move", args=[deal.pk]),
        {"to_stage": DealStage.objects.get(name="Lost").pk},
        follow=True,
    )

    assert "cannot move" in response.content.decode()
    deal.refresh_from_db()
    assert deal.stage.name == "Won"


def test_another_brm_cannot_move_my_deal(client, bob, alices_client):
    deal = DealFactory(client=alices_client)
    client.force_login(bob)
    response = client.post(
        reverse("deal_move", args=[deal.pk]), {"to_stage": DealStage.objects.get(name="Won").pk}
    )
    assert response.status_code == 404
    assert deal.stage_changes.count() == 1


def test_the_sla_clock_says_time_left_or_breached_in_words(alices_client):
    now = timezone.now()
    fresh = SupportIssueFactory(
        client=alices_client, sla_hours=72, opened_at=now - timedelta(hours=2)
    )
    late = SupportIssueFactory(
        client=alices_client, sla_hours=4, opened_at=now - timedelta(hours=7)
    )
    close = SupportIssueFactory(
        client=alices_client, sla_hours=24, opened_at=now - timedelta(hours=20)
    )

    assert sla_clock(fresh, now).text == "2 d left"
    assert (sla_clock(late, now).state, sla_clock(late, now).text) == (
        "breached",
        "Breached 3 h ago",
    )
    assert sla_clock(close, now).state == "due_soon"


def test_the_queue_lists_open_issues_nearest_deadline_first(client, alice, alices_client):
    now = timezone.now()
    SupportIssueFactory(client=alices_client, title="Later", sla_hours=72, opened_at=now)
    SupportIssueFactory(
        client=alices_client, title="Breached", sla_hours=4, opened_at=now - timedelta(hours=5)
    )
    SupportIssueFactory(
        client=alices_client, title="Done", opened_at=now - timedelta(hours=1), resolved_at=now
    )
    client.force_login(alice)

    response = client.get(SUPPORT)

    assert [issue.title for issue, _ in response.context["issues"]] == ["Breached", "Later"]
    assert "⚠ Breached 1 h ago" in response.content.decode()


def test_responding_then_resolving_an_issue_from_the_queue(client, alice, alices_client):
    issue = SupportIssueFactory(client=alices_client)
    client.force_login(alice)

    client.post(reverse("issue_respond", args=[issue.pk]))
    issue.refresh_from_db()
    assert issue.status == SupportIssue.Status.ANSWERED

    client.post(reverse("issue_resolve", args=[issue.pk]))
    issue.refresh_from_db()
    assert issue.status == SupportIssue.Status.RESOLVED
    assert issue.first_response_at <= issue.resolved_at


def test_a_manager_cannot_resolve_their_teams_issues(client, maria, alices_client):
    issue = SupportIssueFactory(client=alices_client)
    client.force_login(maria)
    assert client.post(reverse("issue_resolve", args=[issue.pk])).status_code == 403
    issue.refresh_from_db()
    assert issue.resolved_at is None
