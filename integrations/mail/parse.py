"""Raw e-mail to the facts the book needs, with the standard library's ``email`` package.

Addresses are normalised (lower-case, display names dropped); the Message-ID and threading
headers are kept without angle brackets; the body becomes a short plain-text snippet.
Attachments are never read beyond their headers. Whatever the sender wrote, nothing kept holds a
control character (PostgreSQL refuses NUL; the book's text rules refuse the rest): the subject
and snippet lose them, an address or a Message-ID with one is not an address or an id.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime

from django.conf import settings
from django.utils import timezone
from django.utils.html import strip_tags

from crm.input_rules import header_safe

MESSAGE_ID = re.compile(r"<([^<>\s\x00-\x1f\x7f]+)>")
BLOCK_END = re.compile(r"<(br|/p|/div|/li|/tr|/h[1-6])\b[^>]*>", re.IGNORECASE)


class MalformedMail(ValueError):
    """The bytes are not an e-mail we can log: no sender, no Message-ID, or unreadable."""


@dataclass(frozen=True)
class ParsedMail:
    message_id: str
    from_address: str
    to_addresses: list[str]
    cc_addresses: list[str]
    subject: str
    sent_at: datetime
    snippet: str
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)

    @property
    def recipients(self) -> list[str]:
        return [*self.to_addresses, *self.cc_addresses]

    @property
    def thread_ids(self) -> list[str]:
        """The messages this one answers, closest first."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        return ids + [ref for ref in reversed(self.references) if ref not in ids]


def normalise_address(address: str) -> str:
    return address.strip().lower()


def _addresses(message: EmailMessage, header: str) -> list[str]:
    values = [str(value) for value in message.get_all(header, [])]
    found = []
    for _, address in getaddresses(values):
        address = normalise_address(address)
        if "@" in address and address.isprintable() and address not in found:
            found.append(address)
    return found


def _ids(value: str | None) -> list[str]:
    return MESSAGE_ID.findall(value or "")


def _sent_at(message: EmailMessage) -> datetime:
    """The Date header, or now if it is missing or unreadable. Never in the future: a sender's
    clock running fast must not make an interaction the book refuses."""
    now = timezone.now()
    try:
        sent = parsedate_to_datetime(str(message["Date"])) if message["Date"] else None
    except (TypeError, ValueError, IndexError):
        sent = None
    if sent is None:
        return now
    if timezone.is_naive(sent):
        sent = timezone.make_aware(sent, timezone.get_default_timezone())
    return min(sent, now)


def _snippet(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    try:
        text = body.get_content()
    except (LookupError, ValueError, AssertionError):
        return ""
    if body.get_content_type() == "text/html":
        # Block ends become spaces, or paragraphs run into each other.
        text = strip_tags(BLOCK_END.sub(" ", text))
    # Quoted history and signatures add nothing to a timeline.
    lines = []
    for line in text.splitlines():
        if line.startswith(">") or line.strip() == "--":
            break
        lines.append(line)
    return header_safe(" ".join(lines), limit=settings.MAIL_CAPTURE_SNIPPET_CHARS)


def parse_mail(raw: bytes) -> ParsedMail:
    """Parse one RFC 5322 message. Raises MalformedMail when it has no sender or no
    Message-ID (without one, a copy of it could not be recognised as a duplicate)."""
    if not raw or not raw.strip():
        raise MalformedMail("The message is empty.")
    if len(raw) > settings.MAIL_CAPTURE_MAX_BYTES:
        raise MalformedMail("The message is larger than MAIL_CAPTURE_MAX_BYTES.")
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        senders = _addresses(message, "From")
        message_ids = _ids(str(message["Message-ID"] or ""))
        parsed = ParsedMail(
            message_id=message_ids[0] if message_ids else "",
            from_address=senders[0] if senders else "",
            to_addresses=_addresses(message, "To"),
            cc_addresses=_addresses(message, "Cc"),
            subject=header_safe(str(message["Subject"] or ""), limit=255),
            sent_at=_sent_at(message),
            snippet=_snippet(message),
            in_reply_to=next(iter(_ids(str(message["In-Reply-To"] or ""))), ""),
            references=_ids(str(message["References"] or "")),
        )
    except (TypeError, ValueError, LookupError, IndexError, AttributeError) as error:
        raise MalformedMail(f"The message cannot be read: {error}") from error
    if not parsed.from_address:
        raise MalformedMail("The message has no sender address.")
    if not parsed.message_id or len(parsed.message_id) > 255:
        raise MalformedMail("The message has no usable Message-ID.")
    return parsed
