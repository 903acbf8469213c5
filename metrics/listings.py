"""How each kind of record behind a KPI is listed on a drill-down: order, related rows, the
client it belongs to, and its columns as text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import OuterRef, Subquery
from django.utils import dateformat

from crm import models as crm
from crm.formatting import MISSING, format_money
from metrics import sources as src
from metrics.figures import local_stamp
from metrics.periods import Window
from surveys.models import Invitation, Response


def _last_touch(window: Window) -> Subquery:
    """A client's latest interaction (other than a note) before the window's end."""
    return Subquery(
        crm.Interaction.objects.filter(
            src.NOT_NOTE, client=OuterRef("pk"), occurred_at__lt=window.until
        )
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )


# A column some KPIs' records need to make sense: dormancy is about the last touch.
EXTRA_COLUMNS: dict[str, tuple[str, Callable[[Window], object]]] = {
    "dormant_share": ("Last touch", _last_touch),
    "engagement_rate": ("Last touch", _last_touch),
}


def fmt_instant(value: datetime | None) -> str:
    return local_stamp(value) if value else MISSING


def fmt_day(value: date | None) -> str:
    return dateformat.format(value, "j M Y") if value else MISSING


def _clip(text: str, length: int = 90) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


# A column of a listing: its header and how a record shows in it.
Column = tuple[str, Callable[[object], str]]


@dataclass(frozen=True)
class Listing:
    """How one kind of record is listed: its order, related rows fetched with it, the client
    it belongs to and its columns (header, value as text)."""

    order: tuple[str, ...]
    related: tuple[str, ...]
    client: Callable[[object], crm.Client | None]
    columns: tuple[Column, ...]


def _falling_due(name: Column, outcome: Column) -> Listing:
    """A client's record that falls due on a day (follow-up, project, shared goal), listed by
    due day: its name, the day and what came of it."""
    return Listing(
        ("due_on", "pk"),
        ("client",),
        lambda r: r.client,
        (name, ("Due", lambda r: fmt_day(r.due_on)), outcome),
    )


LISTINGS: dict[type, Listing] = {
    Response: Listing(
        ("-answered_at", "-pk"),
        ("client", "contact", "follow_up"),
        lambda r: r.client,
        (
            ("Answered", lambda r: fmt_instant(r.answered_at)),
            ("Contact", lambda r: str(r.contact or "—")),
            ("Survey", lambda r: r.get_kind_display()),
            ("Score", lambda r: str(r.score)),
            ("Comment", lambda r: _clip(r.comment) or "—"),
            (
                "Follow-up done",
                lambda r: fmt_instant(r.follow_up.done_at) if r.follow_up else "no follow-up",
            ),
        ),
    ),
    Invitation: Listing(
        ("-delivered_at", "-pk"),
        ("client", "contact", "response"),
        lambda r: r.client,
        (
            ("Delivered", lambda r: fmt_instant(r.delivered_at)),
            ("Contact", lambda r: str(r.contact)),
            ("Survey", lambda r: r.get_kind_display()),
            ("Status", lambda r: r.get_status_display()),
        ),
    ),
    crm.Client: Listing(
        ("name", "pk"),
        ("owner",),
        lambda r: r,
        (
            ("Type", lambda r: r.get_relationship_type_display()),
            ("Relationship since", lambda r: fmt_day(r.relationship_started_on)),
            ("Status now", lambda r: r.get_status_display()),
            ("Owner now", lambda r: str(r.owner)),
        ),
    ),
    crm.Interaction: Listing(
        ("-occurred_at", "-pk"),
        ("client",),
        lambda r: r.client,
        (
            ("When", lambda r: fmt_instant(r.occurred_at)),
            ("Kind", lambda r: r.get_kind_display()),
            ("Direction", lambda r: r.get_direction_display()),
            ("Topic", lambda r: r.topic or "—"),
            ("Summary", lambda r: _clip(r.summary) or "—"),
        ),
    ),
    crm.Interaction.contacts.through: Listing(
        ("-interaction__occurred_at", "-pk"),
        ("interaction__client", "contact"),
        lambda r: r.interaction.client,
        (
            ("When", lambda r: fmt_instant(r.interaction.occurred_at)),
            ("Contact", lambda r: str(r.contact)),
            ("Interaction", lambda r: r.interaction.get_kind_display()),
        ),
    ),
    crm.Contact: Listing(
        ("-created_at", "-pk"),
        ("client",),
        lambda r: r.client,
        (
            ("Added", lambda r: fmt_instant(r.created_at)),
            ("Contact", lambda r: r.name),
            ("Role", lambda r: r.role or "—"),
        ),
    ),
    crm.FollowUp: _falling_due(
        ("Follow-up", lambda r: r.title),
        ("Done", lambda r: fmt_instant(r.done_at) if r.done_at else "not done"),
    ),
    crm.RevenueLine: Listing(
        ("-recognised_on", "-pk"),
        ("client", "product"),
        lambda r: r.client,
        (
            ("Recognised", lambda r: fmt_day(r.recognised_on)),
            ("Product", lambda r: str(r.product)),
            ("Cost to serve", lambda r: format_money(r.cost_to_serve)),
        ),
    ),
    crm.DealStageChange: Listing(
        ("-changed_at", "-pk"),
        ("deal__client", "from_stage", "to_stage"),
        lambda r: r.deal.client,
        (
            ("When", lambda r: fmt_instant(r.changed_at)),
            ("Deal", lambda r: r.deal.title),
            ("Kind", lambda r: r.deal.get_kind_display()),
            ("From stage", lambda r: str(r.from_stage or "—")),
            ("To stage", lambda r: str(r.to_stage)),
            ("Deal value", lambda r: format_money(r.deal.value)),
        ),
    ),
    crm.SupportIssue: Listing(
        ("-opened_at", "-pk"),
        ("client",),
        lambda r: r.client,
        (
            ("Issue", lambda r: r.title),
            ("Priority", lambda r: f"{r.get_priority_display()} ({r.sla_hours} h SLA)"),
            ("Opened", lambda r: fmt_instant(r.opened_at)),
            ("First response", lambda r: fmt_instant(r.first_response_at)),
            ("Resolved", lambda r: fmt_instant(r.resolved_at)),
        ),
    ),
    crm.Project: _falling_due(
        ("Project", lambda r: r.name),
        ("Completed", lambda r: fmt_instant(r.completed_at) if r.completed_at else "no"),
    ),
    crm.SharedGoal: _falling_due(
        ("Goal", lambda r: r.title),
        ("Met", lambda r: {True: "yes", False: "no", None: "not assessed"}[r.met]),
    ),
    crm.FeedbackItem: Listing(
        ("-closed_on", "-pk"),
        ("client",),
        lambda r: r.client,
        (
            ("Feedback", lambda r: _clip(r.summary)),
            ("Closed", lambda r: fmt_day(r.closed_on)),
            ("Outcome", lambda r: r.get_outcome_display() or "—"),
        ),
    ),
    crm.PartnerReferral: Listing(
        ("-received_on", "-pk"),
        ("partner",),
        lambda r: r.partner,
        (
            ("Lead", lambda r: r.lead_name),
            ("Received", lambda r: fmt_day(r.received_on)),
        ),
    ),
}
