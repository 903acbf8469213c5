"""Keeping the book from the app: add and correct clients, contacts, interactions, projects,
goals, feedback and partner records; every edit shows on the timeline."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.models import Client, Interaction, RelationshipType
from tests.factories import ClientFactory, ContactFactory, FollowUpFactory, InteractionFactory


def _day(n: int = 0) -> str:
    return (timezone.localdate() + timedelta(days=n)).isoformat()


def test_a_brm_adds_a_client_to_their_own_book_after_a_close_name_warning(
    client, alice, alices_client
):
    client.force_login(alice)
    form = {
        "name": "ACME Logistics Ltd.",
        "relationship_type": "strategic",
        "relationship_started_on": _day(),
        "owner": alice.pk,
    }

    warned = client.post(reverse("client_create"), form)

    assert warned.status_code == 422
    assert "Is this one of these?" in warned.content.decode()
    assert Client.objects.count() == 1

    created = client.post(reverse("client_create"), {**form, "confirm_similar": "on"})

    assert created.status_code == 302
    new = Client.objects.get(name="ACME Logistics Ltd.")
    assert new.owner == alice and new.ownerships.get().owner == alice


def test_a_brm_cannot_put_a_new_client_in_someone_elses_book(client, alice, bob):
    client.force_login(alice)
    response = client.post(
        reverse("client_create"),
        {
            "name": "Zenith",
            "relationship_type": "functional",
            "relationship_started_on": _day(),
            "owner": bob.pk,
        },
    )
    assert response.status_code == 422
    assert not Client.objects.filter(name="Zenith").exists()


def test_a_manager_does_not_add_clients(client, maria):
    client.force_login(maria)
    assert client.get(reverse("client_create")).status_code == 403


def test_correcting_a_client_keeps_a_history_row_shown_on_the_timeline(
    client, alice, alices_client
):
    client.force_login(alice)
    response = client.post(
        reverse("client_edit", args=[alices_client.pk]),
        {
            "name": "Acme Logistics Group",
            "relationship_type": "strategic",
            "industry": "Freight",
            "relationship_started_on": alices_client.relationship_started_on.isoformat(),
        },
    )
    assert response.status_code == 302
    latest = alices_client.history.latest()
    assert latest.name == "Acme Logistics Group" and latest.history_user == alice
    assert latest.prev_record.name == "Acme Logistics"
    page = client.get(reverse("client_detail", args=[alices_client.pk])).content.decode()
    assert "Client details" in page and "“Acme Logistics” → “Acme Logistics Group”" in page


def test_the_relationship_cannot_start_in_the_future(client, alice, alices_client):
    client.force_login(alice)
    response = client.post(
        reverse("client_edit", args=[alices_client.pk]),
        {"name": "Acme", "relationship_type": "strategic", "relationship_started_on": _day(30)},
    )
    assert response.status_code == 422
    assert "cannot be in the future" in response.content.decode()


def test_logging_a_meeting_with_two_contacts_one_added_inline(client, alice, alices_client):
    eve = ContactFactory(client=alices_client, name="Eve Evans")
    client.force_login(alice)

    response = client.post(
        reverse("interaction_log"),
        {
            "client": alices_client.pk,
            "kind": "meeting",
            "topic": "Quarterly review",
            "contacts": [eve.pk],
            "new_contact": "Frank Fox",
        },
    )

    assert response.status_code == 302
    meeting = Interaction.objects.get(topic="Quarterly review")
    assert sorted(c.name for c in meeting.contacts.all()) == ["Eve Evans", "Frank Fox"]


def test_a_contact_of_another_client_cannot_be_named_on_an_interaction(
    client, alice, alices_client
):
    other = ContactFactory(client=ClientFactory(owner=alice))
    client.force_login(alice)
    response = client.post(
        reverse("interaction_log"),
        {"client": alices_client.pk, "kind": "call", "topic": "Hi", "contacts": [other.pk]},
    )
    assert response.status_code == 422
    assert not Interaction.objects.exists()


def test_editing_a_meetings_topic_shows_as_an_edit_on_the_timeline(client, alice, alices_client):
    meeting = services.interaction_log(
        client=alices_client, logged_by=alice, kind="meeting", topic="Kickof"
    )
    client.force_login(alice)

    response = client.post(
        reverse("interaction_edit", args=[meeting.pk]), {"topic": "Kick-off", "summary": ""}
    )

    assert response.status_code == 302
    page = client.get(reverse("client_detail", args=[alices_client.pk])).content.decode()
    assert "“Kickof” → “Kick-off”" in page and "Interaction edited" in page


def test_only_whoever_logged_an_interaction_may_change_it(client, alice, admin_user, bob):
    theirs = InteractionFactory(client=ClientFactory(owner=alice), logged_by=admin_user)
    client.force_login(alice)
    assert client.get(reverse("interaction_edit", args=[theirs.pk])).status_code == 403
    client.force_login(admin_user)
    assert client.post(reverse("interaction_delete", args=[theirs.pk])).status_code == 302
    assert not Interaction.objects.filter(pk=theirs.pk).exists()
    assert Interaction.history.filter(id=theirs.pk, history_type="-").exists()


def test_a_goal_its_review_a_project_and_feedback_are_kept_from_the_client_page(
    client, alice, alices_client
):
    client.force_login(alice)
    assert (
        client.post(
            reverse("client_goal_add", args=[alices_client.pk]),
            {"goal-title": "Cut freight cost 5%", "goal-due_on": _day(60)},
        ).status_code
        == 302
    )
    goal = alices_client.shared_goals.get()
    review = client.post(
        reverse("record_close", args=["goal", goal.pk]),
        {"reviewed_on": _day(), "note": "On track", "met": ""},
    )
    assert review.status_code == 302
    client.post(
        reverse("client_project_add", args=[alices_client.pk]),
        {"project-name": "Warehouse pilot", "project-due_on": _day(30)},
    )
    client.post(
        reverse("client_feedback_add", args=[alices_client.pk]),
        {"feedback-summary": "Wants an API", "feedback-received_on": _day()},
    )
    feedback = alices_client.feedback_items.get()
    client.post(
        reverse("record_close", args=["feedback", feedback.pk]),
        {"outcome": "implemented", "closed_on": _day()},
    )

    goal.refresh_from_db()
    feedback.refresh_from_db()
    assert goal.last_reviewed_on == timezone.localdate() and goal.reviews.get().note == "On track"
    assert feedback.outcome == "implemented"
    page = client.get(reverse("client_detail", args=[alices_client.pk])).content.decode()
    for text in ("Cut freight cost 5%", "Goal reviewed", "Warehouse pilot", "Wants an API"):
        assert text in page


def test_referrals_and_certifications_are_for_partners_only(client, alice, alices_client):
    partner = ClientFactory(owner=alice, relationship_type=RelationshipType.PARTNER)
    client.force_login(alice)
    assert (
        client.post(
            reverse("client_referral_add", args=[partner.pk]),
            {"referral-lead_name": "Globex", "referral-received_on": _day()},
        ).status_code
        == 302
    )
    refused = client.post(
        reverse("client_referral_add", args=[alices_client.pk]),
        {"referral-lead_name": "Initech", "referral-received_on": _day()},
    )
    assert refused.status_code == 422
    assert partner.referrals_made.get().lead_name == "Globex"


def _records_of(alices_client, alice):
    contact = ContactFactory(client=alices_client)
    return {
        "follow_up_edit": FollowUpFactory(client=alices_client).pk,
        "interaction_edit": InteractionFactory(client=alices_client).pk,
        "interaction_delete": InteractionFactory(client=alices_client).pk,
        "contact_edit": contact.pk,
        "client_edit": alices_client.pk,
        "project": services.project_create(client=alices_client, name="P", due_on=_day_d(9)).pk,
        "goal": services.shared_goal_create(client=alices_client, title="G", due_on=_day_d(9)).pk,
        "feedback": services.feedback_item_record(
            client=alices_client, summary="F", received_on=_day_d(0)
        ).pk,
    }


def _day_d(n: int):
    return timezone.localdate() + timedelta(days=n)


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_brms_records_do_not_exist_for_them(client, alice, carol, alices_client, method):
    records = _records_of(alices_client, alice)
    client.force_login(carol)
    urls = [
        reverse("follow_up_edit", args=[records["follow_up_edit"]]),
        reverse("interaction_edit", args=[records["interaction_edit"]]),
        reverse("interaction_delete", args=[records["interaction_delete"]]),
        reverse("contact_edit", args=[records["contact_edit"]]),
        reverse("client_edit", args=[records["client_edit"]]),
        *(reverse("record_edit", args=[f, records[f]]) for f in ("project", "goal", "feedback")),
        *(reverse("record_close", args=[f, records[f]]) for f in ("project", "goal", "feedback")),
        *(
            reverse(name, args=[alices_client.pk])
            for name in (
                "client_project_add",
                "client_goal_add",
                "client_feedback_add",
                "client_referral_add",
                "client_certification_add",
            )
        ),
    ]
    for url in urls:
        assert getattr(client, method)(url, {"name": "x"}).status_code in (404, 405), url
    assert Interaction.objects.filter(client=alices_client).count() == 2


def test_the_contact_list_runs_a_fixed_number_of_queries(client, alice, django_assert_num_queries):
    book = ClientFactory(owner=alice)
    ContactFactory(client=book)
    client.force_login(alice)
    client.get(reverse("contact_list"))
    with django_assert_num_queries(0) as baseline:
        pass
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("contact_list"))
    ContactFactory.create_batch(20, client=book)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(reverse("contact_list"))
    assert response.content.decode().count("<tr>") == 22
    del baseline


def test_a_deal_is_edited_and_lost_with_a_reason_and_the_pipeline_weights_it(
    client, alice, alices_client
):
    from crm.models import DealStage, LostReason

    deal = services.deal_create(client=alices_client, title="Renewal", value=1000)
    client.force_login(alice)
    edited = client.post(
        reverse("record_edit", args=["deal", deal.pk]),
        {"title": "Renewal 2027", "kind": "renewal", "value": "2000", "probability": "25"},
    )
    assert edited.status_code == 302
    board = client.get(reverse("pipeline")).content.decode()
    assert "weighted GBP 500" in board or "weighted" in board

    lost_stage = DealStage.objects.get(kind="lost")
    refused = client.post(reverse("deal_move", args=[deal.pk]), {"to_stage": lost_stage.pk})
    assert refused.status_code == 302 and refused.url.endswith(f"/records/deal/{deal.pk}/")
    price = LostReason.objects.get(name="Price")
    lost = client.post(
        reverse("record_close", args=["deal", deal.pk]),
        {"lost_reason": price.pk, "lost_note": "Went with a cheaper offer"},
    )
    assert lost.status_code == 302
    deal.refresh_from_db()
    assert (deal.stage, deal.lost_reason, deal.value) == (lost_stage, price, 2000)
    assert deal.history.latest().lost_note == "Went with a cheaper offer"


def test_a_support_issue_priority_change_keeps_the_sla_fixed_at_opening(
    client, alice, alices_client
):
    issue = services.support_issue_open(client=alices_client, title="Export", priority="low")
    sla = issue.sla_hours
    client.force_login(alice)
    response = client.post(
        reverse("record_edit", args=["issue", issue.pk]),
        {"title": "Export broken", "description": "CSV is empty", "priority": "urgent"},
    )
    assert response.status_code == 302
    issue.refresh_from_db()
    assert (issue.priority, issue.sla_hours, issue.description) == ("urgent", sla, "CSV is empty")


def test_the_search_box_finds_a_contact_by_phone_in_any_format_within_the_book(
    client, alice, alices_client, carol
):
    ContactFactory(client=alices_client, name="Ann Archer", phone="+44 (20) 7946-0018")
    services.interaction_log(
        client=alices_client, logged_by=alice, kind="meeting", topic="Renewal meetings"
    )
    ContactFactory(client=ClientFactory(owner=carol), name="Cara Hidden", phone="020 7946 0018")
    client.force_login(alice)

    page = client.get(reverse("search"), {"q": "7946 0018"}).content.decode()
    assert "Ann Archer" in page and "Cara Hidden" not in page
    page = client.get(reverse("search"), {"q": "renewal"}).content.decode()
    assert "Renewal meetings" in page
    assert "Acme Logistics" in client.get(reverse("search"), {"q": "acme"}).content.decode()
