import logging
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from surveys.models import Invitation, Response
from surveys.selectors import survey_results
from surveys.services import invitation_send
from tests.surveys.factories import InvitationFactory, ResponseFactory
from tests.surveys.helpers import csrf_from, links_in


@pytest.fixture
def browser():
    """A recipient's browser: anonymous, with CSRF checks enforced as in production."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def invitation(contact):
    return InvitationFactory(contact=contact)


def _answer_url(invitation) -> str:
    return reverse("survey_answer", args=[invitation.token])


def _answer(browser, invitation, **data):
    page = browser.get(_answer_url(invitation))
    return browser.post(_answer_url(invitation), {"csrfmiddlewaretoken": csrf_from(page), **data})


def test_a_mail_scanner_following_every_link_answers_nothing_and_unsubscribes_no_one(
    contact, sent, mailoutbox
):
    with sent():
        invitation_send(contact=contact, kind="nps", trigger=Invitation.Trigger.MANUAL)
    scanner = Client()
    for link in links_in(mailoutbox[0]):
        assert scanner.get(link).status_code == 200
    assert not Response.objects.exists()
    contact.refresh_from_db()
    assert contact.opted_out_of_surveys is False
    invitation = Invitation.objects.get()
    assert invitation.opened_at is not None
    assert invitation.answered_at is None
    rate = survey_results(
        responses=Response.objects.all(), invitations=Invitation.objects.all()
    ).response_rate
    assert (rate.answered, rate.provisional) == (0, 1)


def test_the_answer_page_needs_no_login_and_has_no_navigation(browser, invitation):
    page = browser.get(_answer_url(invitation), {"score": 3})
    body = page.content.decode()
    assert page.status_code == 200
    assert invitation.question in body
    assert "navbar" not in body
    assert 'name="viewport"' in body
    invitation.refresh_from_db()
    assert invitation.provisional_score == 3


def test_confirming_on_the_page_records_the_answer_with_comment_and_quote_permission(
    browser, invitation
):
    answered = _answer(browser, invitation, score="10", comment="Superb", may_quote="on")
    assert answered.status_code == 302
    response = Response.objects.get()
    assert (response.score, response.comment, response.may_quote) == (10, "Superb", True)
    assert response.owner == invitation.client.owner
    invitation.refresh_from_db()
    assert invitation.answered_at == response.answered_at


def test_an_answer_without_the_csrf_token_is_refused(browser, invitation):
    refused = browser.post(_answer_url(invitation), {"score": "9"})
    assert refused.status_code == 403
    assert not Response.objects.exists()


def test_a_tampered_token_gets_a_clear_404_page_and_is_logged(browser, invitation, caplog):
    tampered = invitation.token[:-1] + ("A" if invitation.token[-1] != "A" else "B")
    with caplog.at_level(logging.WARNING, logger="surveys.views"):
        page = browser.get(reverse("survey_answer", args=[tampered]), {"score": 9})
    assert page.status_code == 404
    assert "We do not recognise this link" in page.content.decode()
    assert "unknown token" in caplog.text
    invitation.refresh_from_db()
    assert invitation.provisional_score is None
    assert invitation.opened_at is None


def test_an_expired_invitation_gets_a_410_page_and_saves_nothing(browser, contact):
    invitation = InvitationFactory(contact=contact, created_at=timezone.now() - timedelta(days=40))
    page = browser.get(_answer_url(invitation), {"score": 8})
    assert page.status_code == 410
    assert "This survey has closed" in page.content.decode()
    posted = browser.post(_answer_url(invitation), {"score": "8"})
    assert posted.status_code in (403, 410)
    invitation.refresh_from_db()
    assert invitation.provisional_score is None
    assert not Response.objects.exists()


def test_posting_to_an_expired_invitation_with_a_valid_form_is_410(browser, invitation):
    page = browser.get(_answer_url(invitation))
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    posted = browser.post(
        _answer_url(invitation), {"score": "8", "csrfmiddlewaretoken": csrf_from(page)}
    )
    assert posted.status_code == 410
    assert not Response.objects.exists()


@pytest.mark.parametrize("score", ["11", "-1", "seven"])
def test_a_score_link_off_the_scale_gets_a_readable_400_and_saves_nothing(
    browser, invitation, score
):
    page = browser.get(_answer_url(invitation), {"score": score})
    assert page.status_code == 400
    assert "Choose one from 0 to 10" in page.content.decode()
    invitation.refresh_from_db()
    assert invitation.provisional_score is None
    assert invitation.opened_at is None


def test_posting_a_score_off_the_scale_gets_a_readable_400_and_saves_nothing(browser, contact):
    invitation = InvitationFactory(contact=contact, kind="csat")
    refused = _answer(browser, invitation, score="6")
    assert refused.status_code == 400
    assert "Choose a score from 1 to 5" in refused.content.decode()
    assert not Response.objects.exists()


def test_answering_again_within_the_window_updates_the_same_answer(browser, invitation):
    _answer(browser, invitation, score="4", comment="Slow")
    _answer(browser, invitation, score="7", comment="Actually it was fine")
    response = Response.objects.get()
    assert (response.score, response.comment) == (7, "Actually it was fine")
    results = survey_results(responses=Response.objects.all(), invitations=Invitation.objects.all())
    assert results.nps.n == 1
    assert results.response_rate.answered == 1


def test_answering_after_the_window_is_refused_and_changes_nothing(browser, invitation):
    response = ResponseFactory(invitation=invitation, score=8)
    page = browser.get(_answer_url(invitation))  # a tab left open while the window closes
    Response.objects.filter(pk=response.pk).update(answered_at=timezone.now() - timedelta(days=8))
    refused = browser.post(
        _answer_url(invitation), {"score": "2", "csrfmiddlewaretoken": csrf_from(page)}
    )
    assert refused.status_code == 409
    assert "You already answered" in refused.content.decode()
    assert Response.objects.get().score == 8
    thanks = browser.get(_answer_url(invitation), follow=True)
    assert "Change my answer" not in thanks.content.decode()


def test_too_many_requests_from_one_address_get_a_readable_429(browser, invitation, settings):
    settings.SURVEY_PAGE_RATE_LIMIT = 3
    codes = [browser.get(_answer_url(invitation)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert "Too many requests" in browser.get(_answer_url(invitation)).content.decode()


def test_a_detractor_answer_opens_a_follow_up_and_alerts_the_owner(
    browser, invitation, alice, sent, mailoutbox
):
    with sent():
        _answer(browser, invitation, score="3", comment="Nobody called back")
    response = Response.objects.select_related("follow_up").get()
    assert response.follow_up.origin == "survey_detractor"
    assert response.follow_up.owner == alice
    assert [mail.to for mail in mailoutbox] == [[alice.email]]
    assert "Nobody called back" in mailoutbox[0].body


def test_answering_again_does_not_open_a_second_follow_up(browser, invitation, alice):
    _answer(browser, invitation, score="2")
    _answer(browser, invitation, score="1")
    assert alice.follow_ups.count() == 1


def test_a_happy_answer_opens_no_follow_up(browser, invitation, alice):
    _answer(browser, invitation, score="9")
    assert Response.objects.get().follow_up is None


def test_the_unsubscribe_link_asks_first_and_a_post_opts_the_contact_out(browser, invitation):
    url = reverse("survey_unsubscribe", args=[invitation.token])
    page = browser.get(url)
    assert page.status_code == 200
    invitation.contact.refresh_from_db()
    assert invitation.contact.opted_out_of_surveys is False
    done = browser.post(url, {"csrfmiddlewaretoken": csrf_from(page)})
    assert done.status_code == 200
    invitation.contact.refresh_from_db()
    assert invitation.contact.opted_out_of_surveys is True


def test_one_click_unsubscribe_from_the_mail_provider_works_without_a_csrf_token(
    browser, invitation
):
    url = reverse("survey_unsubscribe", args=[invitation.token])
    done = browser.post(url, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    invitation.contact.refresh_from_db()
    assert invitation.contact.opted_out_of_surveys is True


def test_an_expired_invitation_can_still_unsubscribe(browser, contact):
    invitation = InvitationFactory(contact=contact, created_at=timezone.now() - timedelta(days=40))
    browser.post(reverse("survey_unsubscribe", args=[invitation.token]))
    contact.refresh_from_db()
    assert contact.opted_out_of_surveys is True
