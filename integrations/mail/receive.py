"""One entry for mail arriving at capture addresses by SMTP or IMAP: find whose it is, capture
it for each, and turn anything unreadable into a logged rejection instead of a crash."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from integrations.mail.capture import mail_capture, users_for_addresses
from integrations.mail.parse import MalformedMail
from integrations.models import CapturedEmail

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Receipt:
    accepted: bool
    reason: str = ""
    captured: tuple[CapturedEmail, ...] = ()


def receive(*, raw: bytes, recipients: list[str], source: str) -> Receipt:
    """Capture ``raw`` for every user whose capture address is among ``recipients``."""
    users = users_for_addresses(recipients)
    if not users:
        logger.warning("Mail to %s rejected: no capture address matches", recipients)
        return Receipt(False, "No such capture address.")
    captured = []
    for user in users:
        try:
            captured.append(mail_capture(raw=raw, user=user, source=source)[0])
        except MalformedMail as error:
            logger.warning("Malformed mail for user %s rejected: %s", user.pk, error)
            return Receipt(False, str(error))
    return Receipt(True, captured=tuple(captured))
