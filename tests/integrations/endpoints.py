"""Every API endpoint with what it acts on in the access-matrix world and who may use it.
A read refused is a 404 (the row does not exist for them); a write refused is a 404 for whoever
may not read the client and a 403 for whoever may read but not change it."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from crm.models import DealStage, RevenueLine
from metrics.models import Snapshot, SubjectType
from tests.factories import RevenueLineFactory
from tests.security.endpoints import OWNERS, READERS, World, churn, nothing, today


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


def _create(name: str, resource: str, data: Callable[[World], dict]) -> Write:
    """``POST <resource>/`` of a new record of Alice's client, ``data`` besides the client."""
    return Write(name, lambda w: f"{resource}/", lambda w: {"client": w.client.pk, **data(w)})


def _act(name: str, resource: str, of: str, verb: str, data=nothing, **options) -> Write:
    """``POST <resource>/<id>/<verb>/`` on the world's object ``of``: 200 with the record."""
    return Write(
        name,
        lambda w: f"{resource}/{getattr(w, of).pk}/{verb}/",
        data,
        success=200,
        **options,
    )


WRITES = [
    _create("add a contact", "contacts", lambda w: {"name": "Sam"}),
    _create(
        "log an interaction",
        "interactions",
        lambda w: {"kind": "call", "topic": "Renewal", "contacts": [w.dana.pk]},
    ),
    _create(
        "log a reply to a message",
        "interactions",
        lambda w: {"kind": "email", "in_reply_to": w.message.pk},
    ),
    _create(
        "add a follow-up", "follow-ups", lambda w: {"title": "Send the deck", "due_on": today()}
    ),
    _act(
        "mark a follow-up done",
        "follow-ups",
        "follow_up",
        "complete",
        lambda w: {"outcome": "Sent"},
    ),
    _create("create a deal", "deals", lambda w: {"title": "Renewal 2027", "value": "900"}),
    _act(
        "move a deal",
        "deals",
        "deal",
        "move",
        lambda w: {"to_stage": DealStage.objects.exclude(pk=w.deal.stage_id).first().pk},
    ),
    _create(
        "open a support issue", "issues", lambda w: {"title": "Portal down", "priority": "high"}
    ),
    _act("respond to an issue", "issues", "issue", "respond"),
    _act("resolve an issue", "issues", "issue", "resolve"),
    _create(
        "record revenue",
        "revenue",
        lambda w: {"product": "Support plan", "recognised_on": today(), "amount": "1200"},
    ),
    _act("mark as churned", "clients", "client", "churn", lambda w: {"reason": "Budget cut"}),
    _act(
        "reactivate",
        "clients",
        "client",
        "reactivate",
        lambda w: {"reason": "New budget"},
        prepare=churn,
    ),
]
