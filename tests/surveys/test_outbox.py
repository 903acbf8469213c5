from datetime import timedelta
from smtplib import SMTPRecipientsRefused
from unittest import mock

from django.core.mail.backends.locmem import EmailBackend
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from surveys import tasks
from surveys.models import LINK_TOKEN_PLACEHOLDER, Invitation, OutboundEmail, hash_token
from surveys.services import invitation_send, outbound_email_bounce, outbound_email_send
from tests.surveys.helpers import score_link


def _send_nps(contact) -> Invitation:
    return invitation_send(contact=contact, kind="nps", trigger=Invitation.Trigger.MANUAL)


def _fail_once():
    """A mail backend that raises on its first call, then delivers like locmem."""
    real_send = EmailBackend.send_messages
    calls = {"n": 0}

    def send_messages(self, messages):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionRefusedError("mail server down")
        return real_send(self, messages)

    return mock.patch.object(EmailBackend, "send_messages", send_messages)


def test_the_outbox_row_is_written_with_the_invitation_and_sent_after_commit(
    contact, sent, mailoutbox
):
    with sent():
        invitation = _send_nps(contact)
        email = OutboundEmail.objects.get(invitation=invitation)
        assert email.status == OutboundEmail.Status.QUEUED
        assert mailoutbox == []
    email.refresh_from_db()
    invitation.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert invitation.status == Invitation.Status.DELIVERED
    assert invitation.delivered_at is not None
    assert len(mailoutbox) == 1


def test_only_the_tokens_hash_is_kept_once_the_email_is_sent(contact, sent, mailoutbox):
    with sent():
        invitation = _send_nps(contact)
    token = score_link(mailoutbox[0], 9).split("/")[2]
    assert len(token) >= 43  # 32 random bytes
    invitation.refresh_from_db()
    assert invitation.token_hash == hash_token(token)
    email = OutboundEmail.objects.get(invitation=invitation)
    assert email.link_token == ""
    assert token not in email.text_body + email.html_body + str(email.headers)
    assert LINK_TOKEN_PLACEHOLDER in email.text_body


def test_running_the_send_task_twice_sends_one_email(contact, celery_eager, mailoutbox):
    invitation = _send_nps(contact)
    email = OutboundEmail.objects.get(invitation=invitation)
    tasks.send_outbound_email.apply(args=[email.pk])
    tasks.send_outbound_email.apply(args=[email.pk])
    tasks.sweep_outbox.apply()
    assert len(mailoutbox) == 1


def test_a_worker_that_lost_the_race_for_an_email_does_not_send_it(contact, mailoutbox):
    invitation = _send_nps(contact)
    email = OutboundEmail.objects.get(invitation=invitation)
    # Another worker claims the row between our read and our claim.
    stale = OutboundEmail.objects.get(pk=email.pk)
    assert outbound_email_send(email_id=email.pk) is True
    OutboundEmail.objects.filter(pk=email.pk).update(status=stale.status)
    with mock.patch("surveys.services.OutboundEmail.objects.filter") as guarded:
        guarded.return_value.update.return_value = 0
        guarded.return_value.first.return_value = stale
        assert outbound_email_send(email_id=email.pk) is False
    assert len(mailoutbox) == 1


def test_a_send_that_fails_is_retried_with_back_off_and_then_succeeds(
    client, alice, alices_client, contact, celery_eager, mailoutbox
):
    invitation = _send_nps(contact)
    email = OutboundEmail.objects.get(invitation=invitation)
    with _fail_once():
        tasks.send_outbound_email.apply(args=[email.pk])
        email.refresh_from_db()
        assert email.status == OutboundEmail.Status.FAILED
        assert email.attempts == 1
        assert "mail server down" in email.last_error
        assert email.next_attempt_at > timezone.now() + timedelta(seconds=50)
        assert mailoutbox == []

        # The failure shows on the client page and in the admin list.
        client.force_login(alice)
        page = client.get(reverse("client_detail", args=[alices_client.pk])).content.decode()
        assert "Failed (will retry)" in page
        assert "mail server down" in page

        # Not due yet: the sweeper leaves it alone.
        tasks.sweep_outbox.apply()
        assert mailoutbox == []

        OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
        tasks.sweep_outbox.apply()
    email.refresh_from_db()
    invitation.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert email.attempts == 2
    assert invitation.status == Invitation.Status.DELIVERED
    assert len(mailoutbox) == 1


def test_after_the_last_attempt_the_email_is_dead_and_the_invitation_failed(
    contact, settings, mailoutbox
):
    settings.SURVEY_EMAIL_MAX_ATTEMPTS = 2
    invitation = _send_nps(contact)
    email = OutboundEmail.objects.get(invitation=invitation)
    with mock.patch.object(EmailBackend, "send_messages", side_effect=OSError("no route")):
        for _ in range(3):
            OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
            outbound_email_send(email_id=email.pk)
    email.refresh_from_db()
    invitation.refresh_from_db()
    assert email.status == OutboundEmail.Status.DEAD
    assert email.attempts == 2
    assert email.link_token == ""
    assert invitation.status == Invitation.Status.FAILED


def test_a_refused_address_bounces_at_once_without_retrying(contact, mailoutbox):
    invitation = _send_nps(contact)
    email = OutboundEmail.objects.get(invitation=invitation)
    refused = SMTPRecipientsRefused({contact.email: (550, b"No such user")})
    with mock.patch.object(EmailBackend, "send_messages", side_effect=refused):
        outbound_email_send(email_id=email.pk)
    email.refresh_from_db()
    invitation.refresh_from_db()
    assert email.status == OutboundEmail.Status.BOUNCED
    assert invitation.status == Invitation.Status.BOUNCED
    assert outbound_email_send(email_id=email.pk) is False


def test_a_bounce_reported_later_marks_the_invitation_bounced(contact, sent):
    with sent():
        invitation = _send_nps(contact)
    email = OutboundEmail.objects.get(invitation=invitation)
    outbound_email_bounce(email=email, reason="550 mailbox full")
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.BOUNCED


def test_an_email_whose_worker_died_mid_send_is_retried_after_its_lease(
    contact, celery_eager, mailoutbox
):
    invitation = _send_nps(contact)
    email = OutboundEmail.objects.get(invitation=invitation)
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=OutboundEmail.Status.SENDING, attempts=1, next_attempt_at=timezone.now()
    )
    tasks.sweep_outbox.apply()
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert len(mailoutbox) == 1


def test_an_email_being_sent_is_not_taken_by_a_second_worker(contact, celery_eager, mailoutbox):
    invitation = _send_nps(contact)
    email = OutboundEmail.objects.get(invitation=invitation)
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=OutboundEmail.Status.SENDING,
        attempts=1,
        next_attempt_at=timezone.now() + timedelta(minutes=5),
    )
    tasks.sweep_outbox.apply()
    assert outbound_email_send(email_id=email.pk) is False
    assert mailoutbox == []


def test_a_broker_outage_does_not_lose_the_email_the_sweeper_sends_it(
    contact, django_capture_on_commit_callbacks, celery_eager, mailoutbox
):
    with (
        mock.patch.object(
            tasks.send_outbound_email, "delay", side_effect=OperationalError("broker down")
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        invitation = _send_nps(contact)
    assert mailoutbox == []
    tasks.sweep_outbox.apply()
    assert len(mailoutbox) == 1
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.DELIVERED
