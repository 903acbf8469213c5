"""kill -9 a Celery worker in the middle of its work; after a restart the work is complete,
with no duplicates."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm import services as crm_services
from crm.models import Interaction
from metrics.models import SNAPSHOT_KEY, Snapshot
from metrics.periods import Grain, Period
from metrics.services import snapshot_rows
from surveys.models import DevMail, Invitation, OutboundEmail, SurveyKind
from surveys.services import invitation_send
from tests.factories import ClientFactory, ContactFactory, UserFactory
from tests.faults.processes import wait_until

pytestmark = pytest.mark.faults


def _small_book(brms: int = 3, clients_each: int = 2) -> None:
    now = timezone.now()
    for b in range(brms):
        owner = UserFactory(email=f"brm{b}@example.com")
        for c in range(clients_each):
            client = ClientFactory(owner=owner, name=f"Client {b}-{c}")
            crm_services.interaction_log(
                client=client,
                logged_by=owner,
                kind=Interaction.Kind.MEETING,
                occurred_at=now - timedelta(hours=c + 1),
                topic="Review",
            )


def test_a_snapshot_killed_half_way_completes_after_restart_without_duplicates(
    broker, start_worker, table_lock
):
    _small_book()
    period = Period.current(Grain.MONTH)
    expected = {tuple(getattr(row, f) for f in SNAPSHOT_KEY) for row in snapshot_rows(period)}
    assert expected

    table_lock.hold("metrics_snapshot")
    worker = start_worker()
    broker.send_task("metrics.tasks.snapshot_period", args=[period.grain, period.start.isoformat()])
    # The worker has computed the KPIs and now waits to write them: kill it right there.
    wait_until(lambda: table_lock.waiters("metrics_snapshot"), timeout=60, what="snapshot write")
    worker.kill()
    table_lock.release()
    assert Snapshot.objects.count() == 0, "a killed run must leave nothing half-written"

    start_worker()  # the unacknowledged task is handed back to the new worker
    wait_until(
        lambda: Snapshot.objects.count() == len(expected), timeout=90, what="snapshot re-run"
    )
    stored = set(Snapshot.objects.values_list(*SNAPSHOT_KEY))
    assert stored == expected

    # Beat queues the same period again an hour later: the same rows, never duplicates.
    broker.send_task("metrics.tasks.snapshot_period", args=[period.grain, period.start.isoformat()])
    first_stamp = Snapshot.objects.order_by("computed_at").first().computed_at
    wait_until(
        lambda: Snapshot.objects.filter(computed_at__gt=first_stamp).count() == len(expected),
        timeout=60,
        what="second run",
    )
    assert Snapshot.objects.count() == len(expected)


def test_survey_emails_interrupted_by_a_killed_worker_all_go_out_exactly_once(
    broker, start_worker, table_lock, settings
):
    settings.EMAIL_BACKEND = "surveys.mailbox.DevMailboxBackend"
    contacts = [ContactFactory(email=f"person{i}@client.example") for i in range(4)]
    invitations = [
        invitation_send(contact=c, kind=SurveyKind.NPS, trigger=Invitation.Trigger.MANUAL)
        for c in contacts
    ]
    assert OutboundEmail.objects.filter(status=OutboundEmail.Status.QUEUED).count() == 4

    table_lock.hold("surveys_devmail")
    worker = start_worker()
    broker.send_task("surveys.tasks.sweep_outbox")
    # The worker has claimed an e-mail and is handing it to the mail backend: kill it there.
    wait_until(lambda: table_lock.waiters("surveys_devmail"), timeout=60, what="delivery")
    worker.kill()
    # The dead worker's delivery may still land once the lock is gone, as a mail server may
    # accept a message from a client that dies before hearing back.
    table_lock.release()
    assert OutboundEmail.objects.filter(status=OutboundEmail.Status.SENDING).count() == 1

    start_worker()

    def all_sent() -> bool:
        # Beat runs the sweeper every minute; here it is asked every couple of seconds.
        broker.send_task("surveys.tasks.sweep_outbox")
        return OutboundEmail.objects.filter(status=OutboundEmail.Status.SENT).count() == 4

    wait_until(all_sent, timeout=90, what="every e-mail sent")
    recipients = sorted(DevMail.objects.values_list("to", flat=True))
    assert recipients == sorted(c.email for c in contacts), "each invitation exactly once"
    assert {i.status for i in Invitation.objects.filter(pk__in=[i.pk for i in invitations])} == {
        Invitation.Status.DELIVERED
    }
