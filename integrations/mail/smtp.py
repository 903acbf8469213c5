"""The SMTP receiver for capture addresses (aiosmtpd): refuses unknown recipients at RCPT,
captures at DATA, answers malformed mail with a 550 and database trouble with a 451 (the
sending server retries), and never stops on a bad message."""

from __future__ import annotations

import logging

from aiosmtpd.controller import Controller
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, connection

from integrations.mail.capture import is_capture_address, users_for_addresses
from integrations.mail.receive import receive

logger = logging.getLogger(__name__)


# Each step opens and closes its own database connection: the receiver runs for weeks between
# messages, and a connection kept across them would outlive database restarts.
def _known(address: str) -> bool:
    close_old_connections()
    try:
        return is_capture_address(address) and bool(users_for_addresses([address]))
    finally:
        connection.close()


def _receive(raw: bytes, recipients: list[str]):
    close_old_connections()
    try:
        return receive(raw=raw, recipients=recipients, source="smtp")
    finally:
        connection.close()


class CaptureHandler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        try:
            known = await sync_to_async(_known)(address)
        except Exception:
            logger.exception("Capture address lookup failed for %s", address)
            return "451 4.3.0 Temporary failure, try again later"
        if not known:
            return "550 5.1.1 No such capture address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        try:
            receipt = await sync_to_async(_receive)(envelope.content, list(envelope.rcpt_tos))
        except Exception:
            logger.exception("Capturing mail from %s failed", envelope.mail_from)
            return "451 4.3.0 Temporary failure, try again later"
        if not receipt.accepted:
            return f"550 5.6.0 {receipt.reason}"
        return "250 OK: logged"


def capture_server(host: str | None = None, port: int | None = None) -> Controller:
    """A receiver (not started) on ``host:port``, by default the MAIL_CAPTURE_SMTP_* settings."""
    return Controller(
        CaptureHandler(),
        hostname=host or settings.MAIL_CAPTURE_SMTP_HOST,
        port=settings.MAIL_CAPTURE_SMTP_PORT if port is None else port,
        data_size_limit=settings.MAIL_CAPTURE_MAX_BYTES,
    )
