"""A BRM's working day in a real browser: log a meeting with a follow-up from the client page,
find the follow-up on Today, and tick it off with one click."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crm.models import FollowUp, Interaction
from tests.browser.conftest import log_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_a_brm_logs_a_meeting_with_a_follow_up_and_ticks_it_off_on_today(
    page, transactional_db, alice, alices_client
):
    log_in(page, alice.email, PASSWORD)
    page.goto(f"/clients/{alices_client.pk}/")

    # The page's own button, not the one in the navigation bar: it carries the client.
    page.locator("#main").get_by_role("link", name="+ Log interaction").click()
    modal = page.locator("#quick-log")
    expect(modal).to_be_visible()
    # The client page opens the quick log with its own client already chosen.
    expect(modal.get_by_label("Client")).to_have_value(str(alices_client.pk))
    modal.get_by_label("Kind").select_option("meeting")
    modal.get_by_label("Topic").fill("Quarterly review")
    modal.get_by_label("Summary").fill("Walked through the renewal terms.")
    modal.get_by_label("Follow-up", exact=True).fill("Send the revised renewal quote")
    modal.get_by_label("Follow-up due").fill(timezone.localdate().isoformat())
    modal.get_by_role("button", name="Log it").click()

    expect(modal.get_by_role("status")).to_contain_text("with a follow-up")
    # The page refreshes its timeline behind the modal when something is logged.
    expect(page.locator("#client-activity")).to_contain_text("Quarterly review")
    meeting = Interaction.objects.get(client=alices_client)
    assert meeting.kind == Interaction.Kind.MEETING
    assert meeting.logged_by == alice

    page.goto("/today/")
    due_today = page.locator("section", has=page.get_by_role("heading", name="Due today"))
    row = due_today.get_by_role("listitem").filter(has_text="Send the revised renewal quote")
    expect(row).to_contain_text(alices_client.name)

    row.get_by_role("button", name=re.compile("Mark .* done")).click()

    # htmx swaps the row for its "done" line in place: no page load.
    done = due_today.get_by_role("status")
    expect(done).to_contain_text("Send the revised renewal quote")
    expect(done).to_contain_text("done on time")
    expect(due_today.get_by_role("button", name=re.compile("Mark .* done"))).to_have_count(0)
    assert FollowUp.objects.get(client=alices_client).is_done

    page.reload()
    expect(page.get_by_text("Send the revised renewal quote")).to_have_count(0)


def test_opening_a_folded_form_on_the_client_page_loads_it_and_it_saves(
    page, transactional_db, alice, alices_client
):
    log_in(page, alice.email, PASSWORD)
    page.goto(f"/clients/{alices_client.pk}/")
    actions = page.locator("#actions")
    actions.get_by_text("Add a contact").click()
    # Fetched when opened: the page itself does not render folded forms.
    actions.get_by_label("Name").fill("Dana Diaz")
    actions.get_by_role("button", name="Add contact").click()
    expect(page.get_by_role("alert")).to_contain_text("Contact added.")
    assert alices_client.contacts.get().name == "Dana Diaz"
