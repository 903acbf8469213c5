"""Reads of a client's projects, shared goals (with reviews), feedback and partner records,
for the client page's sections: one query per family whatever the number of rows."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch

from crm.models import Client, GoalReview, RelationshipType


@dataclass(frozen=True)
class ClientRecords:
    projects: list
    goals: list
    feedback: list
    referrals: list
    certifications: list


def client_records(client: Client) -> ClientRecords:
    """Open ones first in each family, then the latest closed. Cached on the instance so the
    page's sections and its timeline share the queries."""
    cached = getattr(client, "_records_cache", None)
    if cached is not None:
        return cached
    is_partner = client.relationship_type == RelationshipType.PARTNER
    client._records_cache = ClientRecords(
        projects=list(client.projects.order_by("completed_at", "due_on", "pk")),
        goals=list(
            client.shared_goals.prefetch_related(
                Prefetch("reviews", queryset=GoalReview.objects.order_by("-reviewed_on", "-pk"))
            ).order_by("-due_on", "-pk")
        ),
        feedback=list(client.feedback_items.order_by("-closed_on", "-received_on", "-pk")),
        referrals=list(
            client.referrals_made.select_related("referred_client").order_by("-received_on")
        )
        if is_partner
        else [],
        certifications=list(client.certifications.order_by("-valid_until")) if is_partner else [],
    )
    return client._records_cache
