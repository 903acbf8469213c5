"""E-mail capture by IMAP polling against a real Dovecot server on 127.0.0.1 (private
configuration under a temporary folder; ``.ci/run`` installs Dovecot and requires this test)."""

import imaplib
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from crm.models import Interaction
from integrations.mail.capture import capture_address_for
from integrations.mail.tasks import poll_imap
from tests.factories import ClientFactory, ContactFactory
from tests.integrations.dovecot import Dovecot, dovecot_binary
from tests.integrations.mail import message

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox():
    if dovecot_binary() is None:
        if os.environ.get("REQUIRE_DOVECOT") == "1":
            pytest.fail("Dovecot is required (apt-get install dovecot-imapd)")
        pytest.skip("Dovecot is not installed")
    # Not pytest's tmp_path: its parent folders are private to us, and Dovecot's own processes
    # run as the "dovecot" user, which must read its configuration and users file.
    root = Path(tempfile.mkdtemp(prefix="dovecot-"))
    server = Dovecot(root, "capture", "capture-pass-1")
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


def deliver(server, raw: bytes, to: str) -> None:
    """Place a message in the catch-all mailbox as the mail server would, with the envelope
    recipient in Delivered-To."""
    with imaplib.IMAP4("127.0.0.1", server.port) as imap:
        imap.login(server.user, server.password)
        imap.append(
            "INBOX",
            "",
            imaplib.Time2Internaldate(time.time()),
            f"Delivered-To: {to}\r\n".encode() + raw,
        )


def test_mail_in_the_imap_mailbox_is_captured_once_and_bad_mail_is_set_aside(
    mailbox, settings, alice
):
    settings.MAIL_CAPTURE_IMAP_URL = mailbox.url
    acme = ClientFactory(name="Acme Logistics", owner=alice)
    ContactFactory(client=acme, email="dana@acme.example")
    capture = capture_address_for(alice).address
    mail = message(sender="dana@acme.example", to=["alice@example.com"], subject="Invoice query")
    deliver(mailbox, mail.as_bytes(), capture)
    deliver(mailbox, b"From: dana@acme.example\r\nSubject: no id\r\n\r\nbody\r\n", capture)

    first = poll_imap()
    again = poll_imap()

    logged = Interaction.objects.get()
    assert first == {"captured": 1, "rejected": 1}
    assert again == {"captured": 0, "rejected": 0}
    assert (logged.client, logged.direction, logged.topic) == (acme, "inbound", "Invoice query")
