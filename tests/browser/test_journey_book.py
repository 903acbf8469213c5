"""A new BRM keeps a client's book from the app alone: creates the client, adds two contacts,
logs a meeting with both, reschedules and completes a follow-up, records a shared goal and its
review, a project and a feedback item, corrects the meeting's topic, and sees every step on
the timeline; after a snapshot the scorecard computes from what was entered."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crm.models import Client, FollowUp, Interaction
from metrics.periods import Grain, Period
from metrics.services import snapshot_take
from tests.browser.conftest import log_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def _open_action(page, summary: str):
    actions = page.locator("#actions")
    actions.get_by_text(summary).click()
    return actions.locator("details[open]")


def test_a_new_brm_keeps_a_clients_book_from_the_app_and_the_scorecard_follows(
    page, transactional_db, alice
):
    today = timezone.localdate()
    log_in(page, alice.email, PASSWORD)

    page.get_by_role("link", name="Clients", exact=True).click()
    page.get_by_role("link", name="+ New client").click()
    page.get_by_label("Name").fill("Northwind Traders")
    page.get_by_label("Type").select_option("strategic")
    page.get_by_label("Relationship started").fill(today.isoformat())
    page.get_by_role("button", name="Add client").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Northwind Traders")
    client = Client.objects.get(name="Northwind Traders")
    assert client.owner == alice

    for name in ("Ann Archer", "Ben Baker"):
        form = _open_action(page, "Add a contact")
        form.get_by_label("Name").fill(name)
        form.get_by_role("button", name="Add contact").click()
        expect(page.get_by_role("alert")).to_contain_text("Contact added.")

    page.locator("#main").get_by_role("link", name="+ Log interaction").click()
    modal = page.locator("#quick-log")
    expect(modal.get_by_label("Client")).to_have_value(str(client.pk))
    modal.get_by_label("Kind").select_option("meeting")
    # A meeting is two-way: the form preselects it.
    expect(modal.get_by_label("Direction")).to_have_value("two_way")
    modal.get_by_label("Topic").fill("Kickof workshop")
    modal.get_by_label("Ann Archer").check()
    modal.get_by_label("Ben Baker").check()
    modal.get_by_label("Follow-up", exact=True).fill("Send the workshop notes")
    modal.get_by_label("Follow-up due").fill(today.isoformat())
    modal.get_by_role("button", name="Log it").click()
    expect(modal.get_by_role("status")).to_contain_text("with a follow-up")
    meeting = Interaction.objects.get(client=client)
    assert meeting.direction == Interaction.Direction.TWO_WAY
    assert sorted(c.name for c in meeting.contacts.all()) == ["Ann Archer", "Ben Baker"]
    modal.get_by_role("button", name="Close").click()

    page.goto(f"/clients/{client.pk}/")
    page.get_by_role("link", name="Send the workshop notes").click()
    page.locator("input[name=due_on]").fill((today + timedelta(days=3)).isoformat())
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Follow-up saved.")
    follow_ups = page.locator("section", has=page.get_by_role("heading", name="Open follow-ups"))
    follow_ups.get_by_role("button", name=re.compile("Mark .* done")).click()
    expect(follow_ups.get_by_role("status")).to_contain_text("done on time")
    assert FollowUp.objects.get(client=client).is_done

    page.goto(f"/clients/{client.pk}/")
    form = _open_action(page, "Agree a shared goal")
    form.get_by_label("Shared goal").fill("Cut order lead time by a day")
    form.get_by_label("Due").fill(today.isoformat())
    form.get_by_role("button", name="Add shared goal").click()
    page.get_by_role("link", name="Cut order lead time by a day").click()
    page.get_by_label("Note").fill("Lead time down to 2 days")
    page.get_by_label("Assessment").select_option("yes")
    page.get_by_role("button", name="Record a review").click()
    expect(page.get_by_role("alert")).to_contain_text("Shared goal")

    form = _open_action(page, "Add a project")
    form.get_by_label("Name").fill("EDI integration")
    form.get_by_label("Due on").fill((today + timedelta(days=20)).isoformat())
    form.get_by_role("button", name="Add project").click()
    expect(page.get_by_role("alert")).to_contain_text("Project added.")
    form = _open_action(page, "Record feedback")
    form.get_by_label("What they asked for or told us").fill("Wants a weekly status e-mail")
    form.get_by_role("button", name="Record feedback").click()
    expect(page.get_by_role("alert")).to_contain_text("Feedback recorded.")

    timeline = page.locator("#client-activity ol.timeline")
    timeline.locator("li", has_text="Kickof workshop").get_by_role("link", name="Edit").click()
    page.get_by_label("Topic").fill("Kick-off workshop")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Interaction saved.")

    timeline = page.locator("#client-activity ol.timeline")
    for text in (
        "Kick-off workshop",
        "With Ann Archer, Ben Baker",
        "Interaction edited",
        "“Kickof workshop” → “Kick-off workshop”",
        "Follow-up edited",
        "Send the workshop notes",
        "Follow-up done",
        "Cut order lead time by a day",
        "Goal reviewed",
        "EDI integration",
        "Wants a weekly status e-mail",
    ):
        expect(timeline).to_contain_text(text)

    snapshot_take(period=Period.current(Grain.MONTH))
    page.get_by_role("link", name="Scorecard", exact=True).click()
    expect(page.locator("#kpi-network_reach td.sc-value")).to_have_text("2")
    expect(page.locator("#kpi-strategic_alignment td.sc-value")).to_contain_text("100")
    expect(page.locator("#kpi-goal_attainment td.sc-value")).to_contain_text("100")
