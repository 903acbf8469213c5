"""Which domain events become which webhooks, with what payload. Connected when the app is
ready; each receiver runs after the emitting transaction committed, with ids only."""

from __future__ import annotations

from datetime import timedelta

from django.dispatch import receiver
from django.utils import timezone

from crm.models import Client, FollowUp
from crm.signals import client_churned
from integrations.models import WebhookSubscription
from integrations.webhooks.services import webhook_emit
from metrics.signals import period_frozen
from surveys.models import Response
from surveys.signals import answer_recorded

EVENTS = WebhookSubscription.Event
# The hourly scan announces follow-ups that fell due this recently (slack for missed runs).
OVERDUE_LOOKBACK_DAYS = 3


def _client(client: Client) -> dict:
    return {"id": client.pk, "name": client.name, "owner": client.owner_id}


@receiver(answer_recorded)
def on_answer(sender, response_id: int, needs_closing_the_loop: bool, **kwargs) -> None:
    response = Response.objects.select_related("client").get(pk=response_id)
    data = {
        "answer": {
            "id": response.pk,
            "kind": response.kind,
            "score": response.score,
            "comment": response.comment,
            "answered_at": response.answered_at.isoformat(),
            "owner": response.owner_id,
            "contact": response.contact_id,
            "follow_up": response.follow_up_id,
        },
        "client": _client(response.client),
    }
    webhook_emit(event=EVENTS.ANSWER_RECEIVED, key=f"answer:{response.pk}", data=data)
    if needs_closing_the_loop:
        webhook_emit(event=EVENTS.DETRACTOR, key=f"answer:{response.pk}", data=data)


@receiver(client_churned)
def on_churn(sender, client_id: int, status_change_id: int, **kwargs) -> None:
    client = Client.objects.get(pk=client_id)
    change = client.status_changes.get(pk=status_change_id)
    webhook_emit(
        event=EVENTS.CLIENT_CHURNED,
        key=f"status_change:{change.pk}",
        data={
            "client": _client(client),
            "effective_on": change.effective_on.isoformat(),
            "reason": change.reason,
        },
    )


@receiver(period_frozen)
def on_freeze(sender, grain: str, period_start, rows: int, **kwargs) -> None:
    webhook_emit(
        event=EVENTS.SNAPSHOT_FROZEN,
        key=f"{grain}:{period_start.isoformat()}",
        data={"grain": grain, "period_start": period_start.isoformat(), "snapshots": rows},
    )


def emit_overdue(today=None) -> int:
    """``follow_up.overdue`` for every open follow-up that fell due in the last
    ``OVERDUE_LOOKBACK_DAYS`` (once per follow-up and due date: rescheduled and missed again, it
    is emitted again). Older ones are not announced, so a new subscriber is not flooded with
    history. Returns how many were emitted."""
    if not any(EVENTS.FOLLOW_UP_OVERDUE in s.events for s in WebhookSubscription.objects.all()):
        return 0
    today = today or timezone.localdate()
    overdue = (
        FollowUp.objects.open()
        .filter(
            due_on__lt=today,
            due_on__gte=today - timedelta(days=OVERDUE_LOOKBACK_DAYS),
        )
        .select_related("client")
    )
    emitted = 0
    for follow_up in overdue.iterator(chunk_size=500):
        created = webhook_emit(
            event=EVENTS.FOLLOW_UP_OVERDUE,
            key=f"follow_up:{follow_up.pk}:{follow_up.due_on.isoformat()}",
            data={
                "follow_up": {
                    "id": follow_up.pk,
                    "title": follow_up.title,
                    "due_on": follow_up.due_on.isoformat(),
                    "owner": follow_up.owner_id,
                    "origin": follow_up.origin,
                },
                "client": _client(follow_up.client),
            },
        )
        emitted += bool(created)
    return emitted
