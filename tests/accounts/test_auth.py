import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD


def test_a_user_logs_in_with_their_email_address(client, alice):
    response = client.post(
        reverse("login"), {"username": "ALICE@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).context["user"] == alice


def test_a_wrong_password_shows_an_error_and_does_not_log_in(client, alice):
    response = client.post(reverse("login"), {"username": alice.email, "password": "nope"})
    assert response.status_code == 200
    assert "correct e-mail and password" in response.content.decode().replace("email", "e-mail")
    assert not response.context["user"].is_authenticated


def test_repeated_failed_logins_lock_the_account_even_for_the_right_password(
    client, alice, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": alice.email, "password": "guess"})
    response = client.post(reverse("login"), {"username": alice.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed log-ins" in response.content.decode()
    assert not client.get(reverse("home")).wsgi_request.user.is_authenticated


def test_logout_needs_a_post_and_ends_the_session(client, alice):
    client.force_login(alice)
    assert client.get(reverse("logout")).status_code == 405
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_password_reset_mails_a_link_that_sets_a_new_password(client, alice, reset_mail_sent):
    with reset_mail_sent():
        client.post(reverse("password_reset"), {"email": alice.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-brand-new-secret-42", "new_password2": "a-brand-new-secret-42"},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("a-brand-new-secret-42")


@pytest.mark.parametrize("role_fixture", ["alice", "maria", "admin_user"])
def test_only_admins_get_into_the_django_admin(client, request, role_fixture):
    user = request.getfixturevalue(role_fixture)
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert (response.status_code == 200) is user.is_admin
