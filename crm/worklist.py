"""Reads for a manager's worklist: what is slipping in the teams they oversee. Overdue
follow-ups grouped by the BRM who owes them, with their age, and support issues past their SLA.
Unhappy survey answers still waiting for a closed loop are added by the surveys app (its
``worklist_detractors`` panel), so this module knows nothing of surveys.

A fixed number of queries whatever the number of BRMs and rows: one aggregate per BRM, one
windowed read of each BRM's oldest few, one read of the open issues."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, F, Min, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from accounts.models import User
from crm.access import follow_ups_visible_to, records_visible_to
from crm.models import FollowUp, SupportIssue

# The oldest overdue follow-ups listed per BRM; the count says how many there are in all.
OLDEST_SHOWN = 5


@dataclass
class OverdueGroup:
    """One BRM's overdue follow-ups: how many, since when, and the oldest few."""

    owner: User
    count: int
    oldest_due_on: date
    oldest: list[FollowUp] = field(default_factory=list)

    @property
    def more(self) -> int:
        """How many are overdue beyond the ones listed."""
        return self.count - len(self.oldest)

    def age_days(self, today: date | None = None) -> int:
        return ((today or timezone.localdate()) - self.oldest_due_on).days


def overdue_follow_ups(user: User, today: date | None = None) -> QuerySet[FollowUp]:
    """Open follow-ups past due on the clients ``user`` reads."""
    today = today or timezone.localdate()
    return follow_ups_visible_to(user).open().filter(due_on__lt=today)


def overdue_by_owner(user: User, today: date | None = None) -> list[OverdueGroup]:
    """``overdue_follow_ups`` per BRM who owes them, the most overdue first (by count, then by
    the oldest due date). Two queries."""
    overdue = overdue_follow_ups(user, today)
    totals = list(
        overdue.order_by()
        .values("owner")
        .annotate(n=Count("pk"), oldest=Min("due_on"))
        .order_by("-n", "oldest", "owner")
    )
    rows = (
        overdue.annotate(
            rank=Window(
                RowNumber(), partition_by=[F("owner_id")], order_by=[F("due_on").asc(), F("pk")]
            )
        )
        .filter(rank__lte=OLDEST_SHOWN)
        .select_related("client", "owner")
        .order_by("due_on", "pk")
    )
    oldest: dict[int, list[FollowUp]] = {}
    owners: dict[int, User] = {}
    for follow_up in rows:
        oldest.setdefault(follow_up.owner_id, []).append(follow_up)
        owners[follow_up.owner_id] = follow_up.owner
    return [
        OverdueGroup(owners[t["owner"]], t["n"], t["oldest"], oldest[t["owner"]]) for t in totals
    ]


def breached_issues(user: User, now: datetime | None = None) -> list[SupportIssue]:
    """Unresolved issues ``user`` reads whose SLA deadline has passed, the longest breached
    first. One query; the deadline (opened + SLA hours) is computed per row."""
    now = now or timezone.now()
    issues = (
        records_visible_to(user, SupportIssue)
        .filter(resolved_at__isnull=True)
        .select_related("client", "owner")
    )
    return sorted(
        (issue for issue in issues if issue.sla_deadline <= now),
        key=lambda issue: issue.sla_deadline,
    )


# --- The CSV export ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WorklistRow:
    """One line of the worklist's CSV: ``section`` says what it is, ``brm`` is the e-mail of
    whoever owes it, ``since`` when it started slipping (a follow-up's due date, an issue's SLA
    deadline, the date of an unhappy answer) and ``age_days`` the whole days from then to
    today (0 for a deadline passed today)."""

    section: str
    brm: str
    client: str
    item: str
    since: date | datetime
    age_days: int
    detail: str = ""


# Sections of the CSV added by apps above crm (surveys' unhappy answers): each a function of
# (user, now) returning rows of what that user may read, registered from an AppConfig.ready.
WorklistSection = Callable[[User, datetime], Iterable[WorklistRow]]
WORKLIST_SECTIONS: list[WorklistSection] = []


def register_worklist_section(section: WorklistSection) -> None:
    """Add ``section``'s rows to every worklist export, after the overdue follow-ups."""
    if section not in WORKLIST_SECTIONS:
        WORKLIST_SECTIONS.append(section)


def _overdue_rows(user: User, now: datetime) -> list[WorklistRow]:
    today = timezone.localdate(now)
    follow_ups = (
        overdue_follow_ups(user, today)
        .select_related("client", "owner")
        .order_by("owner__full_name", "owner_id", "due_on", "pk")
    )
    return [
        WorklistRow(
            "overdue follow-up",
            f.owner.email,
            f.client.name,
            f.title,
            f.due_on,
            f.days_overdue(today),
        )
        for f in follow_ups
    ]


def _breached_rows(user: User, now: datetime) -> list[WorklistRow]:
    return [
        WorklistRow(
            "SLA breach",
            issue.owner.email,
            issue.client.name,
            issue.title,
            issue.sla_deadline,
            (timezone.localdate(now) - timezone.localdate(issue.sla_deadline)).days,
            issue.get_priority_display(),
        )
        for issue in breached_issues(user, now)
    ]


def worklist_rows(user: User, now: datetime | None = None) -> list[WorklistRow]:
    """Everything the worklist shows ``user``, one row per item, its sections in the page's
    order: every overdue follow-up (BRM by BRM in name order, each one's oldest first), the
    registered sections' rows, then the issues past their SLA, longest breached first. One
    query per section, whatever the number of rows."""
    now = now or timezone.now()
    rows = _overdue_rows(user, now)
    for section in WORKLIST_SECTIONS:
        rows += section(user, now)
    return rows + _breached_rows(user, now)
