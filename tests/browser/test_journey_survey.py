"""A survey's whole round trip in a real browser: the contact opens the e-mail in the dev
mailbox, clicks an unhappy score, adds a comment and confirms; the owning BRM then finds the
answer on the client page, the alert on Today, and the follow-up to call back."""

import pytest
from playwright.sync_api import expect

from surveys.models import Invitation, Response, SurveyKind, SurveyQuestion
from surveys.services import invitation_send
from tests.browser.conftest import log_in
from tests.factories import PASSWORD, ContactFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def nps_question(transactional_db):
    """A data migration writes the survey questions, but a transactional test before this one
    may have emptied every table."""
    SurveyQuestion.objects.get_or_create(
        kind=SurveyKind.NPS,
        defaults={
            "question": "How likely are you to recommend us to a friend or colleague?",
            "low_label": "Not at all likely",
            "high_label": "Extremely likely",
        },
    )


@pytest.fixture
def dev_mailbox(settings, live_server, celery_eager):
    """E-mails land in the dev mailbox (a development tool), with links that point at the live
    server."""
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "surveys.mailbox.DevMailboxBackend"
    settings.SITE_URL = live_server.url


def test_a_detractor_answers_from_the_dev_mailbox_and_the_brm_sees_it_everywhere(
    page, nps_question, dev_mailbox, alice, alices_client, admin_user
):
    dana = ContactFactory(client=alices_client, name="Dana Diaz", email="dana@acme.example")
    invitation_send(contact=dana, kind=SurveyKind.NPS, trigger=Invitation.Trigger.MANUAL)

    # The dev mailbox stands in for Dana's inbox; it is a page of the app, behind a login.
    log_in(page, admin_user.email, PASSWORD)
    page.goto("/dev/mailbox/")
    page.get_by_role("row", name="dana@acme.example").get_by_role("link").click()
    mail = page.locator("[data-mail-html]")
    expect(mail).to_contain_text("Hello Dana Diaz")
    mail.get_by_role("link", name="3", exact=True).click()

    page.wait_for_url("**/s/*/?score=3")
    expect(page.get_by_label("3", exact=True)).to_be_checked()
    assert not Response.objects.exists(), "following a score link must not count as an answer"
    page.get_by_label("Anything you would like to add?").fill("Two invoices were wrong again.")
    page.get_by_role("button", name="Send my answer").click()

    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    expect(page.get_by_text("Two invoices were wrong again.")).to_be_visible()

    page.context.clear_cookies()
    log_in(page, alice.email, PASSWORD)

    # A BRM starts the day on Today: the unhappy answer and its follow-up wait there.
    alert = page.locator("#today-detractors")
    expect(alert).to_contain_text("Acme Logistics")
    expect(alert).to_contain_text("NPS 3")
    expect(alert).to_contain_text("Two invoices were wrong again.")
    expect(
        page.get_by_text("Call Dana Diaz back about their NPS answer of 3").first
    ).to_be_visible()

    page.goto(f"/clients/{alices_client.pk}/")
    panel = page.locator("#survey-panel")
    expect(panel.locator("[data-survey-answers]")).to_contain_text("NPS 3")
    expect(panel.locator("[data-survey-answers]")).to_contain_text("Two invoices were wrong again.")
    expect(panel.get_by_role("alert")).to_contain_text("Close the loop")
    expect(
        page.get_by_text("Call Dana Diaz back about their NPS answer of 3").first
    ).to_be_visible()
