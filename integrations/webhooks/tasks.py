"""Webhook jobs: one attempt per task run (re-queued with back-off), the overdue-follow-up scan
and a sweep for deliveries whose task was lost."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from integrations.models import WebhookDelivery
from integrations.webhooks import services


@shared_task
def deliver_webhook(delivery_id: int) -> None:
    """Idempotent: a delivered, failed or paused delivery is left alone."""
    wait = services.webhook_attempt(delivery_id=delivery_id)
    if wait is not None:
        services._enqueue(delivery_id, countdown=wait.total_seconds())


@shared_task
def emit_overdue_follow_ups() -> int:
    """Emit ``follow_up.overdue`` once per follow-up that is open past its due date."""
    from integrations.webhooks.events import emit_overdue

    return emit_overdue()


@shared_task
def sweep_pending_deliveries() -> int:
    """Re-queue pending deliveries whose retry is long overdue (a lost task, a broker outage)."""
    stale = timezone.now() - timedelta(hours=1)
    ids = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING,
            subscription__paused_at__isnull=True,
            created_at__lt=stale,
        )
        .exclude(last_attempt_at__gte=stale)
        .values_list("pk", flat=True)[:500]
    )
    for pk in ids:
        services._enqueue(pk)
    return len(ids)
