"""Captured e-mail to interactions: the writes behind every way mail arrives (SMTP receiver,
IMAP polling, raw MIME posted to the API).

A message reaches a user through their capture address. Its direction is who sent it (the
user: outbound; anyone else: inbound); its client is the one whose contacts' addresses appear
on the other side, searched in the user's own book only (``crm.access.clients_owned_by``).
An inbound message that answers a captured outbound one (In-Reply-To / References) is logged as
its reply, which is what ``reply_conversion_rate`` counts. Mail no contact matches waits in the
user's review list; a Message-ID seen before for the user is ignored.
"""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from accounts.models import User
from crm import services as crm_services
from crm.access import clients_owned_by
from crm.models import Client, Contact, Interaction
from integrations.mail.parse import ParsedMail, normalise_address, parse_mail
from integrations.models import CaptureAddress, CapturedEmail
from integrations.secrets import new_key

logger = logging.getLogger(__name__)

REPLY_PREFIX = re.compile(r"^\s*((re|fwd?|aw|wg|sv|tr)\s*:\s*)+", re.IGNORECASE)


def capture_address_for(user: User) -> CaptureAddress:
    """The user's capture address, made on first use."""
    address, _ = CaptureAddress.objects.get_or_create(user=user, defaults={"key": new_key("log-")})
    return address


def users_for_addresses(addresses: list[str]) -> list[User]:
    """The active users whose capture addresses are among ``addresses``."""
    suffix = "@" + settings.MAIL_CAPTURE_DOMAIN.lower()
    keys = [
        normalise_address(a).removesuffix(suffix)
        for a in addresses
        if normalise_address(a).endswith(suffix)
    ]
    if not keys:
        return []
    return list(User.objects.filter(capture_address__key__in=keys, is_active=True))


def is_capture_address(address: str) -> bool:
    return normalise_address(address).endswith("@" + settings.MAIL_CAPTURE_DOMAIN.lower())


def topic_from_subject(subject: str) -> str:
    """The subject without "Re:"/"Fwd:" prefixes, so a thread shares one topic."""
    return REPLY_PREFIX.sub("", subject).strip()[:100]


def mail_capture(*, raw: bytes, user: User, source: str) -> tuple[CapturedEmail, bool]:
    """Log one raw message for ``user``. Returns the CapturedEmail and whether it is new (False:
    this Message-ID was captured for them before). Raises MalformedMail for unreadable mail."""
    parsed = parse_mail(raw)
    existing = CapturedEmail.objects.filter(user=user, message_id=parsed.message_id).first()
    if existing is not None:
        logger.info("Duplicate mail %s for user %s ignored", parsed.message_id, user.pk)
        return existing, False
    try:
        with transaction.atomic():
            return _capture(parsed=parsed, user=user, source=source), True
    except IntegrityError:
        # The same message arrived twice at once (SMTP and IMAP); the first one won.
        return CapturedEmail.objects.get(user=user, message_id=parsed.message_id), False


def _capture(*, parsed: ParsedMail, user: User, source: str) -> CapturedEmail:
    outbound = parsed.from_address == normalise_address(user.email)
    direction = Interaction.Direction.OUTBOUND if outbound else Interaction.Direction.INBOUND
    if outbound:
        others = [
            a for a in parsed.recipients if not is_capture_address(a) and a != parsed.from_address
        ]
    else:
        others = [parsed.from_address]
    contacts = list(
        Contact.objects.annotate(address=Lower("email"))
        .filter(client__in=clients_owned_by(user), address__in=others)
        .select_related("client")
    )
    answered = None if outbound else _answered_message(user=user, parsed=parsed)
    client_ids = {contact.client_id for contact in contacts}
    if answered is not None and (not client_ids or answered.client_id in client_ids):
        client_ids = {answered.client_id}
    captured = CapturedEmail(
        user=user,
        message_id=parsed.message_id,
        in_reply_to=parsed.in_reply_to,
        references="\n".join(parsed.references),
        from_address=parsed.from_address,
        to_addresses="\n".join(parsed.recipients),
        subject=parsed.subject,
        direction=direction,
        sent_at=parsed.sent_at,
        snippet=parsed.snippet,
        source=source,
        status=CapturedEmail.Status.REVIEW,
    )
    if len(client_ids) == 1:
        client = Client.objects.get(pk=client_ids.pop())
        try:
            captured.interaction = _log(
                captured=captured,
                client=client,
                contacts=[c for c in contacts if c.client_id == client.pk],
                answered=answered if answered and answered.client_id == client.pk else None,
            )
            captured.status = CapturedEmail.Status.LOGGED
        except ValidationError as error:
            captured.review_reason = " ".join(error.messages)[:200]
    elif client_ids:
        captured.review_reason = "Contacts of several clients are on it: choose one."
    else:
        captured.review_reason = "No contact in your book has these addresses."
    captured.full_clean()
    captured.save()
    logger.info("Captured mail %s for user %s: %s", captured.message_id, user.pk, captured.status)
    return captured


def _answered_message(*, user: User, parsed: ParsedMail) -> Interaction | None:
    """The captured outbound message this one replies to, closest in the thread first."""
    if not parsed.thread_ids:
        return None
    earlier = {
        e.message_id: e.interaction
        for e in CapturedEmail.objects.filter(
            user=user,
            message_id__in=parsed.thread_ids,
            direction=Interaction.Direction.OUTBOUND,
            interaction__isnull=False,
        ).select_related("interaction")
    }
    return next((earlier[i] for i in parsed.thread_ids if i in earlier), None)


def _log(
    *,
    captured: CapturedEmail,
    client: Client,
    contacts: list[Contact],
    answered: Interaction | None,
) -> Interaction:
    occurred_at = captured.sent_at
    if answered is not None:
        # A sender's clock behind ours must not break the thread: a reply is never earlier.
        occurred_at = max(occurred_at, answered.occurred_at)
    return crm_services.interaction_log(
        client=client,
        logged_by=captured.user,
        kind=Interaction.Kind.EMAIL,
        direction=captured.direction,
        occurred_at=occurred_at,
        topic=topic_from_subject(captured.subject),
        summary=captured.snippet,
        contacts=contacts,
        in_reply_to=answered,
    )


@transaction.atomic
def captured_email_assign(*, captured: CapturedEmail, client: Client) -> CapturedEmail:
    """Log a message from the review list with the client its user chose. ``client`` must be
    in the user's own book (checked by the caller through the access module)."""
    captured = CapturedEmail.objects.select_for_update().get(pk=captured.pk)
    if captured.status != CapturedEmail.Status.REVIEW:
        raise ValidationError("This message is no longer waiting for review.")
    addresses = [captured.from_address, *captured.to_addresses.split()]
    contacts = list(
        Contact.objects.annotate(address=Lower("email")).filter(
            client=client, address__in=addresses
        )
    )
    captured.interaction = _log(captured=captured, client=client, contacts=contacts, answered=None)
    captured.status = CapturedEmail.Status.LOGGED
    captured.review_reason = ""
    captured.save(update_fields=["interaction", "status", "review_reason"])
    return captured


@transaction.atomic
def captured_email_dismiss(*, captured: CapturedEmail) -> CapturedEmail:
    CapturedEmail.objects.filter(pk=captured.pk, status=CapturedEmail.Status.REVIEW).update(
        status=CapturedEmail.Status.DISMISSED
    )
    captured.refresh_from_db()
    return captured
