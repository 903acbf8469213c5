"""One person is one address: opt-out, bounces, throttle and cycle follow the normalised e-mail
address, and a queued e-mail is checked again each time it is about to go out."""

from smtplib import SMTPRecipientsRefused
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.mail.backends.locmem import EmailBackend
from django.test import Client
from django.urls import reverse

from crm.admin import EmailSuppressionForm
from crm.models import EmailSuppression
from crm.services import client_churn, contact_opt_out
from surveys import tasks
from surveys.models import Invitation, OutboundEmail, Response
from surveys.selectors import client_survey_panel, survey_results
from surveys.services import (
    invitation_send,
    outbound_email_bounce,
    outbound_email_send,
    survey_exclusion_create,
)
from tests.factories import ClientFactory, ContactFactory
from tests.surveys.factories import InvitationFactory


def _send(contact, kind="nps"):
    return invitation_send(contact=contact, kind=kind, trigger=Invitation.Trigger.MANUAL)


def _queued_invitation(contact) -> OutboundEmail:
    invitation = _send(contact)
    return OutboundEmail.objects.get(invitation=invitation)


def test_one_relationship_nps_run_sends_one_email_to_one_address_spelled_three_ways(
    alices_client, alice, celery_eager, mailoutbox
):
    ContactFactory(client=alices_client, name="Dana Reyes", email="dana.reyes@acme.example")
    ContactFactory(client=alices_client, name="D. Reyes", email="Dana.Reyes@Acme.example")
    other_client = ClientFactory(name="Acme Freight", owner=alice)
    ContactFactory(client=other_client, name="Dana R.", email="DANA.REYES@ACME.EXAMPLE")

    tasks.send_relationship_nps.apply()
    tasks.sweep_outbox.apply()

    assert [mail.to for mail in mailoutbox] == [["dana.reyes@acme.example"]]
    assert Invitation.objects.count() == 1


def test_the_throttle_counts_the_address_not_the_contact(alices_client, contact):
    twin = ContactFactory(client=alices_client, name="Dana D.", email=" DANA@acme.example")
    _send(contact)
    with pytest.raises(ValidationError, match="was sent a survey in the last 30 days"):
        _send(twin, kind="ces")


def test_opting_out_through_the_link_suppresses_the_address_for_every_contact_carrying_it(
    alices_client, contact
):
    invitation = InvitationFactory(contact=contact)
    Client().post(reverse("survey_unsubscribe", args=[invitation.token]))
    listed = EmailSuppression.objects.get()
    assert (listed.address, listed.reason) == ("dana@acme.example", "opted_out")

    other_client = ClientFactory(name="Other Co", owner=alices_client.owner)
    same_person = ContactFactory(client=other_client, name="Dana", email="Dana@ACME.example")
    with pytest.raises(ValidationError, match="opted out of surveys"):
        _send(same_person)


def test_the_suppression_survives_deleting_and_recreating_the_contact(alices_client, contact):
    contact_opt_out(contact=contact)
    contact.delete()
    again = ContactFactory(client=alices_client, name="Dana Diaz", email="DANA@acme.example")
    with pytest.raises(ValidationError, match="opted out of surveys"):
        _send(again)
    assert EmailSuppression.objects.filter(address="dana@acme.example").exists()


def test_an_address_the_mail_server_refused_is_never_surveyed_again(alices_client, contact):
    email = _queued_invitation(contact)
    refused = SMTPRecipientsRefused({"dana@acme.example": (550, b"No such user")})
    with mock.patch.object(EmailBackend, "send_messages", side_effect=refused):
        outbound_email_send(email_id=email.pk)
    assert EmailSuppression.objects.get().reason == EmailSuppression.Reason.BOUNCED

    twin = ContactFactory(client=alices_client, name="Dana 2", email="Dana@Acme.Example")
    with pytest.raises(ValidationError, match="bounced"):
        _send(twin)


