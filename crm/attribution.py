"""Which BRM an event counts for: the one who owned the client when it happened."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, time

from django.db import models
from django.utils import timezone

from crm import models as crm


@dataclass(frozen=True)
class CreditedEvent:
    """An event model whose ``owner`` column is stamped from the ownership history."""

    model: type[models.Model]
    client_field: str
    time_field: str


CREDITED_EVENTS: list[CreditedEvent] = [
    CreditedEvent(crm.Interaction, "client", "occurred_at"),
    CreditedEvent(crm.SupportIssue, "client", "opened_at"),
    CreditedEvent(crm.RevenueLine, "client", "recognised_on"),
    CreditedEvent(crm.Deal, "client", "created_at"),
    CreditedEvent(crm.DealStageChange, "deal__client", "changed_at"),
    CreditedEvent(crm.Project, "client", "due_on"),
    CreditedEvent(crm.SharedGoal, "client", "due_on"),
    CreditedEvent(crm.FeedbackItem, "client", "received_on"),
    CreditedEvent(crm.PartnerReferral, "partner", "received_on"),
]


def register_credited_event(model: type[models.Model], client_field: str, time_field: str) -> None:
    """Let another app's event model be restamped with the crm's own (called from ready())."""
    if not any(event.model is model for event in CREDITED_EVENTS):
        CREDITED_EVENTS.append(CreditedEvent(model, client_field, time_field))


def as_instant(value: date | datetime) -> datetime:
    """A date counts from the start of that day in the organisation's time zone."""
    if isinstance(value, datetime):
        return value
    return timezone.make_aware(datetime.combine(value, time.min))


class OwnershipTimeline:
    """The ownership spans of one client, answering "who owned it at instant t"."""

    def __init__(self, spans: list[crm.ClientOwnership]):
        self.spans = sorted(spans, key=lambda span: span.started_at)
        self.starts = [span.started_at for span in self.spans]

    @classmethod
    def of(cls, client: crm.Client) -> OwnershipTimeline:
        return cls(list(crm.ClientOwnership.objects.filter(client=client)))

    def owner_id_at(self, when: date | datetime) -> int | None:
        if not self.spans:
            return None
        index = bisect_right(self.starts, as_instant(when)) - 1
        # Events from before the first recorded ownership count for the first owner.
        return self.spans[max(index, 0)].owner_id


def owner_id_at(client: crm.Client, when: date | datetime) -> int:
    owner_id = OwnershipTimeline.of(client).owner_id_at(when)
    return owner_id if owner_id is not None else client.owner_id


def restamp_client_events(client: crm.Client) -> int:
    """Re-derive ``owner`` on every event of ``client`` from its ownership history.

    Called whenever that history changes (a reassignment, an imported history), so that
    attribution never drifts from the history. Returns how many rows changed.
    """
    timeline = OwnershipTimeline.of(client)
    changed = 0
    for event in CREDITED_EVENTS:
        rows = list(
            event.model.objects.filter(**{event.client_field: client}).only(
                "id", "owner_id", event.time_field
            )
        )
        stale = []
        for row in rows:
            owner_id = timeline.owner_id_at(getattr(row, event.time_field))
            if owner_id is not None and owner_id != row.owner_id:
                row.owner_id = owner_id
                stale.append(row)
        event.model.objects.bulk_update(stale, ["owner"], batch_size=500)
        changed += len(stale)
    return changed
