"""Inputs that used to end in a 500 with DEBUG=0: each gets a clear answer and saves nothing
it should not (issue 12, items 5 to 11)."""

import threading
from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.models import Client as CrmClient
from crm.models import ClientStatusChange, Contact, DealStage, FollowUp, RevenueLine
from surveys.models import OutboundEmail
from surveys.services import outbound_email_send
from tests.factories import ClientFactory, DealFactory, FollowUpFactory, SupportIssueFactory
from tests.markers import ROW_LOCKS
from tests.surveys.factories import InvitationFactory, ResponseFactory

pytestmark = pytest.mark.usefixtures("_production_errors")


@pytest.fixture
def _production_errors(settings):
    settings.DEBUG = False


@pytest.fixture
def web(alice):
    """Alice's browser against a production-mode site: a crash shows as a 500, not a raise."""
    browser = Client(raise_request_exception=False)
    browser.force_login(alice)
    return browser


# --- 5. A double click on "Move" --------------------------------------------------------------


@ROW_LOCKS
@pytest.mark.django_db(transaction=True)
def test_a_second_move_waiting_on_the_first_is_refused_cleanly_not_lost(reference_data, alice):
    deal = DealFactory(client=ClientFactory(owner=alice))
    proposal = DealStage.objects.get(name="Proposal")
    first_holds_lock, outcome = threading.Event(), {}

    def first_click():
        try:
            with transaction.atomic():
                services.deal_move(deal=deal, to_stage=proposal, by=alice)
                first_holds_lock.set()
                # Keep the row locked while the second click arrives and waits for it.
                threading.Event().wait(0.5)
        finally:
            connection.close()

    thread = threading.Thread(target=first_click)
    thread.start()
    first_holds_lock.wait(5)
    try:
        services.deal_move(deal=deal, to_stage=proposal, by=alice)
    except Exception as error:
        outcome["error"] = error
    thread.join()

    assert type(outcome["error"]).__name__ == "ValidationError"
    assert "already in Proposal" in str(outcome["error"])
    deal.refresh_from_db()
    assert deal.stage == proposal
    assert deal.stage_changes.filter(to_stage=proposal).count() == 1


# --- 6. next= that is not a path of this site ------------------------------------------------


def _endpoints(alices_client):
    unhappy = ResponseFactory(
        invitation=InvitationFactory(contact__client=alices_client),
        score=2,
    )
    unhappy.follow_up = FollowUpFactory(client=alices_client)
    unhappy.save()
    return [
        (reverse("follow_up_done", args=[FollowUpFactory(client=alices_client).pk]), {}),
        (
            reverse("deal_move", args=[DealFactory(client=alices_client).pk]),
            {"to_stage": DealStage.objects.get(name="Proposal").pk},
        ),
        (reverse("issue_resolve", args=[SupportIssueFactory(client=alices_client).pk]), {}),
        (reverse("survey_close_loop", args=[unhappy.pk]), {"outcome": "Called her"}),
    ]


@pytest.mark.parametrize(
    "target", ["x", "today", "//evil.example/", "https://evil.example/", "/ok\r\nSet-Cookie: a=b"]
)
def test_a_next_that_is_not_a_path_of_this_site_falls_back_after_the_write(
    web, alices_client, target
):
    for url, data in _endpoints(alices_client):
        response = web.post(url, {**data, "next": target})
        assert response.status_code == 302, url
        assert response["Location"].startswith("/"), url
        assert not response["Location"].startswith("//"), url


def test_a_next_on_this_site_is_followed(web, alices_client):
    follow_up = FollowUpFactory(client=alices_client)
    response = web.post(
        reverse("follow_up_done", args=[follow_up.pk]), {"next": "/clients/?sort=name"}
    )
    assert response["Location"] == "/clients/?sort=name"


# --- 7. NUL and control characters -----------------------------------------------------------


def test_a_nul_byte_in_a_done_outcome_is_refused_with_a_message_and_nothing_saved(
    web, alices_client
):
    follow_up = FollowUpFactory(client=alices_client)
    response = web.post(
        reverse("follow_up_done", args=[follow_up.pk]), {"outcome": "called\x00"}, follow=True
    )
    assert response.status_code == 200
    assert "cannot contain a NUL byte" in response.content.decode()
    follow_up.refresh_from_db()
    assert follow_up.done_at is None


def test_control_characters_are_refused_in_every_text_field_of_the_quick_log(web, alices_client):
    for field, value in [("topic", "Renewal\x1b[31m"), ("summary", "fine\x00"), ("topic", "a\nb")]:
        response = web.post(
            reverse("interaction_log"),
            {"client": alices_client.pk, "kind": "call", "topic": "Call", field: value},
        )
        assert response.status_code == 422, field
        assert "cannot contain" in response.content.decode()
    assert not alices_client.interactions.exists()


def test_a_summary_keeps_its_line_breaks(web, alices_client):
    response = web.post(
        reverse("interaction_log"),
        {"client": alices_client.pk, "kind": "call", "summary": "Line one\r\nLine two\tend"},
    )
    assert response.status_code == 302
    assert alices_client.interactions.get().summary == "Line one\r\nLine two\tend"


