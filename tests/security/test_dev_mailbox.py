"""The dev mailbox (development only) holds password-reset links: each user reads only the mail
addressed to them, an administrator all of it (issue 12, item 4)."""

import pytest
from django.core.mail import send_mail
from django.urls import reverse

from surveys.models import DevMail

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(settings, carol, admin_user):
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "surveys.mailbox.DevMailboxBackend"
    send_mail("Reset your password", "https://crm/reset/SECRET", None, [admin_user.email])
    send_mail("Your survey", "Hello Carol", None, ["someone@example.com", carol.email])
    return {mail.subject: mail for mail in DevMail.objects.all()}


def test_a_brm_sees_only_mail_addressed_to_them(client, carol, mailbox):
    client.force_login(carol)
    page = client.get(reverse("dev_mailbox")).content.decode()
    assert "Your survey" in page
    assert "Reset your password" not in page


def test_a_brm_cannot_open_someone_elses_password_reset_mail(client, carol, mailbox):
    client.force_login(carol)
    reset = mailbox["Reset your password"]
    response = client.get(reverse("dev_mail_detail", args=[reset.pk]))
    assert response.status_code == 404
    assert "SECRET" not in response.content.decode()
    assert (
        client.get(reverse("dev_mail_detail", args=[mailbox["Your survey"].pk])).status_code == 200
    )


def test_an_admin_sees_every_mail(client, admin_user, mailbox):
    client.force_login(admin_user)
    page = client.get(reverse("dev_mailbox")).content.decode()
    assert "Your survey" in page and "Reset your password" in page


def test_the_mailbox_does_not_exist_in_production(client, admin_user, mailbox, settings):
    settings.DEBUG = False
    client.force_login(admin_user)
    assert client.get(reverse("dev_mailbox")).status_code == 404