def test_a_bounce_reported_later_suppresses_the_address(contact, mailoutbox):
    email = _queued_invitation(contact)
    outbound_email_send(email_id=email.pk)
    outbound_email_bounce(email=OutboundEmail.objects.get(pk=email.pk), reason="550 mailbox full")
    assert EmailSuppression.objects.get().detail == "550 mailbox full"


def test_an_admin_records_a_complaint_under_the_normalised_address(db):
    form = EmailSuppressionForm(
        {"address": "  Spam.Reporter@Example.com ", "reason": "complained", "detail": "ISP FBL"}
    )
    assert form.is_valid(), form.errors
    assert form.save().address == "spam.reporter@example.com"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda contact, brm: contact_opt_out(contact=contact), "opted out of surveys"),
        (
            lambda contact, brm: survey_exclusion_create(
                contact=contact, by=brm, reason="In a contract dispute"
            ),
            "is excluded from surveys",
        ),
        (
            lambda contact, brm: client_churn(client=contact.client, reason="Left"),
            "belongs to a churned client",
        ),
    ],
    ids=["opted-out", "excluded", "churned"],
)
def test_a_queued_invitation_is_not_sent_after_the_contact_became_ineligible(
    contact, alice, mailoutbox, change, reason
):
    email = _queued_invitation(contact)
    change(contact, alice)

    assert outbound_email_send(email_id=email.pk) is False

    email.refresh_from_db()
    invitation = email.invitation
    invitation.refresh_from_db()
    assert mailoutbox == []
    assert email.status == OutboundEmail.Status.SUPPRESSED
    assert reason in email.last_error
    assert invitation.status == Invitation.Status.SUPPRESSED
    assert invitation.delivered_at is None
    results = survey_results(responses=Response.objects.all(), invitations=Invitation.objects.all())
    assert results.response_rate.delivered == 0


def test_a_retry_checks_again_after_a_failed_attempt(contact, mailoutbox):
    email = _queued_invitation(contact)
    with mock.patch.object(EmailBackend, "send_messages", side_effect=ConnectionRefusedError):
        outbound_email_send(email_id=email.pk)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED

    # Another contact of the same person opts out while the e-mail waits for its retry.
    twin = ContactFactory(client=contact.client, name="Dana D.", email="DANA@ACME.EXAMPLE")
    contact_opt_out(contact=twin)
    OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=email.created_at)
    outbound_email_send(email_id=email.pk)

    email.refresh_from_db()
    assert mailoutbox == []
    assert email.status == OutboundEmail.Status.SUPPRESSED
    assert "suppressed" in email.last_error


def test_a_suppressed_invitation_shows_on_the_client_panel_with_its_reason(contact, alice):
    email = _queued_invitation(contact)
    survey_exclusion_create(contact=contact, by=alice, reason="Asked not to be contacted")
    outbound_email_send(email_id=email.pk)
    panel = client_survey_panel(client=contact.client)
    assert [(e.status, e.last_error) for e in panel.problem_emails] == [
        ("suppressed", "Dana Diaz is excluded from surveys")
    ]


def test_a_reminder_is_not_sent_once_the_address_is_suppressed(contact, mailoutbox):
    email = _queued_invitation(contact)
    outbound_email_send(email_id=email.pk)
    assert len(mailoutbox) == 1
    invitation = Invitation.objects.get()
    reminder = OutboundEmail.objects.create(
        purpose=OutboundEmail.Purpose.REMINDER,
        invitation=invitation,
        to="dana@acme.example",
        subject="Reminder",
        text_body="-",
    )
    EmailSuppression.objects.create(address="dana@acme.example", reason="complained")
    outbound_email_send(email_id=reminder.pk)
    reminder.refresh_from_db()
    invitation.refresh_from_db()
    assert len(mailoutbox) == 1
    assert reminder.status == OutboundEmail.Status.SUPPRESSED
    # The invitation itself was delivered before; the suppressed reminder does not undo that.
    assert invitation.status == Invitation.Status.DELIVERED
