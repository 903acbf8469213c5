"""Edits and deletions of a client's records, read from the edit history
(django-simple-history), for the client page's timeline as "edited" and "deleted" entries.

Creations are on the timeline already as the records themselves; here only changes count.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from crm.models import (
    Client,
    Contact,
    Deal,
    FeedbackItem,
    FollowUp,
    GoalReview,
    Interaction,
    PartnerCertification,
    PartnerReferral,
    Project,
    RevenueLine,
    SharedGoal,
    SupportIssue,
)

# (model, what the timeline calls it, how a row names the client, how it names the record).
# A goal review names its client through its goal ("goal__client_id" is looked up on the live
# goals, so the reviews of a deleted goal leave the timeline with it).
TRACKED = (
    (Client, "Client", "id", lambda r: "Client details"),
    (Contact, "Contact", "client_id", lambda r: f"Contact {r.name}"),
    (
        Interaction,
        "Interaction",
        "client_id",
        lambda r: f"{r.get_kind_display()} “{r.topic or r.summary[:40]}”",
    ),
    (FollowUp, "Follow-up", "client_id", lambda r: f"Follow-up “{r.title}”"),
    (Project, "Project", "client_id", lambda r: f"Project “{r.name}”"),
    (SharedGoal, "Shared goal", "client_id", lambda r: f"Shared goal “{r.title}”"),
    (FeedbackItem, "Feedback", "client_id", lambda r: f"Feedback “{r.summary[:40]}”"),
    (GoalReview, "Goal review", "goal__client_id", lambda r: f"Goal review of {r.reviewed_on}"),
    (Deal, "Deal", "client_id", lambda r: f"Deal “{r.title}”"),
    (SupportIssue, "Support issue", "client_id", lambda r: f"Support issue “{r.title}”"),
    (RevenueLine, "Revenue", "client_id", lambda r: f"Revenue of {r.recognised_on}"),
    (PartnerReferral, "Referral", "partner_id", lambda r: f"Referral of {r.lead_name}"),
    (
        PartnerCertification,
        "Certification",
        "partner_id",
        lambda r: f"Certification “{r.name}”",
    ),
)
# Bookkeeping columns an edit page never shows; a change there alone is not an "edit".
IGNORED = {"id", "created_at", "updated_at", "owner", "missed_due_on"}
# Columns that actions with their own timeline entries change: a deal's move (its stage
# change), an issue's response and resolution. Only what an edit page changes is an "edit".
IGNORED_PER_MODEL = {
    Deal: {"stage", "closed_at", "lost_reason", "lost_note"},
    SupportIssue: {"first_response_at", "resolved_at"},
}


@dataclass(frozen=True)
class Change:
    field: str
    old: object
    new: object


@dataclass(frozen=True)
class EditEvent:
    at: datetime
    label: str
    what: str
    verb: str  # "edited" or "deleted"
    user: object
    changes: list[Change]


def _shown_fields(model) -> list:
    ignored = IGNORED | IGNORED_PER_MODEL.get(model, set())
    return [f for f in model._meta.concrete_fields if f.name not in ignored]


def _of_client(column: str, client: Client) -> Q:
    if column == "goal__client_id":
        return Q(goal_id__in=SharedGoal.objects.filter(client=client).values("pk"))
    return Q(**{column: client.pk})


def client_edit_events(client: Client, limit: int | None = None) -> list[EditEvent]:
    """The latest ``limit`` edits and deletions per record family, with the fields each edit
    changed (old and new). One query per family, plus one per family that has edits."""
    events: list[EditEvent] = []
    for model, what, client_column, name in TRACKED:
        history = model.history.filter(_of_client(client_column, client))
        edits = list(
            history.filter(history_type__in=("~", "-"))
            .select_related("history_user")
            .order_by("-history_date", "-history_id")[:limit]
        )
        if not edits:
            continue
        rows = defaultdict(list)
        for row in history.filter(id__in={e.id for e in edits}).order_by(
            "history_date", "history_id"
        ):
            rows[row.id].append(row)
        fields = _shown_fields(model)
        for edit in edits:
            versions = rows[edit.id]
            index = next(i for i, row in enumerate(versions) if row.history_id == edit.history_id)
            if edit.history_type == "-":
                changes, verb = [], "deleted"
            elif index == 0:
                continue
            else:
                before = versions[index - 1]
                changes = [
                    Change(
                        str(f.verbose_name), getattr(before, f.attname), getattr(edit, f.attname)
                    )
                    for f in fields
                    if getattr(before, f.attname) != getattr(edit, f.attname)
                ]
                verb = "edited"
                if not changes:
                    continue
            events.append(
                EditEvent(
                    edit.history_date,
                    name(edit),
                    what,
                    verb,
                    edit.history_user,
                    changes,
                )
            )
    return events
