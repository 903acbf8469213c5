"""The caller's address behind our own reverse proxies (crm/client_ip.py): survey pages are
limited per respondent, not per proxy, and per link too; the log-in lockout sees the same
address. Both set-ups are tested: clients connecting directly, and through trusted proxies."""

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory
from django.urls import reverse

from crm.client_ip import client_ip
from tests.factories import PASSWORD, ContactFactory
from tests.surveys.factories import InvitationFactory

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"


def _request(remote_addr: str, forwarded_for: str | None = None):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **extra)


@pytest.fixture
def survey_url(alices_client):
    contact = ContactFactory(client=alices_client, name="Dana Diaz", email="dana@acme.example")
    return reverse("survey_answer", args=[InvitationFactory(contact=contact).token])


def test_without_proxies_the_connection_address_is_the_client_and_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request("198.51.100.7", "203.0.113.66")) == "198.51.100.7"


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "expected"),
    [
        (1, "198.51.100.7", "198.51.100.7"),
        # Whatever the client wrote itself is left of what our proxy appended.
        (1, "203.0.113.66, 198.51.100.7", "198.51.100.7"),
        (2, "203.0.113.66, 198.51.100.7, 10.0.0.1", "198.51.100.7"),
        (1, "[2001:db8::7]:443", "2001:db8::7"),
        (1, "198.51.100.7:51234", "198.51.100.7"),
    ],
)
def test_behind_trusted_proxies_the_client_is_the_address_the_outer_proxy_appended(
    settings, proxies, forwarded_for, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_ip(_request(PROXY, forwarded_for)) == expected


def test_a_request_that_skipped_the_proxies_is_counted_by_its_connection_address(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request("198.51.100.7", "203.0.113.66")) == "198.51.100.7"
    assert client_ip(_request("198.51.100.7")) == "198.51.100.7"


def test_behind_a_proxy_a_survey_wave_is_not_limited_as_one_address(survey_url, settings):
    """Before: every respondent shared the proxy's REMOTE_ADDR, so the 3rd person got a 429."""
    settings.TRUSTED_PROXY_COUNT = 1
    settings.SURVEY_PAGE_RATE_LIMIT = 2
    proxy = Client(REMOTE_ADDR=PROXY)
    codes = [
        proxy.get(survey_url, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(1, 6)
    ]
    assert codes == [200] * 5


def test_behind_a_proxy_one_respondent_is_still_limited_even_forging_the_header(
    survey_url, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.SURVEY_PAGE_RATE_LIMIT = 2
    proxy = Client(REMOTE_ADDR=PROXY)
    codes = [
        proxy.get(survey_url, HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, 203.0.113.9").status_code
        for n in range(3)
    ]
    assert codes == [200, 200, 429]


def test_one_link_is_limited_however_many_addresses_open_it(survey_url, settings):
    settings.SURVEY_PAGE_RATE_LIMIT = 100
    settings.SURVEY_TOKEN_RATE_LIMIT = 3
    codes = [Client(REMOTE_ADDR=f"198.51.100.{n}").get(survey_url).status_code for n in range(1, 6)]
    assert codes == [200, 200, 200, 429, 429]


def test_a_mail_scanner_following_every_score_link_leaves_the_person_room_to_answer(
    survey_url, settings
):
    scanner, person = Client(REMOTE_ADDR="192.0.2.10"), Client(REMOTE_ADDR="198.51.100.7")
    scanned = [scanner.get(f"{survey_url}?score={score}").status_code for score in range(11)]
    assert scanned == [200] * 11
    assert [person.get(survey_url).status_code for _ in range(5)] == [200] * 5


def test_the_lockout_counts_the_client_behind_the_proxy_not_the_proxy(alice, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR=PROXY)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        proxy.post(
            reverse("login"),
            {"username": alice.email, "password": "wrong"},
            HTTP_X_FORWARDED_FOR="203.0.113.9",
        )
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.9"]
    # Alice herself, through the same proxy from her own address, is not locked out.
    signed_in = proxy.post(
        reverse("login"),
        {"username": alice.email, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert signed_in.status_code == 302
