from django.test import Client as Browser
from django.urls import reverse

from accounts.models import User
from crm.demo import DEMO_LOGINS, DEMO_PASSWORD, demo_seed
from crm.models import Client


def test_loading_the_demo_twice_duplicates_nothing(db):
    demo_seed()
    counts = (User.objects.count(), Client.objects.count())
    demo_seed()
    assert (User.objects.count(), Client.objects.count()) == counts


def test_every_demo_login_works(db):
    demo_seed()
    for login in DEMO_LOGINS:
        browser = Browser()
        response = browser.post(
            reverse("login"), {"username": login.email, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, login.email
