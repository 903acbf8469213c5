"""Today: what a BRM has to do now, and one click to say it is done."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import ClientFactory, FollowUpFactory, InteractionFactory

TODAY = reverse("today")


def test_a_brms_home_page_is_today(client, alice):
    client.force_login(alice)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert response.templates[0].name == "crm/today.html"


@pytest.mark.parametrize("who", ["maria", "admin_user"])
def test_managers_and_admins_land_on_the_book(request, client, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse("client_list")


@pytest.mark.parametrize("who", ["alice", "maria", "admin_user"])
def test_today_renders_for_every_role(request, client, alices_client, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(TODAY).status_code == 200


def test_today_sorts_my_follow_ups_into_overdue_due_today_and_this_week(
    client, alice, bob, alices_client
):
    today = timezone.localdate()
    FollowUpFactory(client=alices_client, title="Late one", due_on=today - timedelta(days=2))
    FollowUpFactory(client=alices_client, title="Today one", due_on=today)
    FollowUpFactory(client=alices_client, title="Friday one", due_on=today + timedelta(days=4))
    FollowUpFactory(client=alices_client, title="Next month", due_on=today + timedelta(days=30))
    FollowUpFactory(client=ClientFactory(owner=bob), title="Bobs task", due_on=today)
    client.force_login(alice)

    response = client.get(TODAY)

    sections = response.context["follow_ups"]
    assert [f.title for f in sections.overdue] == ["Late one"]
    assert [f.title for f in sections.due_today] == ["Today one"]
    assert [f.title for f in sections.this_week] == ["Friday one"]
    body = response.content.decode()
    assert "Overdue since" in body
    assert "Bobs task" not in body and "Next month" not in body


def test_today_lists_my_dormant_clients(client, alice, alices_client, settings):
    settings.DORMANT_AFTER_DAYS = 90
    InteractionFactory(client=alices_client, occurred_at=timezone.now() - timedelta(days=120))
    recent = ClientFactory(owner=alice)
    InteractionFactory(client=recent, occurred_at=timezone.now() - timedelta(days=5))
    client.force_login(alice)

    dormant = client.get(TODAY).context["dormant_clients"]

    assert dormant == [alices_client]


def test_one_click_marks_a_follow_up_done_and_swaps_its_row(client, alice, alices_client):
    follow_up = FollowUpFactory(client=alices_client, title="Send the deck")
    client.force_login(alice)

    response = client.post(reverse("follow_up_done", args=[follow_up.pk]), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "<s>Send the deck</s>" in response.content.decode()
    follow_up.refresh_from_db()
    assert follow_up.is_done
    assert follow_up.was_on_time


def test_another_brm_cannot_complete_my_follow_up(client, bob, alices_client):
    follow_up = FollowUpFactory(client=alices_client)
    client.force_login(bob)
    response = client.post(reverse("follow_up_done", args=[follow_up.pk]))
    assert response.status_code == 404
    follow_up.refresh_from_db()
    assert not follow_up.is_done


def test_the_detractors_panel_is_included_when_the_surveys_app_provides_it(client, alice):
    client.force_login(alice)
    panel = client.get(TODAY).context["detractors_panel"]
    assert panel == "surveys/partials/today_detractors.html"


def test_today_pages_a_long_overdue_list_oldest_first(client, alice, alices_client):
    today = timezone.localdate()
    for days in range(1, 26):
        due_on = today - timedelta(days)
        FollowUpFactory(client=alices_client, title=f"Late by {days}", due_on=due_on)
    client.force_login(alice)

    first = client.get(TODAY)
    second = client.get(TODAY, {"overdue": 2})

    overdue = [f.title for f in first.context["follow_ups"].overdue]
    assert overdue[:2] == ["Late by 25", "Late by 24"] and len(overdue) == 20
    assert "1–20 of 25" in first.content.decode() and "?overdue=2" in first.content.decode()
    assert [f.title for f in second.context["follow_ups"].overdue] == [
        f"Late by {days}" for days in range(5, 0, -1)
    ]
    # A page number that is not one shows a page, not an error.
    assert client.get(TODAY, {"overdue": "x"}).status_code == 200
    assert len(client.get(TODAY, {"overdue": "99"}).context["follow_ups"].overdue) == 5
