"""Redis stopped, PostgreSQL connections dropped: people keep working, and queued work goes out
once the service is back."""

import pytest

from crm.models import Contact
from surveys.models import DevMail, OutboundEmail, Response
from tests.factories import PASSWORD, ClientFactory, ContactFactory, UserFactory
from tests.faults.browser_session import HttpSession
from tests.faults.processes import cut_other_connections, wait_until

pytestmark = pytest.mark.faults


def test_with_redis_down_pages_and_survey_answers_work_and_queued_mail_goes_out_later(
    redis_server, web_server, start_worker, broker
):
    brm = UserFactory(email="bea@example.com")
    client = ClientFactory(owner=brm, name="Acme Logistics")
    contact = ContactFactory(client=client, email="ceo@acme.example")

    redis_server.stop()

    bea = HttpSession(web_server.url)
    assert bea.log_in(brm.email, PASSWORD).status == 200
    assert bea.get("/").status == 200
    assert "Acme Logistics" in bea.get(f"/clients/{client.pk}/").text
    sent = bea.post(f"/surveys/clients/{client.pk}/send/", {"contact": contact.pk, "kind": "nps"})
    assert sent.status == 200, "sending a survey must not fail because the broker is down"
    email = OutboundEmail.objects.get(to=contact.email)
    assert email.status == OutboundEmail.Status.QUEUED

    # The client answers (a link from a reminder, say) while Redis is still down.
    visitor = HttpSession(web_server.url)
    assert visitor.get(f"/s/{email.link_token}/?score=9").status == 200
    answered = visitor.post(f"/s/{email.link_token}/", {"score": 9, "comment": "Great"})
    assert answered.status == 200 and "/thanks/" in answered.url
    assert Response.objects.get(client=client).score == 9

    redis_server.start()
    start_worker()
    broker.send_task("surveys.tasks.sweep_outbox")  # beat does this every minute
    wait_until(
        lambda: DevMail.objects.filter(to=contact.email).exists(), timeout=60, what="the e-mail"
    )
    assert DevMail.objects.filter(to=contact.email).count() == 1


def test_the_app_reconnects_after_postgresql_drops_its_connections(web_server):
    brm = UserFactory(email="bea@example.com")
    ClientFactory(owner=brm, name="Acme Logistics")
    bea = HttpSession(web_server.url)
    assert bea.log_in(brm.email, PASSWORD).status == 200
    assert "Acme Logistics" in bea.get("/clients/").text

    # What a PostgreSQL restart does to the app: every open connection is cut.
    assert cut_other_connections() >= 1

    # The first request after the cut may fail; the app must recover by itself right after.
    bea.get("/clients/")
    page = wait_until(
        lambda: (p := bea.get("/clients/")).status == 200 and p, timeout=20, what="recovery"
    )
    assert "Acme Logistics" in page.text
    assert Contact.objects.count() == 0
