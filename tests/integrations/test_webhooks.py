"""Webhooks against a real HTTP receiver on 127.0.0.1: signed deliveries of domain events,
retries with back-off after a server error, and a subscription paused after repeated failures."""

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from django.utils import timezone

from crm import celery_app, services
from integrations.models import WebhookDelivery, WebhookSubscription
from integrations.webhooks.events import emit_overdue
from integrations.webhooks.services import (
    retry_delay,
    webhook_subscription_create,
    webhook_subscription_resume,
)
from integrations.webhooks.signing import verify
from surveys.services import response_record
from tests.factories import FollowUpFactory
from tests.surveys.factories import InvitationFactory

pytestmark = pytest.mark.django_db
EVENTS = WebhookSubscription.Event


class Receiver:
    """An HTTP endpoint on 127.0.0.1 that answers with the given statuses in turn (the last one
    repeats) and keeps every request it got."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.requests = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((self.headers, body))
                status = (
                    receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                )
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(*statuses):
        made.append(Receiver(statuses or (200,)))
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.fixture
def delivered(django_capture_on_commit_callbacks):
    """``with delivered(): ...``: after commit, queued deliveries run inline as a worker would."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield lambda: django_capture_on_commit_callbacks(execute=True)
    celery_app.conf.task_always_eager = previous


def detractor_answer(contact):
    invitation = InvitationFactory(contact=contact, kind="nps")
    return response_record(invitation=invitation, score=2, comment="Invoices wrong again")


def test_a_detractor_answer_is_delivered_signed_to_subscribers_of_both_events(
    receiver, delivered, alices_client, admin_user
):
    hook = receiver(200)
    subscription = webhook_subscription_create(
        url=hook.url, events=[EVENTS.ANSWER_RECEIVED, EVENTS.DETRACTOR], created_by=admin_user
    )
    contact = alices_client.contacts.create(name="Eli", email="eli@acme.example")

    with delivered():
        answer = detractor_answer(contact)

    assert sorted(h["X-CRM-Event"] for h, _ in hook.requests) == [
        "answer.detractor",
        "answer.received",
    ]
    for headers, body in hook.requests:
        assert verify(subscription.secret, headers["X-CRM-Signature"], body, now=int(time.time()))
        assert not verify("wrong-secret", headers["X-CRM-Signature"], body, now=int(time.time()))
        payload = json.loads(body)
        assert payload["data"]["answer"]["id"] == answer.pk
        assert payload["data"]["answer"]["score"] == 2
        assert payload["data"]["client"]["name"] == "Acme Logistics"
    assert set(subscription.deliveries.values_list("status", flat=True)) == {"delivered"}


def test_a_tampered_or_replayed_body_fails_verification(receiver, delivered, alices_client):
    hook = receiver(200)
    subscription = webhook_subscription_create(url=hook.url, events=[EVENTS.CLIENT_CHURNED])
    with delivered():
        services.client_churn(client=alices_client, reason="Budget cut")
    headers, body = hook.requests[0]
    signed = headers["X-CRM-Signature"]

    assert json.loads(body)["data"]["reason"] == "Budget cut"
    assert verify(subscription.secret, signed, body, now=int(time.time()))
    assert not verify(
        subscription.secret, signed, body.replace(b"Budget", b"Nudget"), now=int(time.time())
    )
    assert not verify(subscription.secret, signed, body, now=int(time.time()) + 3600)


def test_a_delivery_that_got_a_500_is_retried_and_logged(receiver, delivered, alices_client):
    hook = receiver(500, 200)
    subscription = webhook_subscription_create(url=hook.url, events=[EVENTS.CLIENT_CHURNED])

    with delivered():
        services.client_churn(client=alices_client, reason="Budget cut")

    delivery = subscription.deliveries.get()
    subscription.refresh_from_db()
    assert len(hook.requests) == 2
    assert hook.requests[0][1] == hook.requests[1][1], "a retry sends the same event"
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("delivered", 2, 200)
    assert subscription.consecutive_failures == 0
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [30, 120, 480]


def test_a_subscription_that_keeps_failing_is_paused_shown_and_can_be_resumed(
    receiver, delivered, alices_client, admin_user, client, settings
):
    settings.WEBHOOK_PAUSE_AFTER_FAILURES = 3
    hook = receiver(500)
    subscription = webhook_subscription_create(url=hook.url, events=[EVENTS.CLIENT_CHURNED])

    with delivered():
        services.client_churn(client=alices_client, reason="Budget cut")

    subscription.refresh_from_db()
    delivery = subscription.deliveries.get()
    assert subscription.is_paused and subscription.consecutive_failures == 3
    assert (delivery.status, delivery.attempts, len(hook.requests)) == ("pending", 3, 3)
    client.force_login(admin_user)
    page = client.get(reverse("integrations:settings")).content.decode()
    assert "Paused" in page and hook.url in page

    hook.statuses = [200]
    with delivered():
        webhook_subscription_resume(subscription=subscription)

    delivery.refresh_from_db()
    assert delivery.status == "delivered" and len(hook.requests) == 4


def test_an_unreachable_address_fails_after_the_last_attempt_without_raising(
    delivered, alices_client, settings
):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    subscription = webhook_subscription_create(
        url="http://127.0.0.1:9/nothing-listens", events=[EVENTS.CLIENT_CHURNED]
    )
    with delivered():
        services.client_churn(client=alices_client, reason="Budget cut")

    delivery = subscription.deliveries.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("failed", 2, None)
    assert delivery.error


def test_an_overdue_follow_up_is_announced_once(receiver, delivered, alices_client):
    hook = receiver(200)
    webhook_subscription_create(url=hook.url, events=[EVENTS.FOLLOW_UP_OVERDUE])
    late = FollowUpFactory(client=alices_client, due_on=timezone.localdate() - timedelta(days=1))
    FollowUpFactory(client=alices_client, due_on=timezone.localdate() + timedelta(days=1))

    with delivered():
        emit_overdue()
        emit_overdue()

    assert len(hook.requests) == 1
    assert json.loads(hook.requests[0][1])["data"]["follow_up"]["id"] == late.pk


def test_a_frozen_period_is_announced(receiver, delivered, settings):
    from metrics.periods import Period
    from metrics.services import snapshot_take

    hook = receiver(200)
    webhook_subscription_create(url=hook.url, events=[EVENTS.SNAPSHOT_FROZEN])
    with delivered():
        snapshot_take(period=Period.parse("2026-03"), freeze=True)

    assert json.loads(hook.requests[0][1])["data"]["period_start"] == "2026-03-01"


def test_nothing_is_sent_for_a_rolled_back_change(receiver, alices_client, delivered):
    hook = receiver(200)
    webhook_subscription_create(url=hook.url, events=[EVENTS.CLIENT_CHURNED])
    with delivered(), pytest.raises(RuntimeError):
        from django.db import transaction

        with transaction.atomic():
            services.client_churn(client=alices_client, reason="Budget cut")
            raise RuntimeError("rolled back")

    assert hook.requests == [] and not WebhookDelivery.objects.exists()
