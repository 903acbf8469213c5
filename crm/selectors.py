"""Reads for the pages a BRM lives in. Each selector returns rows with their relations already
loaded, so a page costs a fixed number of queries however many rows it shows."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import chain
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from accounts.models import User
from crm.access import (
    brms_visible_to,
    clients_owned_by,
    clients_visible_to,
    follow_ups_owned_by,
)
from crm.attribution import as_instant
from crm.edit_history import client_edit_events
from crm.models import (
    Client,
    ClientOwnership,
    ClientStatusChange,
    Contact,
    Deal,
    DealStage,
    DealStageChange,
    FollowUp,
    ImportBatch,
    ImportedRecord,
    Interaction,
    LifecycleStatus,
    RevenueLine,
    SupportIssue,
)
from crm.record_selectors import client_records

# Sortable columns of the book: key -> the annotation (or expression) rows are ordered by.
# Empty values (never touched, no answers, no open renewal) sort last whichever the direction,
# except "oldest touch first", which leads with the never-touched clients: the most stale.
BOOK_SORT_FIELDS = {
    "name": Lower("name"),
    "last_touch": F("last_touch"),
    "follow_ups": F("open_follow_ups"),
    "revenue": F("revenue_12m"),
    "renewal": F("renewal_on"),
}


@dataclass(frozen=True)
class BookColumn:
    """A column of the book added by an app above ``crm`` (surveys' NPS), registered from its
    AppConfig.ready so the book imports none of them.

    ``annotate(clients, since)`` adds the column's annotations (one subquery each, ``since``
    the start of the 12 months shown); ``sort_field`` is the annotation sorted on under the
    key ``key``; ``cell_template`` renders one row's cell (``client`` in its context);
    ``csv_headers``/``csv_values(client)`` are the column's cells in the CSV export."""

    key: str
    label: str
    annotate: Callable[[QuerySet[Client], datetime], QuerySet[Client]]
    sort_field: str
    cell_template: str
    csv_headers: tuple[str, ...]
    csv_values: Callable[[Client], list]


BOOK_COLUMNS: list[BookColumn] = []


def register_book_column(column: BookColumn) -> None:
    """Show ``column`` in every book (the list page and its CSV export)."""
    if all(c.key != column.key for c in BOOK_COLUMNS):
        BOOK_COLUMNS.append(column)


def book_sort_keys() -> list[str]:
    """Every valid ``sort`` of the book, each column ascending and (``-``) descending."""
    keys = [*BOOK_SORT_FIELDS, *(c.key for c in BOOK_COLUMNS)]
    return [direction + key for key in keys for direction in ("", "-")]


def _book_ordering(sort: str) -> tuple:
    """ORDER BY for a ``sort`` key; an unknown key sorts by name. Ties break on name, then pk,
    so paging never repeats or skips a row."""
    key = sort.lstrip("-")
    field = BOOK_SORT_FIELDS.get(key)
    if field is None:
        column = next((c for c in BOOK_COLUMNS if c.key == key), None)
        if column is None:
            return (Lower("name").asc(), "pk")
        field = F(column.sort_field)
    descending = sort.startswith("-")
    if key == "last_touch" and not descending:
        first = field.asc(nulls_first=True)
    else:
        first = field.desc(nulls_last=True) if descending else field.asc(nulls_last=True)
    if key == "name":
        return (first, "-pk" if descending else "pk")
    return (first, Lower("name").asc(), "pk")


def dormant_cutoff(now: datetime | None = None) -> datetime:
    """Interactions before this instant no longer keep a client out of dormancy."""
    return (now or timezone.now()) - timedelta(days=settings.DORMANT_AFTER_DAYS)


def per_client(rows: QuerySet, aggregate) -> Subquery:
    """``aggregate`` (``Count("pk")``, ``Sum("amount")``) over ``rows`` of the outer query's
    client, as a correlated subquery: None for a client without rows."""
    return Subquery(
        rows.filter(client=OuterRef("pk"))
        .order_by()
        .values("client")
        .annotate(value=aggregate)
        .values("value")
    )


