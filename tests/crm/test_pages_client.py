"""The client page: key facts, one timeline of everything, and the forms that write through
crm.services."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.models import (
    Client,
    ClientStatusChange,
    Contact,
    Deal,
    DealStage,
    FollowUp,
    Interaction,
    LifecycleStatus,
    RevenueLine,
    SupportIssue,
)
from crm.selectors import TIMELINE_LIMIT
from tests.factories import (
    ContactFactory,
    DealFactory,
    FollowUpFactory,
    InteractionFactory,
    RevenueLineFactory,
    SupportIssueFactory,
)
from tests.surveys.factories import UninvitedResponseFactory


def page_of(client):
    return reverse("client_detail", args=[client.pk])


@pytest.mark.parametrize("who", ["alice", "maria", "admin_user"])
def test_the_client_page_shows_key_facts_to_the_owner_their_manager_and_an_admin(
    request, client, alices_client, who
):
    RevenueLineFactory(client=alices_client, amount=Decimal("1200.00"))
    RevenueLineFactory(
        client=alices_client,
        amount=Decimal("999.00"),
        recognised_on=timezone.localdate() - timedelta(days=400),
    )
    DealFactory(client=alices_client, value=Decimal("5000.00"))
    SupportIssueFactory(client=alices_client)
    client.force_login(request.getfixturevalue(who))

    response = client.get(page_of(alices_client))

    assert response.status_code == 200
    facts = response.context["facts"]
    assert facts.revenue_12m == Decimal("1200.00")
    assert (facts.open_deals, facts.open_issues) == (1, 1)
    assert facts.tenure_months == 13
    body = response.content.decode()
    assert "Acme Logistics" in body and "Alice Adams" in body and "1 yr 1 mo" in body


def test_a_manager_reads_the_page_without_the_forms_that_write(client, maria, alices_client):
    client.force_login(maria)
    body = client.get(page_of(alices_client)).content.decode()
    assert "Add a contact" not in body
    assert "Reassign to another BRM" in body


def test_the_timeline_merges_every_kind_of_event_newest_first(client, alice, alices_client):
    now = timezone.now()
    contact = ContactFactory(client=alices_client, name="Dana Doe")
    InteractionFactory(client=alices_client, topic="Kick-off", occurred_at=now - timedelta(days=9))
    UninvitedResponseFactory(
        client=alices_client,
        contact=contact,
        score=4,
        comment="Too slow to reply",
        answered_at=now - timedelta(days=8),
    )
    SupportIssueFactory(
        client=alices_client, title="Login broken", opened_at=now - timedelta(days=7)
    )
    deal = DealFactory(
        client=alices_client, title="Renewal 2026", created_at=now - timedelta(days=6)
    )
    services.deal_move(deal=deal, to_stage=DealStage.objects.get(name="Proposal"), at=now)
    RevenueLineFactory(client=alices_client, recognised_on=timezone.localdate() - timedelta(days=5))
    services.follow_up_create(
        client=alices_client, owner=alice, title="Send minutes", due_on=timezone.localdate()
    )
    client.force_login(alice)

    response = client.get(page_of(alices_client))

    events = response.context["timeline"]
    kinds = {event.kind for event in events}
    assert kinds >= {
        "interaction",
        "survey",
        "issue",
        "deal",
        "revenue",
        "follow_up",
        "ownership",
        "status",
    }
    assert [e.at for e in events] == sorted((e.at for e in events), reverse=True)
    body = response.content.decode()
    for text in ("Kick-off", "Too slow to reply", "Login broken", "Qualified → Proposal"):
        assert text in body


@pytest.mark.parametrize("size", [3, 30])
def test_the_client_page_costs_the_same_queries_whatever_the_number_of_events(
    client, alice, alices_client, django_assert_num_queries, size
):
    def add_events(count):
        for _ in range(count):
            contact = ContactFactory(client=alices_client)
            interaction = InteractionFactory(client=alices_client)
            interaction.contacts.add(contact)
            FollowUpFactory(client=alices_client)
            SupportIssueFactory(client=alices_client)
            RevenueLineFactory(client=alices_client)
            DealFactory(client=alices_client)

    client.force_login(alice)
    add_events(3)
    with CaptureQueriesContext(connection) as baseline:
        assert client.get(page_of(alices_client)).status_code == 200
    add_events(size - 3)
    with django_assert_num_queries(len(baseline)):
        response = client.get(page_of(alices_client))
    # Five events per round, plus the first ownership and status rows; the page shows the latest.
    assert len(response.context["timeline"]) == min(5 * size + 2, TIMELINE_LIMIT)


ALICES_WRITES = {
    "client_contact_add": {"contact-name": "Eve Evans"},
    "client_follow_up_add": {"follow_up-title": "Call back", "follow_up-due_on": "2030-01-01"},
    "client_issue_open": {"issue-title": "Broken export", "issue-priority": "high"},
    "client_deal_create": {"deal-title": "Upsell", "deal-kind": "upsell", "deal-value": "100"},
    "client_revenue_record": {
        "revenue-product_name": "Advisory",
        "revenue-recognised_on": "2025-01-01",
        "revenue-amount": "100",
        "revenue-cost_to_serve": "0",
    },
    # A churn is dated when it happens: today, never ahead (issue 12, item 11).
    "client_churn": {"churn-on": timezone.localdate().isoformat(), "churn-reason": "Budget cut"},
    "client_reassign": {"reassign-reason": "Rebalancing"},
}

COUNTED = (Contact, FollowUp, SupportIssue, Deal, RevenueLine, ClientStatusChange, Interaction)


def snapshot():
    return [model.objects.count() for model in COUNTED] + [
        list(Client.objects.values_list("owner_id", "status"))
    ]


@pytest.mark.parametrize("url_name", ALICES_WRITES)
def test_another_brm_can_neither_read_nor_write_a_client_by_its_url(
    client, alice, bob, alices_client, url_name
):
    data = {**ALICES_WRITES[url_name], "reassign-new_owner": bob.pk}
    before = snapshot()
    client.force_login(bob)

    assert client.get(page_of(alices_client)).status_code == 404
    response = client.post(reverse(url_name, args=[alices_client.pk]), data)

    assert response.status_code == 404
    assert alices_client.name not in response.content.decode()
    assert snapshot() == before


def test_another_brm_cannot_mark_replies_on_a_clients_messages(client, bob, alices_client):
    message = InteractionFactory(client=alices_client, kind=Interaction.Kind.EMAIL)
    client.force_login(bob)
    response = client.post(reverse("interaction_reply", args=[message.pk]))
    assert response.status_code == 404
    assert not message.replies.exists()


@pytest.mark.parametrize("url_name", sorted(set(ALICES_WRITES) - {"client_reassign"}))
def test_a_manager_may_read_but_not_write_their_teams_clients(
    client, maria, alices_client, url_name
):
    before = snapshot()
    client.force_login(maria)
    response = client.post(reverse(url_name, args=[alices_client.pk]), ALICES_WRITES[url_name])
    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize(
    ("url_name", "created"),
    [
        ("client_contact_add", lambda c: c.contacts.get().name == "Eve Evans"),
        ("client_follow_up_add", lambda c: c.follow_ups.get().title == "Call back"),
        ("client_issue_open", lambda c: c.support_issues.get().sla_hours == 24),
        ("client_deal_create", lambda c: c.deals.get().stage.name == "Qualified"),
        ("client_revenue_record", lambda c: c.revenue_lines.get().product.name == "Advisory"),
        ("client_churn", lambda c: c.status == LifecycleStatus.CHURNED),
    ],
)
def test_the_owner_writes_through_the_client_pages_forms(
    client, alice, alices_client, url_name, created
):
    client.force_login(alice)
    response = client.post(reverse(url_name, args=[alices_client.pk]), ALICES_WRITES[url_name])
    assert response.status_code == 302
    assert response.url == page_of(alices_client)
    alices_client.refresh_from_db()
    assert created(alices_client)


def test_an_invalid_form_comes_back_open_with_its_errors_and_saves_nothing(
    client, alice, alices_client
):
    client.force_login(alice)
    response = client.post(
        reverse("client_follow_up_add", args=[alices_client.pk]), {"follow_up-title": "No date"}
    )
    assert response.status_code == 422
    assert response.context["open_form"] == "follow_up_form"
    assert "This field is required" in response.content.decode()
    assert not FollowUp.objects.exists()


def test_a_refusal_from_the_service_is_shown_on_the_form(client, alice, alices_client):
    client.force_login(alice)
    response = client.post(
        reverse("client_churn", args=[alices_client.pk]),
        {"churn-on": "2000-01-01", "churn-reason": "Too early"},
    )
    assert response.status_code == 422
    assert "on or after the last one" in response.content.decode()
    alices_client.refresh_from_db()
    assert alices_client.is_active


def test_an_outbound_message_is_marked_replied_by_logging_the_reply(client, alice, alices_client):
    message = InteractionFactory(
        client=alices_client,
        kind=Interaction.Kind.EMAIL,
        topic="Renewal terms",
        occurred_at=timezone.now() - timedelta(hours=2),
    )
    client.force_login(alice)
    assert "They replied: log it" in client.get(page_of(alices_client)).content.decode()

    client.post(reverse("interaction_reply", args=[message.pk]))

    reply = message.replies.get()
    assert reply.direction == Interaction.Direction.INBOUND
    assert reply.topic == "Renewal terms"
    body = client.get(page_of(alices_client)).content.decode()
    assert "They replied: log it" not in body
    assert "reply to “Renewal terms”" in body


def test_the_survey_panel_is_included_when_the_surveys_app_provides_it(
    client, alice, alices_client
):
    client.force_login(alice)
    response = client.get(page_of(alices_client))
    assert response.context["survey_panel"] == "surveys/partials/client_panel.html"


def test_a_long_history_shows_the_latest_events_and_offers_the_rest(client, alice, alices_client):
    for _ in range(TIMELINE_LIMIT):
        InteractionFactory(client=alices_client)
    client.force_login(alice)

    response = client.get(page_of(alices_client))
    assert len(response.context["timeline"]) == TIMELINE_LIMIT
    assert "Show the whole history" in response.content.decode()

    everything = client.get(page_of(alices_client), {"history": "all"})
    assert len(everything.context["timeline"]) == TIMELINE_LIMIT + 2


def test_the_client_page_renders_folded_forms_only_when_opened(client, alice, alices_client):
    client.force_login(alice)
    page = client.get(reverse("client_detail", args=[alices_client.pk]))
    assert 'name="contact-name"' not in page.content.decode()
    url = reverse("client_form", args=[alices_client.pk, "contact_form"])
    fetched = client.get(url, headers={"HX-Request": "true"})
    assert 'name="contact-name"' in fetched.content.decode()
    # Without JavaScript the link reloads the page with that form open.
    plain = client.get(url)
    assert plain.status_code == 302
    opened = client.get(plain.url)
    assert 'name="contact-name"' in opened.content.decode()


def test_a_manager_gets_the_reassign_form_but_no_writing_form(client, maria, alices_client):
    client.force_login(maria)
    hx = {"HX-Request": "true"}
    reassign = client.get(
        reverse("client_form", args=[alices_client.pk, "reassign_form"]), headers=hx
    )
    contact = client.get(
        reverse("client_form", args=[alices_client.pk, "contact_form"]), headers=hx
    )
    assert reassign.status_code == 200
    assert contact.status_code == 404


def test_nobody_fetches_a_form_for_a_client_they_cannot_see(client, carol, alices_client):
    client.force_login(carol)
    url = reverse("client_form", args=[alices_client.pk, "contact_form"])
    assert client.get(url, headers={"HX-Request": "true"}).status_code == 404
