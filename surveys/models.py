from django.db import models
from django.utils import timezone


class DevMail(models.Model):
    """An e-mail kept instead of sent, when no mail server is configured (the dev mailbox)."""

    subject = models.CharField(max_length=300)
    from_email = models.CharField(max_length=300)
    to = models.TextField(help_text="Recipients, one per line.")
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = "dev mailbox message"

    def __str__(self) -> str:
        return self.subject
