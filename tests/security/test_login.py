"""Log-in lockout (django-axes): after the allowed failures a username is locked out from the
address that guessed, even with the right password, until the cool-off ends; every failure is
recorded."""

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.9"


def log_in(browser: Client, email: str, password: str):
    return browser.post(reverse("login"), {"username": email, "password": password})


def is_logged_in(browser: Client) -> bool:
    return browser.get(reverse("client_list")).status_code == 200


@pytest.fixture
def attacker():
    return Client(REMOTE_ADDR=ATTACKER)


def guess(attacker: Client, email: str, times: int) -> list[int]:
    return [log_in(attacker, email, f"guess-{n}").status_code for n in range(times)]


def test_the_guess_after_the_limit_is_refused_with_429_even_with_the_right_password(
    attacker, alice, settings
):
    limit = settings.AXES_FAILURE_LIMIT
    # Each failure shows the form again; the one that reaches the limit locks the account.
    assert guess(attacker, alice.email, limit) == [200] * (limit - 1) + [429]

    response = log_in(attacker, alice.email, PASSWORD)

    assert response.status_code == 429
    assert "Too many failed log-ins" in response.content.decode()
    assert not is_logged_in(attacker)


def test_every_failed_log_in_is_counted_against_the_username_and_address(attacker, alice):
    guess(attacker, alice.email, 3)
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address, attempt.failures_since_start) == (
        alice.email,
        ATTACKER,
        3,
    )


def test_the_lockout_is_for_that_username_from_that_address(attacker, alice, bob, settings):
    guess(attacker, alice.email, settings.AXES_FAILURE_LIMIT)

    alice_elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    log_in(alice_elsewhere, alice.email, PASSWORD)
    log_in(attacker, bob.email, PASSWORD)

    assert is_logged_in(alice_elsewhere)
    assert is_logged_in(attacker), "another username from the same address is not locked"


def test_the_lockout_ends_after_the_cool_off(attacker, alice, settings):
    guess(attacker, alice.email, settings.AXES_FAILURE_LIMIT)
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timezone.timedelta(minutes=1)
    )

    response = log_in(attacker, alice.email, PASSWORD)

    assert response.status_code == 302
    assert is_logged_in(attacker)


def test_a_successful_log_in_clears_earlier_failures(alice, settings):
    browser = Client()
    guess(browser, alice.email, settings.AXES_FAILURE_LIMIT - 1)
    log_in(browser, alice.email, PASSWORD)
    browser.post(reverse("logout"))

    assert guess(browser, alice.email, 1) == [200], "the count started again"


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(client, alice):
    wrong = log_in(client, alice.email, "not-it")
    unknown = log_in(client, "nobody@example.com", "not-it")
    assert wrong.status_code == unknown.status_code == 200
    assert wrong.context["form"].errors == unknown.context["form"].errors


def test_changing_the_case_of_the_login_does_not_buy_more_guesses(attacker, db, settings):
    bea = UserFactory(email="bea@example.com", full_name="Bea Brown")
    limit = settings.AXES_FAILURE_LIMIT
    assert guess(attacker, "bea@example.com", limit)[-1] == 429

    spellings = ["Bea@example.com", "BEA@example.com", " bea@EXAMPLE.com ", "bEa@example.com"]
    answers = [
        log_in(attacker, spelling, f"guess-{n}").status_code for n, spelling in enumerate(spellings)
    ]
    assert answers == [429] * len(spellings)

    assert log_in(attacker, "BEA@EXAMPLE.COM", PASSWORD).status_code == 429
    assert not is_logged_in(attacker)
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == [bea.email]


def test_failures_in_different_cases_add_up_to_one_lockout(attacker, db, settings):
    UserFactory(email="bea@example.com", full_name="Bea Brown")
    spellings = ["bea@example.com", "Bea@example.com", "BEA@example.com", "bea@Example.com"]
    cycle = (spellings * settings.AXES_FAILURE_LIMIT)[: settings.AXES_FAILURE_LIMIT]
    answers = [log_in(attacker, spelling, "wrong").status_code for spelling in cycle]
    assert answers[-1] == 429


def test_a_successful_log_in_in_another_case_clears_the_failures(attacker, db, settings):
    UserFactory(email="bea@example.com", full_name="Bea Brown")
    guess(attacker, "BEA@example.com", settings.AXES_FAILURE_LIMIT - 1)
    assert log_in(attacker, "Bea@Example.com", PASSWORD).status_code == 302
    assert AccessAttempt.objects.count() == 0
