"""E-mail capture's rules, through the raw-MIME API endpoint and the review list: matching,
threading, duplicates, unmatched and malformed mail, crediting."""

import logging
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.models import Interaction
from integrations.mail.parse import parse_mail
from integrations.models import CapturedEmail
from tests.factories import ClientFactory, ContactFactory
from tests.integrations.mail import message

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(alice):
    acme = ClientFactory(name="Acme Logistics", owner=alice)
    ContactFactory(client=acme, name="Dana Diaz", email="dana@acme.example")
    return acme


def post(api_client, mail):
    raw = mail if isinstance(mail, bytes) else mail.as_bytes()
    return api_client.post("/api/v1/mail/", raw, content_type="message/rfc822")


def test_a_posted_email_is_logged_once_however_often_it_arrives(api, alice, acme):
    caller = api(alice)
    mail = message(sender="alice@example.com", to=["Dana <DANA@acme.example>"], subject="Deck")

    first, again = post(caller, mail), post(caller, mail)

    assert first.status_code == 201 and first.json()["client"] == acme.pk
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert Interaction.objects.get().topic == "Deck"


def test_mail_that_matches_no_contact_waits_for_review_and_never_lands_in_another_book(
    api, client, alice, carol, acme
):
    carols = ClientFactory(owner=carol)
    ContactFactory(client=carols, email="sam@globex.example")
    mail = message(sender="alice@example.com", to=["sam@globex.example"], subject="Intro")

    result = post(api(alice), mail).json()
    client.force_login(alice)
    page = client.get(reverse("integrations:settings")).content.decode()

    assert result["status"] == "review" and result["client"] is None
    assert not Interaction.objects.exists()
    assert "Intro" in page and "No contact in your book" in page
    captured = CapturedEmail.objects.get()
    client.post(
        reverse("integrations:captured_email_review", args=[captured.pk]), {"client": carols.pk}
    )
    assert not Interaction.objects.exists(), "a client of another book cannot be chosen"
    client.post(
        reverse("integrations:captured_email_review", args=[captured.pk]), {"client": acme.pk}
    )
    assert Interaction.objects.get().client == acme


def test_someone_elses_review_item_cannot_be_touched(api, client, alice, bob, acme):
    post(api(alice), message(sender="alice@example.com", to=["x@nowhere.example"]))
    captured = CapturedEmail.objects.get()
    client.force_login(bob)
    response = client.post(
        reverse("integrations:captured_email_review", args=[captured.pk]), {"dismiss": "1"}
    )
    captured.refresh_from_db()
    assert response.status_code == 404 and captured.status == "review"


def test_malformed_mail_is_rejected_with_a_400_and_logged(api, alice, caplog):
    caller = api(alice)
    with caplog.at_level(logging.WARNING):
        answers = [
            post(caller, b""),
            post(caller, b"\x00\xff garbage without headers"),
            post(caller, b"From: alice@example.com\r\nSubject: no id\r\n\r\nbody"),
        ]

    assert [a.status_code for a in answers] == [400, 400, 400]
    assert "Message-ID" in answers[2].json()["detail"]
    assert "Malformed mail" in caplog.text
    assert not CapturedEmail.objects.exists()


def test_an_email_is_credited_to_whoever_owned_the_client_when_it_was_sent(api, alice, bob, acme):
    services.client_reassign(client=acme, new_owner=bob, at=timezone.now() - timedelta(days=2))
    acme.contacts.create(name="Eli", email="eli@acme.example")
    old = message(
        sender="eli@acme.example",
        to=["bob@example.com"],
        sent_at=timezone.now() - timedelta(days=5),
    )

    result = post(api(bob), old).json()

    interaction = Interaction.objects.get(pk=result["interaction"])
    assert (interaction.owner, interaction.logged_by, interaction.direction) == (
        alice,
        bob,
        "inbound",
    )


def test_a_reply_from_a_colleague_of_the_contact_still_threads_to_the_message(api, alice, acme):
    caller = api(alice)
    sent = message(sender="alice@example.com", to=["dana@acme.example"], subject="Pricing")
    post(caller, sent)
    reply = message(
        sender="finance@acme-group.example",
        to=["alice@example.com"],
        subject="RE: Pricing",
        in_reply_to=sent["Message-ID"],
    )

    result = post(caller, reply).json()

    answer = Interaction.objects.get(pk=result["interaction"])
    assert answer.in_reply_to.topic == "Pricing" and answer.client == acme


def test_the_snippet_is_plain_text_and_attachments_are_not_kept(api, alice, acme):
    mail = message(
        sender="dana@acme.example",
        to=["alice@example.com"],
        html="<p>Hello <b>Alice</b>,</p><p>see the contract.</p>",
        attachment=b"%PDF-1.4 " + b"x" * 5000,
    )
    post(api(alice), mail)

    captured = CapturedEmail.objects.get()
    assert captured.snippet == "Hello Alice, see the contract."
    assert "PDF" not in captured.snippet


def test_a_read_only_token_cannot_post_mail(api, alice, acme):
    response = post(
        api(alice, "read"), message(sender="alice@example.com", to=["dana@acme.example"])
    )
    assert response.status_code == 403 and not CapturedEmail.objects.exists()


def test_addresses_and_message_ids_are_normalised():
    parsed = parse_mail(
        b'From: "Dana" <Dana@ACME.example>\r\nTo: a@b.example, "C" <C@D.example>\r\n'
        b"Message-ID: <abc@mail>\r\nIn-Reply-To: <x@y>\r\nReferences: <w@y> <x@y>\r\n"
        b"Subject: Re:  Hi\r\n\r\nbody\r\n"
    )
    assert parsed.from_address == "dana@acme.example"
    assert parsed.to_addresses == ["a@b.example", "c@d.example"]
    assert (parsed.message_id, parsed.thread_ids) == ("abc@mail", ["x@y", "w@y"])


def _raw(*, subject: bytes, body: bytes, message_id: bytes = b"<nul-1@example.com>") -> bytes:
    return (
        b"From: alice@example.com\r\nTo: Dana <dana@acme.example>\r\nSubject: " + subject + b"\r\n"
        b"Message-ID: " + message_id + b"\r\nDate: Mon, 30 Nov 2026 10:00:00 +0000\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + b"\r\n"
    )


def test_control_characters_in_a_captured_email_are_dropped_not_a_500(api, alice, acme):
    response = post(api(alice), _raw(subject=b"Re\x00new\x07al", body=b"Hello\x00 there\x1b"))

    assert response.status_code == 201
    logged = CapturedEmail.objects.get()
    assert (logged.subject, logged.snippet) == ("Re new al", "Hello there")
    assert Interaction.objects.get().topic == "Re new al"


def test_a_message_id_with_a_nul_is_refused_with_a_400(api, alice, acme):
    response = post(api(alice), _raw(subject=b"Deck", body=b"Hi", message_id=b"<a\x00b@x.example>"))

    assert response.status_code == 400
    assert not CapturedEmail.objects.exists()