def with_book_columns(clients: QuerySet[Client], now: datetime | None = None) -> QuerySet[Client]:
    """Annotate each client with ``last_touch`` (latest interaction), ``open_follow_ups``,
    ``revenue_12m`` (revenue recognised in the last 365 days; None when there is none),
    ``renewal_on`` (the earliest expected close of an open renewal deal; None without one or
    when none has a date) and the registered ``BOOK_COLUMNS``' annotations: correlated
    subqueries, so the list stays one query and the columns never multiply each other."""
    now = now or timezone.now()
    last_touch = (
        Interaction.objects.filter(client=OuterRef("pk"))
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    year_ago = timezone.localdate(now) - timedelta(days=365)
    revenue = RevenueLine.objects.filter(recognised_on__gt=year_ago)
    renewal = (
        Deal.objects.filter(
            client=OuterRef("pk"),
            kind=Deal.Kind.RENEWAL,
            closed_at__isnull=True,
            expected_close_on__isnull=False,
        )
        .order_by("expected_close_on")
        .values("expected_close_on")[:1]
    )
    clients = clients.annotate(
        last_touch=Subquery(last_touch),
        open_follow_ups=Coalesce(per_client(FollowUp.objects.open(), Count("pk")), Value(0)),
        revenue_12m=per_client(revenue, Sum("amount")),
        renewal_on=Subquery(renewal),
    )
    for column in BOOK_COLUMNS:
        clients = column.annotate(clients, now - timedelta(days=365))
    return clients


def dormant(clients: QuerySet[Client], now: datetime | None = None) -> QuerySet[Client]:
    """Active clients with no interaction since the dormancy cutoff (never touched included).
    Expects ``with_book_columns`` to have been applied."""
    return clients.filter(status=LifecycleStatus.ACTIVE).filter(
        Q(last_touch__isnull=True) | Q(last_touch__lt=dormant_cutoff(now))
    )


def client_book(
    *,
    user: User,
    search: str = "",
    relationship_type: str = "",
    status: str = "",
    only_dormant: bool = False,
    owner: User | None = None,
    sort: str = "name",
) -> QuerySet[Client]:
    """The clients ``user`` may read, filtered and sorted for the book page."""
    clients = with_book_columns(clients_visible_to(user).select_related("owner"))
    if search:
        contact_matches = Contact.objects.filter(client=OuterRef("pk")).filter(
            Q(name__icontains=search) | Q(email__icontains=search)
        )
        clients = clients.filter(
            Q(name__icontains=search) | Q(industry__icontains=search) | Exists(contact_matches)
        )
    if relationship_type:
        clients = clients.filter(relationship_type=relationship_type)
    if status:
        clients = clients.filter(status=status)
    if only_dormant:
        clients = dormant(clients)
    if owner is not None:
        clients = clients.filter(owner=owner)
    return clients.order_by(*_book_ordering(sort))


def book_owners(user: User) -> QuerySet[User]:
    """The BRMs whose books ``user`` may read, for the owner filter."""
    return brms_visible_to(user)


def reassign_candidates(user: User) -> QuerySet[User]:
    """Who ``user`` may hand a client to: the active BRMs they can see."""
    return book_owners(user)


@dataclass(frozen=True)
class ClientFacts:
    revenue_12m: Decimal
    open_deals: int
    open_deal_value: Decimal
    open_issues: int
    tenure_months: int

    @property
    def tenure(self) -> str:
        years, months = divmod(self.tenure_months, 12)
        if not years:
            return f"{months} month{'s' if months != 1 else ''}"
        return f"{years} yr {months} mo" if months else f"{years} yr"


def client_facts(client: Client, today: date | None = None) -> ClientFacts:
    """The numbers in a client page's header, in one query."""
    today = today or timezone.localdate()
    revenue = RevenueLine.objects.filter(recognised_on__gt=today - timedelta(365))
    deals = Deal.objects.filter(closed_at__isnull=True)
    row = (
        Client.objects.filter(pk=client.pk)
        .annotate(
            revenue_12m=per_client(revenue, Sum("amount")),
            open_deals=per_client(deals, Count("pk")),
            open_deal_value=per_client(deals, Sum("value")),
            open_issues=per_client(
                SupportIssue.objects.filter(resolved_at__isnull=True), Count("pk")
            ),
        )
        .values("revenue_12m", "open_deals", "open_deal_value", "open_issues")
        .get()
    )
    started = client.relationship_started_on
    months = (today.year - started.year) * 12 + today.month - started.month
    if today.day < started.day:
        months -= 1
    return ClientFacts(
        revenue_12m=row["revenue_12m"] or settings.ZERO_MONEY,
        open_deals=row["open_deals"] or 0,
        open_deal_value=row["open_deal_value"] or settings.ZERO_MONEY,
        open_issues=row["open_issues"] or 0,
        tenure_months=max(months, 0),
    )


# --- The client timeline ----------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEvent:
    """One thing that happened to a client. ``kind`` picks the template used to show ``item``;
    ``dated`` is true for events recorded by day rather than by instant."""

    at: datetime
    kind: str
    item: Any
    dated: bool = False
    # For events of apps above the book: what the event is called and the template showing
    # ``item`` (the book's own kinds are worded in crm/partials/timeline_event.html).
    label: str = ""
    template: str = ""


# The client page shows the latest events; "Show the whole history" lists them all.
TIMELINE_LIMIT = 40

TimelineSource = Callable[[Client, int | None], Iterable[TimelineEvent]]
# Events of apps above the book (survey answers), each a function of (client, limit) giving at
# most ``limit`` events newest first. Registered from the app's AppConfig.ready, so the book
# imports none of them.
TIMELINE_SOURCES: list[TimelineSource] = []


def register_timeline_source(source: TimelineSource) -> None:
    """Add ``source``'s events to every client's timeline."""
    if source not in TIMELINE_SOURCES:
        TIMELINE_SOURCES.append(source)


def client_timeline(client: Client, limit: int | None = TIMELINE_LIMIT) -> list[TimelineEvent]:
    """Everything that happened to ``client``, newest first, at most ``limit`` events (all of
    them with ``limit=None``).

    Each source is read newest first and cut at ``limit`` before the merge, which keeps the
    merged head exact: no event beyond a source's first ``limit`` can be among the newest
    ``limit`` overall. One query per source (the book's and ``TIMELINE_SOURCES``), whatever the
    number of events.
    """
    interactions = (
        client.interactions.select_related("logged_by", "owner", "in_reply_to")
        .prefetch_related("contacts")
        .annotate(
            has_reply=Exists(Interaction.objects.filter(in_reply_to=OuterRef("pk"))),
        )
        .order_by("-occurred_at", "-pk")[:limit]
    )
    issues = client.support_issues.select_related("contact").order_by("-opened_at", "-pk")[:limit]
    stage_changes = (
        DealStageChange.objects.filter(deal__client=client)
        .select_related("deal", "from_stage", "to_stage", "changed_by")
        .order_by("-changed_at", "-pk")[:limit]
    )
    revenue = client.revenue_lines.select_related("product").order_by("-recognised_on", "-pk")[
        :limit
    ]
    follow_ups = client.follow_ups.select_related("owner").order_by("-created_at", "-pk")[:limit]
    records = client_records(client)
    events = chain(
        (TimelineEvent(i.occurred_at, "interaction", i) for i in interactions),
        *(source(client, limit) for source in TIMELINE_SOURCES),
        (TimelineEvent(i.opened_at, "issue", i) for i in issues),
        (TimelineEvent(c.changed_at, "deal", c) for c in stage_changes),
        (TimelineEvent(as_instant(r.recognised_on), "revenue", r, dated=True) for r in revenue),
        _follow_up_events(follow_ups),
        _history_events(client),
        _record_events(records),
        (TimelineEvent(e.at, "edit", e) for e in client_edit_events(client, limit)),
    )
    return sorted(events, key=lambda event: event.at, reverse=True)[:limit]


def _follow_up_events(follow_ups) -> list[TimelineEvent]:
    events = []
    for follow_up in follow_ups:
        events.append(TimelineEvent(follow_up.created_at, "follow_up", follow_up))
        if follow_up.done_at:
            events.append(TimelineEvent(follow_up.done_at, "follow_up_done", follow_up))
    return events


def _record_events(records) -> list[TimelineEvent]:
    """Projects, shared goals with their reviews, and feedback, from the page's sections."""
    events = []
    for project in records.projects:
        events.append(
            TimelineEvent(
                as_instant(project.started_on or project.due_on), "project", project, dated=True
            )
        )
        if project.completed_at:
            events.append(TimelineEvent(project.completed_at, "project_done", project))
    for goal in records.goals:
        events.append(TimelineEvent(goal.created_at, "goal", goal))
        events += [
            TimelineEvent(as_instant(r.reviewed_on), "goal_review", r, dated=True)
            for r in goal.reviews.all()
        ]
    events += [
        TimelineEvent(as_instant(item.received_on), "feedback", item, dated=True)
        for item in records.feedback
    ]
    return events


def _history_events(client: Client) -> list[TimelineEvent]:
    """Ownership and status changes; the rows are few, and the page shows them in full."""
    history = client_history(client)
    events = [TimelineEvent(o.started_at, "ownership", o) for o in history.ownerships]
    events += [
        TimelineEvent(as_instant(s.effective_on), "status", s, dated=True) for s in history.statuses
    ]
    return events


@dataclass(frozen=True)
class ClientHistory:
    ownerships: list[ClientOwnership]
    statuses: list[ClientStatusChange]


def client_history(client: Client) -> ClientHistory:
    """Dated ownership spans and lifecycle changes, oldest first. Cached on the instance so the
    timeline and the history card share two queries."""
    cached = getattr(client, "_history_cache", None)
    if cached is None:
        ownerships = list(
            ClientOwnership.objects.filter(client=client)
            .select_related("owner", "changed_by")
            .order_by("started_at", "pk")
        )
        statuses = list(
            ClientStatusChange.objects.filter(client=client)
            .select_related("recorded_by")
            .order_by("effective_on", "pk")
        )
        cached = ClientHistory(ownerships, statuses)
        client._history_cache = cached
    return cached


def open_follow_ups(client: Client) -> QuerySet[FollowUp]:
    return client.follow_ups.open().select_related("owner").order_by("due_on")


def client_contacts(client: Client) -> QuerySet[Contact]:
    return client.contacts.order_by("name")


# --- Today ------------------------------------------------------------------------------------


# Overdue follow-ups shown per page on Today: a BRM can have hundreds, and all of them at once
# made a 200 KB page.
OVERDUE_PER_PAGE = 20


@dataclass(frozen=True)
class TodayFollowUps:
    overdue: Page
    due_today: list[FollowUp]
    this_week: list[FollowUp]


def follow_ups_due(
    user: User, today: date | None = None, *, overdue_page: object = 1
) -> TodayFollowUps:
    """``user``'s open follow-ups that are overdue (one page of them, oldest first; a page
    number out of range or not a number gives the nearest page), due today or due in the next
    seven days."""
    today = today or timezone.localdate()
    open_ = today_follow_ups(user, today)
    upcoming = list(open_.filter(due_on__gte=today, due_on__lte=today + timedelta(days=7)))
    return TodayFollowUps(
        overdue=Paginator(open_.filter(due_on__lt=today), OVERDUE_PER_PAGE).get_page(overdue_page),
        due_today=[f for f in upcoming if f.due_on == today],
        this_week=[f for f in upcoming if f.due_on > today],
    )


def today_follow_ups(user: User, today: date | None = None) -> QuerySet[FollowUp]:
    """Every open follow-up of ``user``'s that Today lists (overdue, or due within seven days),
    oldest due first, with its client: the page's lists and its CSV export."""
    today = today or timezone.localdate()
    return (
        follow_ups_owned_by(user)
        .open()
        .filter(due_on__lte=today + timedelta(days=7))
        .select_related("client")
        .order_by("due_on", "pk")
    )


def dormant_clients(user: User, limit: int = 20) -> list[Client]:
    """The clients in ``user``'s own book going cold, stalest first."""
    clients = with_book_columns(clients_owned_by(user))
    return list(
        dormant(clients).order_by(F("last_touch").asc(nulls_first=True), Lower("name"))[:limit]
    )


# --- Pipeline ---------------------------------------------------------------------------------


@dataclass
class PipelineColumn:
    stage: DealStage
    deals: list[Deal]

    @property
    def total(self) -> Decimal:
        return sum((deal.value for deal in self.deals), settings.ZERO_MONEY)

    @property
    def weighted(self) -> Decimal:
        """The sum of each deal's value times its ``effective_probability`` / 100 (its own
        probability, else its stage's default, else 0), unrounded: pages and exports round it
        through ``crm.formatting``."""
        return sum(
            (deal.value * deal.effective_probability / 100 for deal in self.deals),
            settings.ZERO_MONEY,
        )


CLOSED_DEALS_SHOWN_DAYS = 30


def pipeline(
    user: User, now: datetime | None = None, *, owner: User | None = None
) -> list[PipelineColumn]:
    """One column per stage with the deals ``user`` may read (only ``owner``'s, given one):
    every open deal, and deals won or lost in the last ``CLOSED_DEALS_SHOWN_DAYS`` days (older
    ones only clutter the board). Two queries."""
    now = now or timezone.now()
    stages = list(DealStage.objects.order_by("position"))
    deals = (
        Deal.objects.filter(client__in=clients_visible_to(user))
        .filter(
            Q(closed_at__isnull=True)
            | Q(closed_at__gte=now - timedelta(days=CLOSED_DEALS_SHOWN_DAYS))
        )
        .select_related("client", "owner", "stage", "lost_reason")
        .order_by("-value", "pk")
    )
    if owner is not None:
        deals = deals.filter(owner=owner)
    columns = {stage.pk: PipelineColumn(stage, []) for stage in stages}
    for deal in deals:
        columns[deal.stage_id].deals.append(deal)
    return list(columns.values())


# --- Support ----------------------------------------------------------------------------------


def support_queue(user: User) -> list[SupportIssue]:
    """Unresolved issues ``user`` may read, the nearest SLA deadline first."""
    issues = (
        SupportIssue.objects.filter(client__in=clients_visible_to(user), resolved_at__isnull=True)
        .select_related("client", "owner", "contact")
        .order_by("opened_at", "pk")
    )
    return sorted(issues, key=lambda issue: issue.sla_deadline)


@dataclass(frozen=True)
class SlaClock:
    """How an open issue stands against its SLA, for people: a state and a sentence."""

    state: str  # "ok", "due_soon" or "breached"
    text: str


def sla_clock(issue: SupportIssue, now: datetime | None = None) -> SlaClock:
    now = now or timezone.now()
    left = issue.sla_deadline - now
    if left <= timedelta(0):
        return SlaClock("breached", f"Breached {_duration(-left)} ago")
    # The last quarter of the SLA window is when someone should drop everything.
    if left <= timedelta(hours=issue.sla_hours) / 4:
        return SlaClock("due_soon", f"{_duration(left)} left")
    return SlaClock("ok", f"{_duration(left)} left")


def _duration(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours >= 48:
        return f"{hours // 24} d"
    if hours >= 1:
        return f"{hours} h"
    return f"{max(int(delta.total_seconds() // 60), 1)} min"


def import_sources(model: type[models.Model], ids: Iterable[int]) -> dict[int, ImportBatch]:
    """The import batch each of ``ids`` (records of ``model``) came from; records typed in on
    the pages are absent. One query."""
    # The content type is joined, not looked up first, so this is one query whatever the
    # content-type cache holds.
    return {
        record.object_id: record.batch
        for record in ImportedRecord.objects.filter(
            content_type__app_label=model._meta.app_label,
            content_type__model=model._meta.model_name,
            object_id__in=list(ids),
        ).select_related("batch", "batch__imported_by")
    }
