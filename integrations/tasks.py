"""Celery's autodiscovery reads ``<app>.tasks``; the integrations' tasks live by job."""

from integrations.mail.tasks import poll_imap
from integrations.webhooks.tasks import (
    deliver_webhook,
    emit_overdue_follow_ups,
    sweep_pending_deliveries,
)

__all__ = ["deliver_webhook", "emit_overdue_follow_ups", "poll_imap", "sweep_pending_deliveries"]
