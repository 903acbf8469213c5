"""Fuzzing the public survey pages, which anyone on the internet can reach: random tokens,
scores, comments and HTTP methods. Every bad input gets a clear 4xx page, never a 500, and
only a well-formed answer to a live invitation is saved."""

from datetime import timedelta
from urllib.parse import quote, urlencode

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import event, given
from hypothesis import strategies as st

from surveys.models import Response
from tests.factories import ContactFactory
from tests.fuzz.conftest import fuzz_settings
from tests.security.database import changed_tables, row_counts
from tests.surveys.factories import InvitationFactory

pytestmark = pytest.mark.django_db

FUZZ = fuzz_settings(80)
METHODS = ["get", "post", "put", "patch", "delete", "head", "options"]
PAGES = ["", "thanks/", "unsubscribe/"]

any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)
scores = st.one_of(
    st.integers(min_value=-3, max_value=14).map(str),
    st.sampled_from(["", " 7", "7.0", "1e1", "0x9", "١٠", "NaN", "-0", "9" * 5000, "10\x00"]),
    any_text,
)


def send(client, method: str, url: str, form: dict[str, str]):
    """``form`` as a browser would send it with ``method``: encoded in the body, except for
    the methods that have none."""
    if method == "post":
        return client.post(url, form)
    if method in ("put", "patch"):
        return getattr(client, method)(
            url, urlencode(form), content_type="application/x-www-form-urlencoded"
        )
    return getattr(client, method)(url)


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    # The fuzzer sends hundreds of requests from one address; the limit has its own tests.
    settings.SURVEY_PAGE_RATE_LIMIT = 1_000_000
    settings.SURVEY_TOKEN_RATE_LIMIT = 1_000_000


@pytest.fixture
def invitation(alices_client):
    contact = ContactFactory(client=alices_client, name="Dana Diaz", email="dana@acme.example")
    return InvitationFactory(contact=contact)


@FUZZ
@given(token=any_text, page=st.sampled_from(PAGES), method=st.sampled_from(METHODS))
def test_an_unknown_token_is_a_404_on_every_page_and_changes_nothing(
    client, invitation, token, page, method
):
    if token == invitation.token:
        return
    before = row_counts()
    path = f"/s/{quote(token, safe='')}/{page}"
    response = send(client, method, path, {"score": "3"})
    assert response.status_code == 404
    assert changed_tables(before) == {}


@FUZZ
@given(score=scores)
def test_any_score_in_an_emailed_link_shows_the_page_or_a_400_and_never_records_an_answer(
    client, invitation, score
):
    before = row_counts()
    response = client.get(reverse("survey_answer", args=[invitation.token]), {"score": score})
    event(str(response.status_code))
    assert response.status_code in (200, 400)
    assert changed_tables(before) == {}


@FUZZ
@given(
    method=st.sampled_from(METHODS),
    score=scores,
    comment=st.one_of(any_text, st.sampled_from(["x" * 2001, "a\x00b", "<script>"])),
    may_quote=st.sampled_from(["", "on", "off", "true", "0", "\x00"]),
)
def test_any_answer_form_is_recorded_exactly_when_it_is_valid(
    client, invitation, method, score, comment, may_quote
):
    before = Response.objects.count()
    form = {"score": score, "comment": comment, "may_quote": may_quote}
    url = reverse("survey_answer", args=[invitation.token])
    response = send(client, method, url, form)
    event(f"{method} {response.status_code}")
    assert response.status_code in (200, 302, 400, 405)
    if response.status_code != 302:
        assert Response.objects.count() == before
        return
    answer = Response.objects.get(invitation=invitation)
    assert str(answer.score) == score.strip()
    assert 0 <= answer.score <= 10
    assert answer.comment == comment.strip()
    assert "\x00" not in answer.comment


@FUZZ
@given(method=st.sampled_from(METHODS), score=scores, page=st.sampled_from(PAGES))
def test_an_expired_invitation_answers_nothing_whatever_is_sent(
    client, alices_client, method, score, page
):
    contact = ContactFactory(client=alices_client)
    expired = InvitationFactory(contact=contact, created_at=timezone.now() - timedelta(days=31))
    before = row_counts()
    url = f"/s/{expired.token}/{page}"
    response = send(client, method, url, {"score": score})
    event(f"{page or 'answer'} {method} {response.status_code}")
    assert response.status_code in (200, 302, 405, 410)
    if page == "":
        assert response.status_code in (405, 410)
    unsubscribed = page == "unsubscribe/" and method == "post"
    changed = changed_tables(before)
    # An opt-out is an edit of the contact: it leaves exactly one row in the contact's history,
    # and puts the address on the suppression list.
    history = changed.pop("crm.HistoricalContact", (0, 0))
    assert history[1] - history[0] == (1 if unsubscribed else 0)
    suppressed = changed.pop("crm.EmailSuppression", (0, 0))
    assert suppressed[1] - suppressed[0] == (1 if unsubscribed else 0)
    assert changed == {}, "nothing but an opt-out may change"
    contact.refresh_from_db()
    assert contact.opted_out_of_surveys == unsubscribed
