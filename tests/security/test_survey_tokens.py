"""The survey link's token is the only credential on the public pages: it is stored hashed,
guessing it is rate limited and logged, it expires, and it answers its own invitation only."""

import logging
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from surveys.models import Invitation, OutboundEmail, Response, SurveyKind, hash_token
from surveys.services import invitation_send, new_token, outbound_email_send
from tests.factories import ContactFactory
from tests.security.database import changed_tables, row_counts
from tests.surveys.factories import InvitationFactory
from tests.surveys.helpers import csrf_from

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser():
    """A stranger's browser: anonymous, with CSRF checks enforced as in production."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def dana(alices_client):
    return ContactFactory(client=alices_client, name="Dana Diaz", email="dana@acme.example")


@pytest.fixture
def eli(alices_client):
    return ContactFactory(client=alices_client, name="Eli Ezra", email="eli@acme.example")


def answer(browser, token: str, **form):
    url = reverse("survey_answer", args=[token])
    page = browser.get(url)
    return browser.post(url, {"csrfmiddlewaretoken": csrf_from(page), **form})


def test_the_database_keeps_no_working_link_once_the_email_is_sent(dana, mailoutbox):
    invitation = invitation_send(contact=dana, kind=SurveyKind.NPS, trigger="manual")
    email = OutboundEmail.objects.get(invitation=invitation)
    token = email.link_token
    assert token and token not in invitation.token_hash

    assert outbound_email_send(email_id=email.pk)

    email.refresh_from_db()
    assert email.link_token == ""
    assert f"/s/{token}/" in mailoutbox[0].body
    stored = [
        str(value) for value in Invitation.objects.filter(pk=invitation.pk).values()[0].values()
    ]
    assert not any(token in value for value in stored)


def test_guessing_tokens_is_cut_off_with_a_429_and_every_guess_is_logged(
    browser, dana, settings, caplog
):
    settings.SURVEY_PAGE_RATE_LIMIT = 5
    real = InvitationFactory(contact=dana)
    before = row_counts()

    with caplog.at_level(logging.WARNING):
        codes = [
            browser.get(reverse("survey_answer", args=[new_token()])).status_code for _ in range(8)
        ]
        # Once cut off, even the right token waits: the limit is per address, not per token.
        right_token = browser.get(reverse("survey_answer", args=[real.token]))

    assert codes == [404] * 5 + [429] * 3
    assert right_token.status_code == 429
    guesses = [r for r in caplog.records if "unknown token" in r.getMessage()]
    assert len(guesses) == 5
    assert all("127.0.0.1" in r.getMessage() for r in guesses)
    refused = [r for r in caplog.records if "rate limit hit by 127.0.0.1" in r.getMessage()]
    assert len(refused) == 4
    assert changed_tables(before) == {}


def test_the_rate_limit_counts_each_address_separately(dana, settings):
    settings.SURVEY_PAGE_RATE_LIMIT = 2
    invitation = InvitationFactory(contact=dana)
    url = reverse("survey_answer", args=[invitation.token])
    attacker, person = Client(REMOTE_ADDR="203.0.113.9"), Client(REMOTE_ADDR="198.51.100.7")
    assert [attacker.get(url).status_code for _ in range(3)] == [200, 200, 429]
    assert person.get(url).status_code == 200


def test_a_forged_forwarded_for_header_does_not_escape_the_limit(dana, settings):
    settings.SURVEY_PAGE_RATE_LIMIT = 2
    url = reverse("survey_answer", args=[InvitationFactory(contact=dana).token])
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    codes = [attacker.get(url, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code for n in range(3)]
    assert codes == [200, 200, 429]


def test_a_token_stops_working_the_moment_its_invitation_expires(browser, dana):
    invitation = InvitationFactory(contact=dana)
    page = browser.get(reverse("survey_answer", args=[invitation.token]))
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())

    late = browser.post(
        reverse("survey_answer", args=[invitation.token]),
        {"score": "9", "csrfmiddlewaretoken": csrf_from(page)},
    )

    assert late.status_code == 410
    assert not Response.objects.exists()


def test_a_token_answers_its_own_invitation_and_no_other(browser, dana, eli):
    danas = InvitationFactory(contact=dana)
    elis = InvitationFactory(contact=eli)

    response = answer(browser, danas.token, score="2", invitation=elis.pk, contact=eli.pk)

    assert response.status_code == 302
    recorded = Response.objects.get()
    assert (recorded.invitation, recorded.contact) == (danas, dana)
    elis.refresh_from_db()
    assert elis.answered_at is None
    assert not Response.objects.filter(invitation=elis).exists()


def test_the_reminders_token_answers_the_same_invitation(browser, dana):
    reminder_token = new_token()
    invitation = InvitationFactory(contact=dana)
    Invitation.objects.filter(pk=invitation.pk).update(
        reminder_token_hash=hash_token(reminder_token)
    )
    assert answer(browser, reminder_token, score="9").status_code == 302
    assert answer(browser, invitation.token, score="8").status_code == 302
    assert list(Response.objects.values_list("invitation_id", "score")) == [(invitation.pk, 8)]


def test_a_token_of_the_right_shape_but_one_character_off_is_unknown(browser, dana):
    invitation = InvitationFactory(contact=dana)
    altered = invitation.token[:-1] + ("A" if invitation.token[-1] != "A" else "B")
    assert browser.get(reverse("survey_answer", args=[altered])).status_code == 404


def test_an_answer_older_than_the_edit_window_cannot_be_changed_through_its_token(
    browser, dana, settings
):
    invitation = InvitationFactory(contact=dana)
    url = reverse("survey_answer", args=[invitation.token])
    csrf = csrf_from(browser.get(url))
    assert browser.post(url, {"score": "9", "csrfmiddlewaretoken": csrf}).status_code == 302
    Response.objects.update(
        answered_at=timezone.now() - timedelta(days=settings.SURVEY_ANSWER_EDIT_DAYS, minutes=1)
    )

    late = browser.post(url, {"score": "0", "csrfmiddlewaretoken": csrf})

    assert late.status_code == 409
    assert Response.objects.get().score == 9
