"""CSRF: every write refuses a POST without the token (and accepts it with one, so the refusal
is CSRF's and not the access rules'); the one exemption is the one-click unsubscribe."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.views import APIView

from metrics.registry import KPIS
from tests.factories import PASSWORD
from tests.security.database import changed_tables, row_counts
from tests.security.endpoints import ENDPOINTS, fingerprint
from tests.surveys.factories import InvitationFactory

pytestmark = pytest.mark.django_db


def _views(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            yield pattern


def test_only_the_one_click_unsubscribe_is_exempt_from_csrf():
    """REST API views are exempt from Django's middleware because DRF checks CSRF itself for
    session callers (tests/integrations/test_api.py); token callers send no cookie to forge."""
    exempt = {
        p.name
        for p in _views(get_resolver().url_patterns)
        if getattr(p.callback, "csrf_exempt", False)
        and not issubclass(getattr(p.callback, "cls", object), APIView)
    }
    assert exempt == {"survey_unsubscribe"}


@pytest.fixture
def browser():
    return Client(enforce_csrf_checks=True)


def csrf_token(browser) -> str:
    """The token a page of the site hands the browser with its cookie."""
    browser.get(reverse("client_list"))
    return browser.cookies["csrftoken"].value


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_a_client_write_without_the_csrf_token_is_refused_and_saves_nothing(
    browser, world, admin_user, endpoint
):
    if endpoint.prepare:
        endpoint.prepare(world)
    browser.force_login(admin_user)
    before = fingerprint(world)

    forged = browser.post(endpoint.url(world), endpoint.data(world))

    assert forged.status_code == 403
    assert "CSRF" in forged.content.decode()
    assert fingerprint(world) == before
    genuine = browser.post(
        endpoint.url(world), {**endpoint.data(world), "csrfmiddlewaretoken": csrf_token(browser)}
    )
    assert genuine.status_code == 302


OTHER_FORMS = {
    "log in": (None, "login", [], {"username": "alice@example.com", "password": PASSWORD}),
    "log out": ("alice", "logout", [], {}),
    "change password": (
        "alice",
        "password_change",
        [],
        {
            "old_password": PASSWORD,
            "new_password1": "n3w-Secret!x",
            "new_password2": "n3w-Secret!x",
        },
    ),
    "ask for a password reset": (None, "password_reset", [], {"email": "alice@example.com"}),
    "log an interaction": ("alice", "interaction_log", [], {"kind": "call", "topic": "Hi"}),
    "upload an import": ("alice", "imports:import", [], {"record_type": "contacts"}),
    "confirm an import": ("alice", "imports:job_confirm", [1], {}),
    "set a target": ("admin_user", "targets", [], {"kpi": next(iter(KPIS)), "value": "1"}),
}


@pytest.mark.parametrize("form", OTHER_FORMS, ids=str)
def test_every_other_form_refuses_a_post_without_the_csrf_token(
    request, browser, alice, alices_client, form
):
    who, name, args, data = OTHER_FORMS[form]
    if who:
        browser.force_login(request.getfixturevalue(who))
    if name == "interaction_log":
        data = {**data, "client": alices_client.pk, "occurred_at": timezone.now().isoformat()}
    before = row_counts()

    response = browser.post(reverse(name, args=args), data)

    assert response.status_code == 403
    assert changed_tables(before) == {}
    if who:
        assert browser.get(reverse("client_list")).status_code == 200, "still logged in"


def test_a_survey_answer_without_the_csrf_token_is_refused(browser, alices_client):
    invitation = InvitationFactory(contact__client=alices_client)
    before = row_counts()
    response = browser.post(reverse("survey_answer", args=[invitation.token]), {"score": "9"})
    assert response.status_code == 403
    assert changed_tables(before) == {}
