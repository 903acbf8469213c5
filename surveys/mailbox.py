"""The dev mailbox: with no mail server configured, e-mails are stored, not sent, and shown on a
page so a newcomer can open the demo's e-mails and click their links."""

from django.core.mail.backends.base import BaseEmailBackend

from surveys.models import DevMail


class DevMailboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        stored = 0
        for message in email_messages:
            html = next(
                (
                    content
                    for content, mimetype in getattr(message, "alternatives", [])
                    if mimetype == "text/html"
                ),
                "",
            )
            headers = {key: str(value) for key, value in message.extra_headers.items()}
            DevMail.objects.bulk_create(
                [
                    DevMail(
                        subject=message.subject,
                        from_email=message.from_email,
                        to="\n".join(message.recipients()),
                        text_body=message.body,
                        html_body=html,
                        headers=headers,
                        message_id=headers.get("Message-ID"),
                    )
                ],
                ignore_conflicts=True,
            )
            stored += 1
        return stored
