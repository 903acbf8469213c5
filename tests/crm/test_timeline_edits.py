"""The client page's timeline shows every edit and deletion of a book record, deals, support
issues, revenue and partner records included, with what changed, and who changed it."""

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from crm import edits, services
from crm.models import DealStage, RelationshipType, StageKind
from tests.factories import ClientFactory, DealFactory, RevenueLineFactory, SupportIssueFactory


def timeline(client, acme) -> str:
    return client.get(reverse("client_detail", args=[acme.pk]), {"history": "all"}).content.decode()


def test_deal_and_issue_edits_are_on_the_timeline_with_before_and_after(
    client, alice, alices_client
):
    deal = DealFactory(client=alices_client, title="Renewal", value=Decimal("1000"))
    issue = SupportIssueFactory(client=alices_client, title="Portal down")
    client.force_login(alice)

    client.post(
        reverse("record_edit", args=["deal", deal.pk]),
        {"title": "Renewal 2027", "kind": "renewal", "value": "1500", "probability": "60"},
    )
    client.post(
        reverse("record_edit", args=["issue", issue.pk]),
        {"title": "Portal down for EU users", "description": "", "priority": issue.priority},
    )
    page = timeline(client, alices_client)

    assert "Deal edited" in page and "“Renewal” → “Renewal 2027”" in page
    assert "“1000.00” → “1500.00”" in page
    assert "Support issue edited" in page and "“Portal down for EU users”" in page
    assert "by Alice Adams" in page


def test_a_deal_moving_stage_is_a_stage_change_not_an_edit(client, alice, alices_client):
    deal = DealFactory(client=alices_client, title="Upsell")
    won = DealStage.objects.filter(kind=StageKind.WON).first()
    services.deal_move(deal=deal, to_stage=won, by=alice)
    client.force_login(alice)
    assert "Deal edited" not in timeline(client, alices_client)


def test_revenue_goal_review_and_partner_record_edits_and_deletes_are_shown(client, alice):
    partner = ClientFactory(owner=alice, relationship_type=RelationshipType.PARTNER)
    today = timezone.localdate()
    referral = services.partner_referral_record(
        partner=partner, lead_name="Nova Ltd", received_on=today
    )
    certification = services.partner_certification_record(
        partner=partner, name="Gold", valid_from=today, valid_until=today + timedelta(days=365)
    )
    goal = services.shared_goal_create(
        client=partner, title="Joint launch", due_on=today + timedelta(days=90)
    )
    review = services.shared_goal_review(goal=goal, on=today, note="On track")
    revenue = RevenueLineFactory(client=partner)
    edits.partner_referral_update(
        referral=referral, by=alice, lead_name="Nova Limited", received_on=today
    )
    edits.partner_certification_update(
        certification=certification,
        by=alice,
        name="Platinum",
        valid_from=today,
        valid_until=today + timedelta(days=365),
    )
    review._history_user = alice
    review.delete()
    revenue._history_user = alice
    revenue.delete()
    client.force_login(alice)

    page = timeline(client, partner)

    assert "Referral edited" in page and "“Nova Limited”" in page
    assert "Certification edited" in page and "“Gold” → “Platinum”" in page
    assert "Goal review deleted" in page
    assert "Revenue deleted" in page