# --- 8. Periods far outside the calendar -----------------------------------------------------


@pytest.mark.parametrize("period", ["9999", "9999-12", "9999-Q4", "0001-01", "0000", "1899-12"])
def test_a_scorecard_or_drilldown_for_a_period_out_of_bounds_says_so(web, alice, period):
    urls = [
        reverse("scorecard", args=["brm", alice.pk]),
        reverse("kpi_records", args=["brm", alice.pk, "nps"]),
    ]
    for url in urls:
        for grain in ("month", "quarter", "year"):
            response = web.get(url, {"period": period, "grain": grain})
            assert response.status_code == 200, (url, grain)
            assert "outside the years 1900–2999" in response.context["period_error"]


# --- 9. A body in another charset ------------------------------------------------------------


@pytest.mark.parametrize("charset", ["latin-1", "utf-16", "utf-32"])
def test_a_form_posted_in_another_charset_gets_a_400_page(db, charset):
    browser = Client(raise_request_exception=False, enforce_csrf_checks=True)
    browser.get(reverse("login"))
    token = browser.cookies["csrftoken"].value
    body = f"csrfmiddlewaretoken={token}&username=zoë@example.com&password=x".encode(charset)
    response = browser.generic(
        "POST",
        reverse("login"),
        body,
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
    )
    assert response.status_code == 400
    assert "could not be read" in response.content.decode()


# --- 10. Names with line breaks, and e-mail headers ------------------------------------------


def test_a_contact_name_with_a_line_break_is_refused_on_the_page(web, alices_client):
    response = web.post(
        reverse("client_contact_add", args=[alices_client.pk]),
        {"contact-name": "Dana\nBcc: everyone@example.com"},
    )
    assert response.status_code == 422
    assert "cannot contain a line break" in response.content.decode()
    assert not Contact.objects.exists()


def test_a_client_name_with_a_line_break_is_refused_by_the_service(alice):
    with pytest.raises(Exception, match="line break"):
        services.client_create(
            name="Acme\r\nLogistics",
            relationship_type="strategic",
            relationship_started_on=date(2024, 1, 1),
            owner=alice,
        )
    assert not CrmClient.objects.exists()


def test_an_alert_naming_a_client_with_a_line_break_is_still_delivered(db, mailoutbox):
    # A row written before names were checked: the header is made safe when it is sent.
    email = OutboundEmail.objects.create(
        purpose=OutboundEmail.Purpose.ALERT,
        to="alice@example.com",
        subject="Unhappy answer from Acme\nLogistics: NPS 2",
        text_body="Call them.",
        headers={"X-Client": "Acme\r\nBcc: everyone@example.com"},
    )
    assert outbound_email_send(email_id=email.pk)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert mailoutbox[0].subject == "Unhappy answer from Acme Logistics: NPS 2"
    assert mailoutbox[0].extra_headers["X-Client"] == "Acme Bcc: everyone@example.com"
    assert mailoutbox[0].bcc == []


# --- 11. Dates the importer would refuse -----------------------------------------------------


@pytest.mark.parametrize(
    ("url_name", "data"),
    [
        ("client_follow_up_add", {"follow_up-title": "Call", "follow_up-due_on": "0001-01-01"}),
        ("client_follow_up_add", {"follow_up-title": "Call", "follow_up-due_on": "9999-12-31"}),
        (
            "client_revenue_record",
            {
                "revenue-product_name": "Support",
                "revenue-recognised_on": "0001-01-01",
                "revenue-amount": "10",
                "revenue-cost_to_serve": "0",
            },
        ),
        ("client_churn", {"churn-on": "0001-01-01", "churn-reason": "Gone"}),
    ],
)
def test_web_forms_refuse_dates_outside_the_import_bounds(web, alices_client, url_name, data):
    response = web.post(reverse(url_name, args=[alices_client.pk]), data)
    assert response.status_code == 422
    assert "between the years 1900 and 2999" in response.content.decode()
    assert not FollowUp.objects.exists()
    assert not RevenueLine.objects.exists()


def test_a_churn_dated_in_the_future_is_refused(web, alices_client):
    ahead = (timezone.localdate() + timedelta(days=400)).isoformat()
    response = web.post(
        reverse("client_churn", args=[alices_client.pk]), {"churn-on": ahead, "churn-reason": "x"}
    )
    assert response.status_code == 422
    assert "cannot be dated in the future" in response.content.decode()
    assert not ClientStatusChange.objects.filter(status="churned").exists()
    alices_client.refresh_from_db()
    assert alices_client.status == "active"


@override_settings(DEBUG=False)
def test_a_quick_log_date_time_in_year_one_is_refused(web, alices_client):
    response = web.post(
        reverse("interaction_log"),
        {
            "client": alices_client.pk,
            "kind": "call",
            "topic": "Call",
            "occurred_at": "0001-01-01T00:00",
        },
    )
    assert response.status_code == 422
    assert not alices_client.interactions.exists()


def test_a_nul_byte_in_the_contact_search_searches_for_nothing(web, alices_client):
    response = web.get(reverse("contact_list"), {"q": "Dana\x00"})
    assert response.status_code == 200
