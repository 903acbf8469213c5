"""Every API endpoint with what it acts on in the access-matrix world and who may use it.
A read refused is a 404 (the row does not exist for them); a write refused is a 404 for whoever
may not read the client and a 403 for whoever may read but not change it."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from crm import services
from crm.models import DealStage, RevenueLine
from metrics.models import Snapshot, SubjectType
from tests.factories import RevenueLineFactory
from tests.security.endpoints import OWNERS, READERS, World


def revenue_line(world: World) -> RevenueLine:
    return RevenueLine.objects.filter(client=world.client).first() or RevenueLineFactory(
        client=world.client
    )


def alices_snapshot(world: World) -> Snapshot:
    return Snapshot.objects.get_or_create(
        subject_type=SubjectType.BRM,
        subject_id=world.client.owner_id,
        kpi="nps",
        grain="month",
        period_start=date(2026, 10, 1),
        breakdown="",
        defaults={
            "value": 40,
            "status": "green",
            "computed_at": timezone.now(),
            "formula_version": 1,
        },
    )[0]


# What each list/detail endpoint must show of Alice's client to her readers, and hide from others.
READS: dict[str, Callable[[World], int]] = {
    "clients": lambda w: w.client.pk,
    "contacts": lambda w: w.dana.pk,
    "interactions": lambda w: w.message.pk,
    "follow-ups": lambda w: w.follow_up.pk,
    "deals": lambda w: w.deal.pk,
    "issues": lambda w: w.issue.pk,
    "revenue": lambda w: revenue_line(w).pk,
    "survey-answers": lambda w: w.unhappy.pk,
    "kpi-snapshots": lambda w: alices_snapshot(w).pk,
}


@dataclass(frozen=True)
class Write:
    name: str
    path: Callable[[World], str]
    data: Callable[[World], dict]
    success: int = 201
    allowed: frozenset[str] = OWNERS
    prepare: Callable[[World], None] | None = None

    def expected(self, who: str) -> int:
        if who in self.allowed:
            return self.success
        return 403 if who in READERS else 404


def _today() -> str:
    return timezone.localdate().isoformat()


def _churn(world: World) -> None:
    services.client_churn(client=world.client, reason="Budget cut")


WRITES = [
    Write("add a contact", lambda w: "contacts/", lambda w: {"client": w.client.pk, "name": "Sam"}),
    Write(
        "log an interaction",
        lambda w: "interactions/",
        lambda w: {
            "client": w.client.pk,
            "kind": "call",
            "topic": "Renewal",
            "contacts": [w.dana.pk],
        },
    ),
    Write(
        "log a reply to a message",
        lambda w: "interactions/",
        lambda w: {"client": w.client.pk, "kind": "email", "in_reply_to": w.message.pk},
    ),
    Write(
        "add a follow-up",
        lambda w: "follow-ups/",
        lambda w: {"client": w.client.pk, "title": "Send the deck", "due_on": _today()},
    ),
    Write(
        "mark a follow-up done",
        lambda w: f"follow-ups/{w.follow_up.pk}/complete/",
        lambda w: {"outcome": "Sent"},
        success=200,
    ),
    Write(
        "create a deal",
        lambda w: "deals/",
        lambda w: {"client": w.client.pk, "title": "Renewal 2027", "value": "900"},
    ),
    Write(
        "move a deal",
        lambda w: f"deals/{w.deal.pk}/move/",
        lambda w: {"to_stage": DealStage.objects.exclude(pk=w.deal.stage_id).first().pk},
        success=200,
    ),
    Write(
        "open a support issue",
        lambda w: "issues/",
        lambda w: {"client": w.client.pk, "title": "Portal down", "priority": "high"},
    ),
    Write(
        "respond to an issue", lambda w: f"issues/{w.issue.pk}/respond/", lambda w: {}, success=200
    ),
    Write("resolve an issue", lambda w: f"issues/{w.issue.pk}/resolve/", lambda w: {}, success=200),
    Write(
        "record revenue",
        lambda w: "revenue/",
        lambda w: {
            "client": w.client.pk,
            "product": "Support plan",
            "recognised_on": _today(),
            "amount": "1200",
        },
    ),
    Write(
        "mark as churned",
        lambda w: f"clients/{w.client.pk}/churn/",
        lambda w: {"reason": "Budget cut"},
        success=200,
    ),
    Write(
        "reactivate",
        lambda w: f"clients/{w.client.pk}/reactivate/",
        lambda w: {"reason": "New budget"},
        success=200,
        prepare=_churn,
    ),
]
