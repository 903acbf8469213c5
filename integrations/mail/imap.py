"""IMAP polling of one capture mailbox (imaplib): every unseen message is routed by the capture
addresses it was sent to, then flagged seen, so a message is read once even if capturing it
fails for a reason that retrying would not fix."""

from __future__ import annotations

import email.policy
import imaplib
import logging
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from urllib.parse import unquote, urlsplit

from integrations.mail.parse import normalise_address
from integrations.mail.receive import receive

logger = logging.getLogger(__name__)

# Headers that name the envelope recipient; Bcc copies only show up here.
ROUTING_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "To", "Cc")


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int
    user: str
    password: str
    folder: str
    ssl: bool

    @classmethod
    def from_url(cls, url: str) -> Mailbox:
        """``imap[s]://user:password@host[:port][/folder]``; ValueError names what is wrong."""
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps") or not parts.hostname or not parts.username:
            raise ValueError("MAIL_CAPTURE_IMAP_URL must look like imaps://user:pass@host/INBOX")
        ssl = parts.scheme == "imaps"
        return cls(
            host=parts.hostname,
            port=parts.port or (993 if ssl else 143),
            user=unquote(parts.username),
            password=unquote(parts.password or ""),
            folder=unquote(parts.path.lstrip("/")) or "INBOX",
            ssl=ssl,
        )


def recipients_of(raw: bytes) -> list[str]:
    headers = BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
    found = []
    for header in ROUTING_HEADERS:
        for _, address in getaddresses(headers.get_all(header, [])):
            if address:
                found.append(normalise_address(address))
    return found


def poll_mailbox(mailbox: Mailbox) -> dict[str, int]:
    """Capture every unseen message; returns counts of ``captured`` and ``rejected``."""
    counts = {"captured": 0, "rejected": 0}
    client_class = imaplib.IMAP4_SSL if mailbox.ssl else imaplib.IMAP4
    with client_class(mailbox.host, mailbox.port, timeout=30) as imap:
        imap.login(mailbox.user, mailbox.password)
        imap.select(mailbox.folder)
        _, data = imap.uid("SEARCH", None, "UNSEEN")
        for uid in data[0].split():
            _, parts = imap.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((p[1] for p in parts if isinstance(p, tuple)), b"")
            receipt = receive(raw=raw, recipients=recipients_of(raw), source="imap")
            counts["captured" if receipt.accepted else "rejected"] += 1
            imap.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    logger.info("IMAP poll of %s@%s: %s", mailbox.user, mailbox.host, counts)
    return counts
