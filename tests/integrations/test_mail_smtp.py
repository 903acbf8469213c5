"""E-mail capture through the real SMTP receiver (aiosmtpd on 127.0.0.1), end to end: a BRM
copies an e-mail to their capture address, the client answers, and the reply is counted."""

import smtplib
import socket

import pytest
from django.urls import reverse

from crm.models import Interaction
from integrations.mail.capture import capture_address_for
from integrations.mail.smtp import capture_server
from metrics.periods import Period
from tests.factories import ClientFactory, ContactFactory
from tests.integrations.mail import message
from tests.metrics.conftest import KPIValues


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(transactional_db):
    server = capture_server("127.0.0.1", free_port())
    server.start()
    yield server
    server.stop()


def send(server, mail, recipients) -> None:
    with smtplib.SMTP(server.hostname, server.port, timeout=10) as smtp:
        smtp.send_message(mail, to_addrs=recipients)


def test_a_copied_email_lands_on_the_clients_timeline_and_its_reply_moves_reply_conversion(
    smtp_server, client, alice
):
    acme = ClientFactory(name="Acme Logistics", owner=alice)
    dana = ContactFactory(client=acme, name="Dana Diaz", email="Dana.Diaz@Acme.example")
    capture = capture_address_for(alice).address
    outbound = message(
        sender="Alice <alice@example.com>",
        to=["dana.diaz@acme.example"],
        subject="Renewal terms for 2027",
    )

    send(smtp_server, outbound, ["dana.diaz@acme.example", capture])

    sent = Interaction.objects.get()
    period = Period.containing("month", sent.occurred_at.date())
    before = KPIValues(period)[alice, "reply_conversion_rate"]
    client.force_login(alice)
    timeline = client.get(reverse("client_detail", args=[acme.pk])).content.decode()
    reply = message(
        sender="Dana Diaz <dana.diaz@acme.example>",
        to=["alice@example.com"],
        subject="Re: Renewal terms for 2027",
        body="Yes, let's sign.\n> quoted",
        in_reply_to=outbound["Message-ID"],
    )

    send(smtp_server, reply, [capture])

    answer = Interaction.objects.exclude(pk=sent.pk).get()
    after = KPIValues(period)[alice, "reply_conversion_rate"]
    assert (sent.client, sent.direction, sent.owner, sent.kind) == (
        acme,
        "outbound",
        alice,
        "email",
    )
    assert list(sent.contacts.all()) == [dana]
    assert "Renewal terms for 2027" in timeline
    assert answer.in_reply_to == sent and answer.direction == "inbound"
    assert answer.topic == "Renewal terms for 2027"
    assert answer.summary == "Yes, let's sign."
    assert (before, after) == (0.0, 100.0)


def test_the_receiver_refuses_unknown_addresses_and_malformed_mail_without_stopping(
    smtp_server, alice
):
    capture = capture_address_for(alice).address
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(
            smtp_server,
            message(sender="x@y.example", to=["a@b.example"]),
            ["nobody@capture.localhost"],
        )
    with (
        smtplib.SMTP(smtp_server.hostname, smtp_server.port, timeout=10) as smtp,
        pytest.raises(smtplib.SMTPDataError) as refused,
    ):
        smtp.sendmail("x@y.example", [capture], b"this is not an e-mail at all")
    assert refused.value.smtp_code == 550

    send(smtp_server, message(sender="alice@example.com", to=["nobody@else.example"]), [capture])

    assert alice.captured_emails.get().status == "review"
