"""Building e-mails for the capture tests, as a mail client would send them."""

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.utils import timezone


def message(
    *,
    sender: str,
    to: list[str],
    subject: str = "Renewal terms",
    body: str = "Hello, here are the terms.",
    sent_at=None,
    in_reply_to: str = "",
    cc: list[str] | None = None,
    message_id: str | None = None,
    html: str = "",
    attachment: bytes = b"",
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = ", ".join(to)
    if cc:
        mail["Cc"] = ", ".join(cc)
    mail["Subject"] = subject
    mail["Date"] = format_datetime(sent_at or timezone.now())
    mail["Message-ID"] = message_id or make_msgid(domain="mail.example")
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
        mail["References"] = in_reply_to
    if html:
        mail.set_content(html, subtype="html")
    else:
        mail.set_content(body)
    if attachment:
        mail.add_attachment(attachment, maintype="application", subtype="pdf", filename="a.pdf")
    return mail
