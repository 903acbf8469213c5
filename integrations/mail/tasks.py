from celery import shared_task
from django.conf import settings

from integrations.mail.imap import Mailbox, poll_mailbox


@shared_task
def poll_imap() -> dict[str, int]:
    """Beat runs this every minute when MAIL_CAPTURE_IMAP_URL is set. Safe to run twice: a
    message is flagged seen once captured, and a duplicate Message-ID is ignored."""
    return poll_mailbox(Mailbox.from_url(settings.MAIL_CAPTURE_IMAP_URL))
