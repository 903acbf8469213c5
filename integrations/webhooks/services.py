"""Webhook subscriptions and deliveries: emit an event to every subscriber (after commit), send
one attempt, and keep the delivery log and the pause rule."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from integrations.models import WebhookDelivery, WebhookSubscription
from integrations.secrets import new_secret
from integrations.webhooks.signing import SIGNATURE_HEADER, signature_header

logger = logging.getLogger(__name__)
EVENTS = WebhookSubscription.Event


@transaction.atomic
def webhook_subscription_create(
    *, url: str, events: list[str], created_by: User | None = None, description: str = ""
) -> WebhookSubscription:
    """Subscribe ``url`` to ``events``; its signing secret is generated here."""
    unknown = set(events) - set(EVENTS.values)
    if not events or unknown:
        raise ValidationError({"events": f"Choose among {', '.join(EVENTS.values)}."})
    subscription = WebhookSubscription(
        url=url,
        events=sorted(set(events)),
        secret=new_secret("whsec_", nbytes=24),
        created_by=created_by,
        description=description,
    )
    subscription.full_clean()
    subscription.save()
    return subscription


@transaction.atomic
def webhook_subscription_resume(*, subscription: WebhookSubscription) -> WebhookSubscription:
    """Un-pause, and send again what waited while it was paused."""
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        paused_at=None, consecutive_failures=0
    )
    waiting = list(
        subscription.deliveries.filter(status=WebhookDelivery.Status.PENDING).values_list(
            "pk", flat=True
        )
    )
    transaction.on_commit(lambda: [_enqueue(pk) for pk in waiting])
    subscription.refresh_from_db()
    return subscription


def webhook_emit(*, event: str, key: str, data: dict) -> list[WebhookDelivery]:
    """Record a delivery of ``event`` for each live subscriber and send them after commit.
    ``key`` names the occurrence (an answer's id, a period): emitting it again is a no-op."""
    created = []
    with transaction.atomic():
        # A handful of rows; filtered here because SQLite has no JSON containment lookup.
        subscribers = [s for s in WebhookSubscription.objects.all() if event in s.events]
        for subscription in subscribers:
            payload = {
                "event": event,
                "key": key,
                "created_at": timezone.now().isoformat(),
                "data": data,
            }
            delivery, new = WebhookDelivery.objects.get_or_create(
                subscription=subscription, event=event, key=key, defaults={"payload": payload}
            )
            if new:
                created.append(delivery)
        ids = [d.pk for d in created if not d.subscription.is_paused]
        transaction.on_commit(lambda: [_enqueue(pk) for pk in ids])
    return created


def _enqueue(delivery_id: int, countdown: float = 0) -> None:
    from integrations.webhooks.tasks import deliver_webhook

    try:
        deliver_webhook.apply_async((delivery_id,), countdown=countdown)
    except Exception:
        # The broker is down: the delivery stays pending and the sweep sends it later.
        logger.exception("Could not queue webhook delivery %s", delivery_id)


def retry_delay(attempts: int) -> timedelta:
    """Back-off after the ``attempts``-th failure: base × 4^(attempts-1) (30 s, 2 min, 8 min…)."""
    return timedelta(seconds=settings.WEBHOOK_RETRY_BASE_SECONDS * 4 ** (attempts - 1))


def webhook_attempt(*, delivery_id: int) -> timedelta | None:
    """Send one attempt of a pending delivery to an unpaused subscription and log it. Returns
    how long to wait before the next attempt, or None when there is nothing more to do.

    The row stays locked during the request (at most WEBHOOK_TIMEOUT_SECONDS), so two workers
    given the same delivery never both send it."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .select_related("subscription")
            .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
            .first()
        )
        if delivery is None or delivery.subscription.is_paused:
            return None
        subscription = delivery.subscription
        body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
        status, error = _post(subscription, delivery, body)
        delivery.attempts += 1
        delivery.last_attempt_at = timezone.now()
        delivery.response_status = status
        delivery.error = error[:300]
        ok = status is not None and 200 <= status < 300
        if ok:
            delivery.status = WebhookDelivery.Status.DELIVERED
            delivery.delivered_at = delivery.last_attempt_at
            WebhookSubscription.objects.filter(pk=subscription.pk).update(consecutive_failures=0)
        else:
            if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
                delivery.status = WebhookDelivery.Status.FAILED
            _count_failure(subscription)
        delivery.save()
    if ok or delivery.status == WebhookDelivery.Status.FAILED:
        return None
    return retry_delay(delivery.attempts)


def _count_failure(subscription: WebhookSubscription) -> None:
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    WebhookSubscription.objects.filter(
        pk=subscription.pk,
        paused_at__isnull=True,
        consecutive_failures__gte=settings.WEBHOOK_PAUSE_AFTER_FAILURES,
    ).update(paused_at=timezone.now())


def _post(
    subscription: WebhookSubscription, delivery: WebhookDelivery, body: bytes
) -> tuple[int | None, str]:
    """POST the body; (HTTP status, error text). Network errors have no status."""
    timestamp = int(time.time())
    request = urllib.request.Request(
        subscription.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "TruthfulCRM-Webhooks/1",
            "X-CRM-Event": delivery.event,
            "X-CRM-Delivery": str(delivery.pk),
            SIGNATURE_HEADER: signature_header(subscription.secret, timestamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as answer:
            return answer.status, ""
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code} {error.reason}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, str(getattr(error, "reason", error))
