"""Demo data: the three demo logins and a believable organisation around them.

``demo_seed()`` builds, from a seed, teams of BRMs with dated memberships (one BRM moves team,
one leaves, one joins half-way), clients of every relationship type started over the years, and
``months`` months of history behind every KPI in shared/kpis.md: contacts, interactions with
replies, follow-ups, reassignments, churn and return, support issues, deals moving through the
pipeline, revenue, projects, shared goals, feedback, partner referrals and certifications, and
survey invitations with their answers.

Determinism: every random choice comes from ``random.Random`` seeded with the scale's seed, the
pass and the client's index, and every date is computed from ``today``, fixed once. The same seed
and day give the same organisation, and changing how one record type is drawn leaves the others
as they were.

History is consistent by construction: ownership spans are planned first and every event's
``owner`` is read from them with ``crm.attribution.OwnershipTimeline``, the rule the services
apply one row at a time. The demo BRM's book is topped up so that every KPI has a non-empty
denominator in each complete month of the window.

Rows are written in bulk with ids assigned here (so that replies, follow-ups and answers can
point at rows not yet written): PostgreSQL COPY, or ``bulk_create`` on other databases.

Idempotent: when the demo logins exist, nothing is added and the summary says what exists.
"""

from __future__ import annotations

import math
import random
import time as clock
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import Role, Team, TeamMembership, User
from crm.attribution import OwnershipTimeline
from crm.calendar import add_business_days
from crm.models import (
    Client,
    ClientOwnership,
    ClientStatusChange,
    Contact,
    Deal,
    DealStage,
    DealStageChange,
    FeedbackItem,
    FollowUp,
    GoalReview,
    Interaction,
    LifecycleStatus,
    PartnerCertification,
    PartnerReferral,
    Priority,
    Product,
    Project,
    RelationshipType,
    RevenueLine,
    SharedGoal,
    StageKind,
    SupportIssue,
)
from surveys.models import SCALES, Invitation, Response, SurveyKind, SurveyQuestion, hash_token

DEMO_PASSWORD = "demo-pass-2026"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    full_name: str
    role: str


DEMO_LOGINS = [
    DemoLogin("brm@example.com", "Bea Morgan", Role.BRM),
    DemoLogin("manager@example.com", "Max Ortega", Role.MANAGER),
    DemoLogin("admin@example.com", "Ada Ruiz", Role.ADMIN),
]

# The demo BRM's book stays about this size at any scale, so the demo pages read like one
# person's week rather than a data dump.
DEMO_BOOK_SIZE = 25

# --- Vocabulary -------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


FIRST_NAMES = _words(
    "Aisha Alex Amara Ben Bianca Caleb Chloe Dario Dev Elena Emil Farah Felix Grace Hana Hugo "
    "Ines Isaac Jade Jonas Kai Keira Leo Lina Luca Maya Mei Milo Nadia Nikhil Noor Olga Omar "
    "Paula Priya Quinn Rafael Rosa Ruth Sam Sana Sofia Tariq Tess Theo Uma Victor Wen Yara "
    "Yusuf Zara Zoe Anil Beatriz Colm Dina Erik Freya Gus"
)
LAST_NAMES = _words(
    "Abbott Achebe Baker Banerjee Becker Brennan Castillo Chen Costa Dalton Diaz Doyle Eriksen "
    "Evans Fischer Flores Gallagher Garcia Gupta Hall Haddad Hughes Ibrahim Ivanova Jensen "
    "Kaur Keller Khan Kowalski Larsen Lee Lopez Mahmoud Moreau Murphy Nakamura Novak Okafor "
    "Olsen Patel Petrov Quinn Reyes Rossi Santos Schmidt Silva Singh Sokolov Tanaka Thompson "
    "Varga Walsh Weber Wright Yamamoto Young Zhang Zielinski"
)
COMPANY_PREFIXES = _words(
    "Acorn Aldgate Amber Apex Arden Ashford Atlas Aurora Beacon Birch Bluewater Bramble "
    "Brightwell Cairn Calder Cedar Cobalt Copper Crescent Crown Delta Eastgate Ember Fairfield "
    "Falcon Fernhill Granite Greystone Harbour Hawthorn Helix Highland Horizon Ironbridge "
    "Juniper Kestrel Lakeside Linden Lumen Maple Meridian Millbrook Northwind Oakridge Orchid "
    "Pinnacle Quarry Redwood Riverside Saffron Sterling Summit Thistle Trident Vantage Willow "
    "Wren Zenith"
)
COMPANY_CORES = _words(
    "Analytics Bakeries Biotech Builders Capital Chemicals Clinics Communications Consulting "
    "Dairy Dental Designs Distribution Education Electrical Energy Engineering Foods Freight "
    "Furniture Health Hotels Insurance Interiors Labs Leisure Legal Logistics Machinery Marine "
    "Media Metals Mining Motors Networks Optics Packaging Pharma Plastics Printing Properties "
    "Retail Robotics Security Software Solar Textiles Transport Travel Utilities Water"
)
COMPANY_SUFFIXES = ["Ltd", "Group", "plc", "& Co", "Holdings", "Partners", "LLP", "Trust"]
INDUSTRIES = [
    "Manufacturing",
    "Healthcare",
    "Logistics",
    "Financial services",
    "Retail",
    "Public sector",
    "Energy",
    "Technology",
    "Education",
    "Hospitality",
]
CONTACT_ROLES = [
    "Chief Operating Officer",
    "Head of Procurement",
    "IT Director",
    "Finance Director",
    "Operations Manager",
    "Head of Customer Experience",
    "Programme Manager",
    "CEO",
    "Office Manager",
    "Data Lead",
]
TEAM_REGIONS = ["North", "South", "East", "West", "Central", "Coastal", "Capital", "Midlands"]
TEAM_SEGMENTS = ["Enterprise", "Mid-market", "Public Sector", "Growth", "Strategic", "Alliances"]
FIXED_TEAM_NAMES = ["Enterprise North", "Mid-market South", "Public Sector East"]

# (topic, chance that an outbound message on it gets a reply): "messaging resonance".
TOPICS = [
    ("Quarterly business review", 0.55),
    ("Renewal", 0.5),
    ("Pricing", 0.35),
    ("Onboarding", 0.45),
    ("Product roadmap", 0.3),
    ("Support escalation", 0.6),
    ("Invoice query", 0.4),
    ("Training", 0.25),
    ("Newsletter", 0.05),
    ("Event invitation", 0.2),
    ("Case study", 0.15),
    ("Integration", 0.35),
]
PRODUCTS = [
    ("Core Platform", 4200),
    ("Analytics Suite", 1800),
    ("Integration Hub", 1500),
    ("Premium Support", 900),
    ("Training Academy", 600),
    ("Managed Services", 3200),
    ("Data Residency Add-on", 700),
]
PRODUCT_NAMES = [name for name, _price in PRODUCTS]
SERVICES_PRODUCT = "Professional services"
PROJECT_NAMES = [
    "Platform rollout",
    "Data migration",
    "ERP integration",
    "Analytics dashboard build",
    "Security review",
    "Process redesign",
    "User training programme",
    "Regional expansion",
]
GOAL_TITLES = [
    "Cut order processing time by 20 %",
    "Roll the platform out to every region",
    "Reach 95 % adoption among field staff",
    "Reduce support tickets per user by a third",
    "Launch the joint customer portal",
    "Automate month-end reporting",
    "Consolidate three legacy systems",
]
FEEDBACK_SUMMARIES = [
    "Export reports to Excel with formatting kept",
    "Single sign-on with our identity provider",
    "Bulk edit of user permissions",
    "A mobile view for approvals",
    "Clearer invoices broken down by site",
    "Webhook when an order changes status",
    "Dark mode for the control room screens",
    "Audit log export for compliance",
]
ISSUE_TITLES = [
    "Users cannot log in",
    "Invoices do not reconcile",
    "Report export times out",
    "Sync with ERP stopped",
    "Permissions reset after update",
    "Slow dashboard in the afternoon",
    "Wrong VAT on credit notes",
    "Password reset e-mail not arriving",
]
CERTIFICATIONS = ["Implementation Partner", "Solutions Specialist", "Security Accreditation"]
CHURN_REASONS = [
    "Moved to a competitor on price",
    "Budget cut after reorganisation",
    "Acquired; parent company has its own supplier",
    "Project ended and was not renewed",
]
PROMOTER_COMMENTS = [
    "Bea and the team always go the extra mile.",
    "The rollout was smooth and on time.",
    "Responsive, knowledgeable and easy to work with.",
    "The quarterly reviews really help us plan.",
]
PASSIVE_COMMENTS = [
    "Good overall, reporting could be better.",
    "Fine, though the last invoice took a while to sort out.",
]
DETRACTOR_COMMENTS = [
    "Support took days to answer an urgent issue.",
    "We keep being passed between people.",
    "Pricing went up without warning.",
]

# Relationship types: share of clients, interaction rate factor, and interaction kind weights
# (meeting, call, email, message, event, note).
TYPE_SHARES = [
    (RelationshipType.PERSONAL, 0.30),
    (RelationshipType.FUNCTIONAL, 0.40),
    (RelationshipType.STRATEGIC, 0.15),
    (RelationshipType.PARTNER, 0.15),
]
TYPE_ACTIVITY = {
    RelationshipType.PERSONAL: 0.7,
    RelationshipType.FUNCTIONAL: 1.0,
    RelationshipType.STRATEGIC: 1.6,
    RelationshipType.PARTNER: 0.9,
}
K = Interaction.Kind
KINDS = [K.MEETING, K.CALL, K.EMAIL, K.MESSAGE, K.EVENT, K.NOTE]
KIND_WEIGHTS = {
    RelationshipType.PERSONAL: [15, 30, 25, 20, 3, 7],
    RelationshipType.FUNCTIONAL: [12, 25, 38, 12, 5, 8],
    RelationshipType.STRATEGIC: [25, 20, 30, 10, 8, 7],
    RelationshipType.PARTNER: [20, 20, 35, 10, 10, 5],
}
# Per client and month: support issues, deals, projects, feedback items.
MONTHLY_RATES = {
    RelationshipType.PERSONAL: (0.08, 0.04, 0.03, 0.03),
    RelationshipType.FUNCTIONAL: (0.25, 0.07, 0.08, 0.06),
    RelationshipType.STRATEGIC: (0.3, 0.15, 0.12, 0.08),
    RelationshipType.PARTNER: (0.12, 0.05, 0.04, 0.05),
}
VALUE_FACTOR = {
    RelationshipType.PERSONAL: 0.4,
    RelationshipType.FUNCTIONAL: 1.0,
    RelationshipType.STRATEGIC: 2.2,
    RelationshipType.PARTNER: 0.8,
}
PRIORITY_WEIGHTS = [
    (Priority.URGENT, 8),
    (Priority.HIGH, 22),
    (Priority.NORMAL, 50),
    (Priority.LOW, 20),
]
FIRST_RESPONSE_HOURS = {
    Priority.URGENT: (0.1, 2),
    Priority.HIGH: (0.3, 6),
    Priority.NORMAL: (1, 20),
    Priority.LOW: (2, 40),
}
DEAL_WIN_CHANCE = {
    Deal.Kind.NEW: 0.7,
    Deal.Kind.UPSELL: 0.45,
    Deal.Kind.CROSS_SELL: 0.35,
    Deal.Kind.RENEWAL: 0.85,
}
DEAL_BASE_VALUE = {
    Deal.Kind.NEW: (20_000, 150_000),
    Deal.Kind.UPSELL: (5_000, 60_000),
    Deal.Kind.CROSS_SELL: (8_000, 80_000),
    Deal.Kind.RENEWAL: (30_000, 200_000),
}
ANSWER_CHANCE = {SurveyKind.NPS: 0.38, SurveyKind.CSAT: 0.5, SurveyKind.CES: 0.45}
CENT = Decimal("0.01")

# KPI families whose denominator the demo BRM must have in every complete month.
COVERED = (
    "contact_added",
    "follow_up_done",
    "follow_up_due",
    "issue_answered",
    "issue_resolved",
    "deal_won",
    "deal_lost",
    "upsell_closed",
    "project_due",
    "goal_due",
    "feedback_closed",
    "referral",
    "invited",
    SurveyKind.NPS,
    SurveyKind.CSAT,
    SurveyKind.CES,
    "detractor",
    "testimonial",
)


# --- Scale and summary ------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoScale:
    """How big the organisation is. The defaults make the small demo ``make run`` loads."""

    brms: int = 12
    clients: int = 300
    months: int = 24
    teams: int = 0  # 0: one team per eight BRMs, at least three
    interactions_per_client_month: float = 4.0
    surveys_per_client_month: float = 1.0
    seed: int = 2026

    def __post_init__(self):
        problems = []
        if self.brms < 1:
            problems.append("at least one BRM is needed")
        if self.clients < 4 or self.clients < self.brms:
            problems.append("at least four clients, and at least one per BRM, are needed")
        if not 1 <= self.months <= 120:
            problems.append("months must be between 1 and 120")
        if self.teams < 0 or self.teams > self.brms:
            problems.append("teams must be between 0 (automatic) and the number of BRMs")
        if self.interactions_per_client_month < 0 or self.surveys_per_client_month < 0:
            problems.append("rates cannot be negative")
        if problems:
            raise ValueError("Invalid demo scale: " + "; ".join(problems) + ".")

    @property
    def team_count(self) -> int:
        return self.teams or min(self.brms, max(3, math.ceil(self.brms / 8)))


@dataclass
class TableLoad:
    table: str
    rows: int = 0
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass
class DemoSummary:
    created: bool
    counts: dict[str, int]
    loads: list[TableLoad] = field(default_factory=list)
    seconds: float = 0.0
    method: str = ""


SUMMARY_MODELS: list[type[models.Model]] = [
    User,
    Team,
    TeamMembership,
    Client,
    ClientOwnership,
    ClientStatusChange,
    Contact,
    Interaction,
    FollowUp,
    SupportIssue,
    Deal,
    DealStageChange,
    RevenueLine,
    Project,
    SharedGoal,
    GoalReview,
    FeedbackItem,
    PartnerReferral,
    PartnerCertification,
    Invitation,
    Response,
]


def demo_counts() -> dict[str, int]:
    return {str(model._meta.verbose_name_plural): model.objects.count() for model in SUMMARY_MODELS}


def demo_exists() -> bool:
    return User.objects.filter(email__in=[login.email for login in DEMO_LOGINS]).exists()


def demo_seed(
    *,
    scale: DemoScale | None = None,
    today: date | None = None,
    method: str = "auto",
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Create the demo organisation unless it exists; the summary counts what exists afterwards.

    ``method`` is ``copy`` (PostgreSQL only), ``bulk`` (``bulk_create``) or ``auto`` (COPY on
    PostgreSQL). ``progress`` receives one line per table loaded, with its timing.
    """
    if method == "auto":
        method = "copy" if connection.vendor == "postgresql" else "bulk"
    if method not in ("copy", "bulk"):
        raise ValueError(f"Unknown load method {method!r}: use copy, bulk or auto.")
    if method == "copy" and connection.vendor != "postgresql":
        raise ValueError("COPY needs PostgreSQL; use the bulk method on this database.")
    if demo_exists():
        return DemoSummary(created=False, counts=demo_counts())
    started = clock.perf_counter()
    loader = _Loader(method=method, progress=progress or (lambda line: None))
    with transaction.atomic():
        if method == "copy":
            loader.suspend_foreign_keys([*SUMMARY_MODELS, Interaction.contacts.through])
        _Builder(
            scale=scale or DemoScale(), today=today or timezone.localdate(), loader=loader
        ).build()
        loader.restore_foreign_keys()
        loader.reset_sequences()
        committing = clock.perf_counter()
    loader.progress(f"{'commit':<32} {'':>15} {clock.perf_counter() - committing:8.2f} s")
    return DemoSummary(
        created=True,
        counts=demo_counts(),
        loads=list(loader.loads.values()),
        seconds=clock.perf_counter() - started,
        method=method,
    )


# --- Loading ----------------------------------------------------------------------------------


class _Loader:
    """Writes rows given as tuples of column values (attnames, in ``columns`` order). Columns
    left out get the field's default, so a field added later does not break the demo."""

    BATCH = 5000

    def __init__(self, *, method: str, progress: Callable[[str], None]):
        self.method = method
        self.progress = progress
        self.loads: dict[str, TableLoad] = {}
        self.models: set[type[models.Model]] = set()
        self.suspended: list[tuple[str, str, str]] = []

    def load(self, model: type[models.Model], columns: Sequence[str], rows: list[tuple]) -> None:
        if not rows:
            return
        started = clock.perf_counter()
        missing = [
            f for f in model._meta.concrete_fields if f.attname not in columns and not f.primary_key
        ]
        names = [*columns, *(f.attname for f in missing)]
        defaults = tuple(f.get_default() for f in missing)
        if self.method == "copy":
            self._copy(model, names, rows, defaults)
        else:
            model.objects.bulk_create(
                [model(**dict(zip(names, row + defaults, strict=True))) for row in rows],
                batch_size=self.BATCH,
            )
        if "id" in columns:
            self.models.add(model)
        load = self.loads.setdefault(model._meta.db_table, TableLoad(model._meta.db_table))
        load.rows += len(rows)
        load.seconds += clock.perf_counter() - started

    def _copy(self, model, names: list[str], rows: list[tuple], defaults: tuple) -> None:
        quote = connection.ops.quote_name
        by_attname = {f.attname: f.column for f in model._meta.concrete_fields}
        column_list = ", ".join(quote(by_attname[name]) for name in names)
        sql = f"COPY {quote(model._meta.db_table)} ({column_list}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            if defaults:
                for row in rows:
                    copy.write_row(row + defaults)
            else:
                for row in rows:
                    copy.write_row(row)

    def report(self, table: str) -> None:
        load = self.loads.get(table)
        if load:
            self.progress(
                f"{table:<32} {load.rows:>10,} rows {load.seconds:8.2f} s "
                f"{load.rows_per_second:>10,.0f} rows/s"
            )

    def suspend_foreign_keys(self, tables: list[type[models.Model]]) -> None:
        """Drop the foreign keys of the tables about to be loaded (PostgreSQL, inside the load's
        transaction). Checked row by row, as deferred triggers queued until the commit, they
        cost far more than the load; re-added, each is validated in one pass. As in
        pg_restore."""
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for model in tables:
                table = model._meta.db_table
                cursor.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
                    [table],
                )
                for name, definition in cursor.fetchall():
                    cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
                    self.suspended.append((table, name, definition))

    def restore_foreign_keys(self) -> None:
        quote = connection.ops.quote_name
        started = clock.perf_counter()
        with connection.cursor() as cursor:
            for table, name, definition in self.suspended:
                cursor.execute(
                    f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
                )
        if self.suspended:
            self.progress(
                f"{'foreign keys checked':<32} {len(self.suspended):>10,} keys "
                f"{clock.perf_counter() - started:8.2f} s"
            )

    def reset_sequences(self) -> None:
        """Ids were assigned here; move the database's id sequences past them."""
        statements = connection.ops.sequence_reset_sql(no_style(), list(self.models))
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


class _Ids:
    """Hands out ids after the largest one already in each table."""

    def __init__(self):
        self.next: dict[type[models.Model], int] = {}

    def take(self, model: type[models.Model]) -> int:
        if model not in self.next:
            self.next[model] = (model.objects.aggregate(top=Max("id"))["top"] or 0) + 1
        value = self.next[model]
        self.next[model] = value + 1
        return value


# --- Planning ---------------------------------------------------------------------------------


@dataclass(eq=False)
class _Brm:
    id: int
    index: int
    # (first day, day after the last or None, team index), in order.
    teams: list[tuple[date, date | None, int]]
    joined: date
    left: date | None = None

    def works_on(self, day: date) -> bool:
        return self.joined <= day and (self.left is None or day < self.left)

    def team_on(self, day: date) -> int:
        for first, after, team in self.teams:
            if first <= day and (after is None or day < after):
                return team
        return self.teams[-1][2]


@dataclass(eq=False)
class _ContactPlan:
    id: int
    name: str
    created_at: datetime
    opted_out: bool


@dataclass(eq=False)
class _ClientPlan:
    index: int
    id: int
    name: str
    kind: str
    started_on: date
    industry: str
    domain: str
    activity: float
    sentiment: float
    transfers: list[tuple[datetime, int, str]]  # (from, owner id, reason), first one = start
    statuses: list[tuple[date, str, str]] = field(default_factory=list)
    quiet_from: date | None = None
    lapsed_goals: bool = False
    sourced_by: int | None = None
    contacts: list[_ContactPlan] = field(default_factory=list)
    base_products: list[str] = field(default_factory=list)
    # Won deals billed from a month on: (first month, product id, monthly amount, deal id).
    products: list[tuple[date, int, float, int | None]] = field(default_factory=list)
    resolved_issues: list[tuple[int, datetime, int | None]] = field(default_factory=list)
    completed_projects: list[tuple[int, datetime]] = field(default_factory=list)
    timeline: OwnershipTimeline | None = None
    contact_times: list[datetime] = field(default_factory=list)

    @property
    def owner_id(self) -> int:
        return self.transfers[-1][1]

    def owner_at(self, when: date | datetime) -> int:
        return self.timeline.owner_id_at(when)

    def active_on(self, day: date) -> bool:
        if day < self.started_on:
            return False
        status = LifecycleStatus.ACTIVE
        for effective_on, value, _reason in self.statuses:
            if effective_on > day:
                break
            status = value
        return status == LifecycleStatus.ACTIVE

    def active_spans(self, first: date, after: date) -> list[tuple[date, date]]:
        """The parts of [first, after) during which the client was active."""
        spans = []
        begin = None
        for effective_on, value, _reason in self.statuses:
            if value == LifecycleStatus.ACTIVE and begin is None:
                begin = effective_on
            elif value == LifecycleStatus.CHURNED and begin is not None:
                spans.append((begin, effective_on))
                begin = None
        if begin is not None:
            spans.append((begin, after))
        clipped = [(max(a, first), min(b, after)) for a, b in spans]
        return [(a, b) for a, b in clipped if a < b]

    def contacts_at(self, when: datetime) -> list[_ContactPlan]:
        return self.contacts[: bisect_right(self.contact_times, when)]


def _month_key(when: date) -> int:
    return when.year * 12 + when.month - 1


def _month_start(key: int) -> date:
    return date(key // 12, key % 12 + 1, 1)


def _add_months(day: date, months: int) -> date:
    return _month_start(_month_key(day) + months)


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _money(value: float) -> Decimal:
    return Decimal(str(round(value, 2))).quantize(CENT)


class _Builder:
    def __init__(self, *, scale: DemoScale, today: date, loader: _Loader):
        self.scale = scale
        self.today = today
        self.loader = loader
        self.ids = _Ids()
        self.tz = timezone.get_current_timezone()
        self.end = self.at(today)  # nothing happens from today's midnight on
        self.window_start = _add_months(today, -scale.months)
        self.founded = self.window_start - timedelta(days=3 * 365)
        self.midpoint = _add_months(self.window_start, scale.months // 2)
        self.months = list(range(_month_key(self.window_start), _month_key(today) + 1))
        # Complete months only: the current one has not happened yet.
        self.covered_months = self.months[:-1]
        self.covered: set[tuple[str, int]] = set()
        self.follow_ups: list[tuple] = []
        self.open_demo_follow_ups = {"overdue": 0, "upcoming": 0}
        self.demo_overdue_project = False
        self.mark = clock.perf_counter()

    # Helpers ----------------------------------------------------------------------------------

    def rng(self, purpose: str, index: int = 0) -> random.Random:
        return random.Random(f"{self.scale.seed}:{purpose}:{index}")

    def at(self, day: date, hour: int = 0, minute: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.tz)

    def moment(self, rng: random.Random, first: date, after: date) -> datetime:
        """A working-hours moment on a day in [first, after), weekdays much preferred."""
        span = (after - first).days
        day = first + timedelta(days=rng.randrange(span))
        if day.weekday() >= 5 and rng.random() < 0.85:
            shifted = day - timedelta(days=day.weekday() - 4)
            if shifted >= first:
                day = shifted
        return self.at(day, rng.randint(8, 17), rng.randrange(0, 60, 5))

    def note(self, key: str, owner_id: int, when: date | datetime) -> None:
        if owner_id == self.demo_id:
            day = when.date() if isinstance(when, datetime) else when
            self.covered.add((key, _month_key(day)))

    def gaps(self, key: str) -> list[int]:
        return [month for month in self.covered_months if (key, month) not in self.covered]

    def demo_moment(
        self, rng: random.Random, month: int, *, kinds: Iterable[str] | None = None
    ) -> tuple[_ClientPlan, datetime] | None:
        """A demo client active and owned by the demo BRM at a moment in ``month``."""
        first = _month_start(month)
        after = min(_month_start(month + 1), self.today)
        plans = [p for p in self.demo_plans if kinds is None or p.kind in kinds]
        for _ in range(40):
            if not plans or after <= first:
                return None
            plan = rng.choice(plans)
            when = self.moment(rng, first, after)
            day = when.date()
            if (
                plan.active_on(day)
                and plan.owner_at(when) == self.demo_id
                and plan.owner_at(day) == self.demo_id
            ):
                return plan, when
        return None

    def finish(self, *tables: type[models.Model]) -> None:
        """Report the tables just loaded, and the whole pass: drawing the rows plus loading."""
        for model in tables:
            self.loader.report(model._meta.db_table)
        now = clock.perf_counter()
        label = f"  {tables[0]._meta.db_table} pass, drawing and loading"
        self.loader.progress(f"{label:<48} {now - self.mark:8.2f} s")
        self.mark = now

    # The whole build --------------------------------------------------------------------------

    def build(self) -> None:
        self.stages = list(DealStage.objects.order_by("position"))
        self.open_stages = [s for s in self.stages if s.kind == StageKind.OPEN]
        self.won = next((s for s in self.stages if s.kind == StageKind.WON), None)
        self.lost = next((s for s in self.stages if s.kind == StageKind.LOST), None)
        if not self.open_stages or self.won is None or self.lost is None:
            raise ValueError("The pipeline needs open, won and lost stages before the demo.")
        self.questions = {
            q.kind: (q.question, q.low_label, q.high_label) for q in SurveyQuestion.objects.all()
        }
        for kind in SurveyKind.values:
            self.questions.setdefault(kind, (f"{kind.upper()} question", "Low", "High"))
        self.products = {
            name: Product.objects.get_or_create(name=name)[0].id
            for name in [name for name, _price in PRODUCTS] + [SERVICES_PRODUCT]
        }
        self.prices = dict(PRODUCTS)
        self.build_people()
        self.plan_clients()
        self.plan_ownership()
        self.plan_statuses()
        self.plan_contacts()
        self.load_clients()
        self.build_interactions()
        self.build_support()
        self.build_deals()
        self.build_revenue()
        self.build_projects()
        self.build_goals()
        self.build_feedback()
        self.build_partners()
        self.build_surveys()
        self.build_manual_follow_ups()

    # People -----------------------------------------------------------------------------------

    def build_people(self) -> None:
        scale, rng = self.scale, self.rng("people")
        taken = set(User.objects.values_list("email", flat=True))
        team_names_taken = set(Team.objects.values_list("name", flat=True))
        password = make_password(DEMO_PASSWORD)  # hashed once: every demo user shares it
        joined_at = self.at(self.founded, 9)
        users: list[tuple] = []
        self.names: dict[int, str] = {}

        def person(email: str | None, name: str | None, role: str, joined: datetime) -> int:
            if name is None:
                while True:
                    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
                    email = name.lower().replace(" ", ".") + "@example.com"
                    if email not in taken:
                        break
            taken.add(email)
            user_id = self.ids.take(User)
            self.names[user_id] = name
            users.append((user_id, email, name, role, True, joined, password))
            return user_id

        admin, manager = DEMO_LOGINS[2], DEMO_LOGINS[1]
        person(admin.email, admin.full_name, admin.role, joined_at)
        teams = []
        for index in range(scale.team_count):
            if index < len(FIXED_TEAM_NAMES):
                name = FIXED_TEAM_NAMES[index]
            else:
                segment = TEAM_SEGMENTS[index % len(TEAM_SEGMENTS)]
                region = TEAM_REGIONS[(index // len(TEAM_SEGMENTS)) % len(TEAM_REGIONS)]
                name = f"{segment} {region}"
            base, number = name, 2
            while name in team_names_taken:
                name, number = f"{base} {number}", number + 1
            team_names_taken.add(name)
            teams.append((self.ids.take(Team), name, joined_at))
        self.team_ids = [team[0] for team in teams]
        self.managers = [
            person(manager.email, manager.full_name, manager.role, joined_at)
            if index == 0
            else person(None, None, Role.MANAGER, joined_at)
            for index in range(len(teams))
        ]
        demo = DEMO_LOGINS[0]
        self.brms: list[_Brm] = []
        for index in range(scale.brms):
            user_id = (
                person(demo.email, demo.full_name, demo.role, joined_at)
                if index == 0
                else person(None, None, Role.BRM, joined_at)
            )
            team = index % len(teams)
            self.brms.append(_Brm(user_id, index, [(self.founded, None, team)], self.founded))
        self.demo_id = self.brms[0].id
        self.plan_careers(users)
        memberships = [
            (team_id, self.managers[i], TeamMembership.Capacity.MANAGER, self.founded, None)
            for i, team_id in enumerate(self.team_ids)
        ]
        for brm in self.brms:
            for first, after, team in brm.teams:
                memberships.append(
                    (self.team_ids[team], brm.id, TeamMembership.Capacity.MEMBER, first, after)
                )
        self.loader.load(
            User,
            ["id", "email", "full_name", "role", "is_active", "date_joined", "password"],
            users,
        )
        self.loader.load(Team, ["id", "name", "created_at"], teams)
        self.loader.load(
            TeamMembership,
            ["team_id", "user_id", "capacity", "started_on", "ended_on"],
            memberships,
        )
        self.finish(User, Team, TeamMembership)

    def plan_careers(self, users: list[tuple]) -> None:
        """One BRM moves team half-way, one leaves two thirds in, and one joins half-way."""
        teams = len(self.team_ids)
        others = self.brms[1:]
        leave_day = _add_months(self.window_start, (2 * self.scale.months) // 3)
        self.mover = self.leaver = self.newcomer = None
        if teams >= 2:
            self.mover = next((b for b in others if b.teams[0][2] == 0), None)
        if self.mover is not None:
            self.mover.teams = [(self.founded, self.midpoint, 0), (self.midpoint, None, 1)]
        rest = [b for b in others if b is not self.mover]
        if len(rest) >= 2 and leave_day > self.window_start:
            self.leaver = rest[0]
            self.leaver.left = leave_day
            self.leaver.teams = [(self.founded, leave_day, self.leaver.teams[0][2])]
            self.newcomer = rest[-1]
            self.newcomer.joined = self.midpoint
            self.newcomer.teams = [(self.midpoint, None, self.newcomer.teams[0][2])]
        for position, row in enumerate(users):
            if self.leaver and row[0] == self.leaver.id:
                users[position] = (*row[:4], False, *row[5:])
            if self.newcomer and row[0] == self.newcomer.id:
                users[position] = (*row[:5], self.at(self.midpoint, 9), row[6])

    def brms_working(self, day: date, team: int | None = None) -> list[_Brm]:
        return [
            b for b in self.brms if b.works_on(day) and (team is None or b.team_on(day) == team)
        ]

    # Clients ----------------------------------------------------------------------------------

    # The demo BRM's anchor clients, so that every KPI family has something to show: (name,
    # type, days the relationship started before the window, sourced by the partner above).
    FORCED_DEMO_CLIENTS = [
        ("Acme Logistics", RelationshipType.STRATEGIC, 900, False),
        ("Cobalt Partners", RelationshipType.PARTNER, 800, False),
        ("Borealis Health", RelationshipType.FUNCTIONAL, 400, True),
        ("Dunmore & Sons", RelationshipType.PERSONAL, 300, False),
    ]

    def plan_clients(self) -> None:
        scale = self.scale
        average_book = scale.clients / scale.brms
        demo_weight = min(1.0, DEMO_BOOK_SIZE / average_book)
        used_names: set[str] = set()
        self.plans: list[_ClientPlan] = []
        self.partners: list[_ClientPlan] = []
        kinds, shares = zip(*TYPE_SHARES, strict=True)
        for index in range(scale.clients):
            rng = self.rng("client", index)
            forced = index < len(self.FORCED_DEMO_CLIENTS)
            sourced = False
            if forced:
                name, kind, days_before, sourced = self.FORCED_DEMO_CLIENTS[index]
                started = self.window_start - timedelta(days=days_before)
            else:
                kind = rng.choices(kinds, shares)[0]
                name = self.company_name(rng, used_names)
                if rng.random() < 0.45:
                    started = self.founded + timedelta(
                        days=rng.randrange((self.window_start - self.founded).days)
                    )
                else:
                    span = max(1, (self.today - self.window_start).days - 14)
                    started = self.window_start + timedelta(days=rng.randrange(span))
            used_names.add(name)
            if forced:
                owner = self.demo_id
            else:
                working = self.brms_working(started)
                weights = [demo_weight if b.id == self.demo_id else 1.0 for b in working]
                owner = rng.choices(working, weights)[0].id
            slug = "".join(c for c in name.lower() if c.isalnum())[:40]
            plan = _ClientPlan(
                index=index,
                id=self.ids.take(Client),
                name=name,
                kind=kind,
                started_on=started,
                industry=rng.choice(INDUSTRIES),
                domain=f"{slug}.example",
                activity=rng.uniform(0.5, 1.5),
                sentiment=rng.gauss(0, 1),
                transfers=[(self.at(started), owner, "")],
                base_products=[PRODUCTS[0][0], *rng.sample(PRODUCT_NAMES[1:], rng.randint(0, 2))],
            )
            plan.lapsed_goals = not forced and rng.random() < 0.2
            if not forced and rng.random() < 0.12:
                plan.quiet_from = self.today - timedelta(days=rng.randint(95, 270))
            if kind == RelationshipType.PARTNER:
                self.partners.append(plan)
            elif sourced:
                plan.sourced_by = self.partners[0].id
            elif not forced and started >= self.window_start:
                sources = [p for p in self.partners if p.started_on < started - timedelta(30)]
                if sources and rng.random() < 0.12:
                    plan.sourced_by = rng.choice(sources).id
            self.plans.append(plan)

    def company_name(self, rng: random.Random, used: set[str]) -> str:
        for _ in range(6):
            name = (
                f"{rng.choice(COMPANY_PREFIXES)} {rng.choice(COMPANY_CORES)} "
                f"{rng.choice(COMPANY_SUFFIXES)}"
            )
            if name not in used:
                return name
        return f"{name} ({rng.choice(TEAM_REGIONS)} {rng.randint(2, 99)})"

    def transfer(self, plan: _ClientPlan, when: datetime, owner: int, reason: str) -> None:
        """Hand ``plan`` to ``owner`` from ``when``, keeping the spans ordered and distinct."""
        starts = [t[0] for t in plan.transfers]
        position = bisect_right(starts, when)
        if position == 0 or plan.transfers[position - 1][1] == owner or when in starts:
            return
        plan.transfers.insert(position, (when, owner, reason))
        if position + 1 < len(plan.transfers) and plan.transfers[position + 1][1] == owner:
            del plan.transfers[position + 1]

    def owner_then(self, plan: _ClientPlan, when: datetime) -> int:
        starts = [t[0] for t in plan.transfers]
        return plan.transfers[max(0, bisect_right(starts, when) - 1)][1]

    def plan_ownership(self) -> None:
        """Reassignments: the demo BRM gains and hands over a few clients, the leaver's book is
        shared out, the newcomer is given a starting book, and some clients move at random."""
        rng = self.rng("ownership")
        brm_by_id = {b.id: b for b in self.brms}
        window_days = (self.today - self.window_start).days
        touched: set[int] = set()

        def peer_of(owner_id: int, day: date, exclude: int) -> int | None:
            brm = brm_by_id[owner_id]
            team = brm.team_on(day)
            peers = [b for b in self.brms_working(day, team) if b.id not in (owner_id, exclude)]
            peers = peers or [b for b in self.brms_working(day) if b.id not in (owner_id,)]
            return rng.choice(peers).id if peers else None

        def when_in_window(plan: _ClientPlan, low: float, high: float) -> datetime | None:
            first = max(plan.started_on + timedelta(days=30), self.window_start)
            first = max(first, self.window_start + timedelta(days=int(window_days * low)))
            last = self.window_start + timedelta(days=int(window_days * high))
            if last <= first:
                return None
            return self.moment(rng, first, last)

        # The demo BRM takes over two teammates' clients and hands two of their own on.
        mates = [
            p
            for p in self.plans[len(self.FORCED_DEMO_CLIENTS) :]
            if p.started_on < self.window_start
            and p.owner_id != self.demo_id
            and brm_by_id[p.owner_id].teams[0][2] == 0
            and brm_by_id[p.owner_id] not in (self.leaver, self.newcomer)
        ]
        for plan in mates[:2]:
            when = when_in_window(plan, 0.2, 0.8)
            if when:
                self.transfer(plan, when, self.demo_id, "Rebalanced the team's books")
                touched.add(plan.id)
        own = [
            p
            for p in self.plans[len(self.FORCED_DEMO_CLIENTS) :]
            if p.owner_id == self.demo_id and p.id not in touched
        ]
        for plan in own[:2]:
            when = when_in_window(plan, 0.3, 0.9)
            new_owner = when and peer_of(self.demo_id, when.date(), self.demo_id)
            if when and new_owner:
                self.transfer(plan, when, new_owner, "Client asked for a specialist")
                touched.add(plan.id)
        # Everything else may move once or twice, within the team where possible.
        for plan in self.plans:
            if plan.id in touched or plan.index < len(self.FORCED_DEMO_CLIENTS):
                continue
            moves = 2 if rng.random() < 0.02 else 1 if rng.random() < 0.08 else 0
            for _ in range(moves):
                when = when_in_window(plan, 0.0, 0.97)
                if when is None:
                    break
                current = self.owner_then(plan, when)
                new_owner = peer_of(current, when.date(), self.demo_id)
                if new_owner:
                    self.transfer(plan, when, new_owner, "Rebalanced the team's books")
        if self.leaver is not None:
            when = self.at(self.leaver.left, 9)
            for plan in self.plans:
                if plan.started_on < self.leaver.left and self.owner_then(plan, when) == (
                    self.leaver.id
                ):
                    new_owner = peer_of(self.leaver.id, self.leaver.left, self.demo_id)
                    if new_owner:
                        reason = f"{self.names[self.leaver.id]} left the company"
                        self.transfer(plan, when, new_owner, reason)
        if self.newcomer is not None:
            day = self.midpoint + timedelta(days=14)
            when = self.at(day, 9)
            team = self.newcomer.team_on(self.midpoint)
            donors = {b.id for b in self.brms_working(day, team)} - {
                self.newcomer.id,
                self.demo_id,
            }
            share = int(self.scale.clients / self.scale.brms / 2)
            candidates = [
                p
                for p in self.plans
                if p.started_on < day and self.owner_then(p, when) in donors and p.id not in touched
            ]
            for plan in rng.sample(candidates, min(share, len(candidates))):
                self.transfer(plan, when, self.newcomer.id, "Starting book for a new BRM")
        for plan in self.plans:
            plan.timeline = OwnershipTimeline(
                [
                    ClientOwnership(owner_id=owner, started_at=start)
                    for start, owner, _ in plan.transfers
                ]
            )
        self.demo_plans = [p for p in self.plans if any(t[1] == self.demo_id for t in p.transfers)]

    def plan_statuses(self) -> None:
        """Some clients churn, and some of those come back."""
        for plan in self.plans:
            rng = self.rng("status", plan.index)
            plan.statuses = [(plan.started_on, LifecycleStatus.ACTIVE, "Relationship started")]
            chance = 0.05 if plan.kind == RelationshipType.STRATEGIC else 0.14
            if plan.index < len(self.FORCED_DEMO_CLIENTS) or rng.random() >= chance:
                continue
            first = max(plan.started_on + timedelta(days=90), self.window_start)
            last = self.today - timedelta(days=14)
            if last <= first:
                continue
            churned = first + timedelta(days=rng.randrange((last - first).days))
            plan.statuses.append((churned, LifecycleStatus.CHURNED, rng.choice(CHURN_REASONS)))
            back = churned + timedelta(days=rng.randint(60, 300))
            if rng.random() < 0.3 and back < self.today - timedelta(days=7):
                plan.statuses.append((back, LifecycleStatus.ACTIVE, "Came back"))

    def plan_contacts(self) -> None:
        counts = {
            RelationshipType.PERSONAL: (1, 3),
            RelationshipType.FUNCTIONAL: (2, 5),
            RelationshipType.STRATEGIC: (4, 7),
            RelationshipType.PARTNER: (2, 4),
        }
        for plan in self.plans:
            rng = self.rng("contacts", plan.index)
            low, high = counts[plan.kind]
            for number in range(rng.randint(low, high)):
                if number < 2:
                    created = self.at(plan.started_on, rng.randint(9, 16))
                else:
                    created = self.moment(rng, plan.started_on, self.today)
                self.add_contact(plan, rng, created)
        rng = self.rng("contacts-demo")
        for month in self.covered_months:
            found = self.demo_moment(rng, month)
            if found:
                self.add_contact(found[0], rng, found[1])

    def add_contact(self, plan: _ClientPlan, rng: random.Random, created: datetime) -> None:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        contact = _ContactPlan(self.ids.take(Contact), name, created, rng.random() < 0.04)
        position = bisect_right(plan.contact_times, created)
        plan.contacts.insert(position, contact)
        plan.contact_times.insert(position, created)
        self.note("contact_added", plan.owner_at(created), created)

    def load_clients(self) -> None:
        clients, ownerships, statuses, contacts = [], [], [], []
        brm_by_id = {b.id: b for b in self.brms}
        for plan in self.plans:
            clients.append(
                (
                    plan.id,
                    plan.name,
                    plan.kind,
                    plan.started_on,
                    plan.statuses[-1][1],
                    plan.owner_id,
                    plan.sourced_by,
                    plan.industry,
                    f"https://www.{plan.domain}",
                    "",
                    self.at(plan.started_on, 9),
                )
            )
            for position, (start, owner, reason) in enumerate(plan.transfers):
                after = (
                    plan.transfers[position + 1][0] if position + 1 < len(plan.transfers) else None
                )
                manager = None
                if position:
                    team = brm_by_id[plan.transfers[position - 1][1]].team_on(start.date())
                    manager = self.managers[team]
                ownerships.append((plan.id, owner, start, after, manager, reason))
            for effective_on, status, reason in plan.statuses:
                statuses.append(
                    (
                        plan.id,
                        status,
                        effective_on,
                        reason,
                        plan.owner_at(effective_on),
                        self.at(effective_on, 17),
                    )
                )
            rng = self.rng("contact-details", plan.index)
            for contact in plan.contacts:
                first, last = contact.name.lower().split(" ", 1)
                contacts.append(
                    (
                        contact.id,
                        plan.id,
                        contact.name,
                        f"{first}.{last}@{plan.domain}",
                        f"+44 20 7946 {rng.randrange(1000):03d}",
                        rng.choice(CONTACT_ROLES),
                        contact.created_at,
                        contact.opted_out,
                        contact.created_at + (self.end - contact.created_at) / 2
                        if contact.opted_out
                        else None,
                    )
                )
        self.loader.load(
            Client,
            [
                "id",
                "name",
                "relationship_type",
                "relationship_started_on",
                "status",
                "owner_id",
                "sourced_by_partner_id",
                "industry",
                "website",
                "notes",
                "created_at",
            ],
            clients,
        )
        self.loader.load(
            ClientOwnership,
            ["client_id", "owner_id", "started_at", "ended_at", "changed_by_id", "reason"],
            ownerships,
        )
        self.loader.load(
            ClientStatusChange,
            ["client_id", "status", "effective_on", "reason", "recorded_by_id", "recorded_at"],
            statuses,
        )
        self.loader.load(
            Contact,
            [
                "id",
                "client_id",
                "name",
                "email",
                "phone",
                "role",
                "created_at",
                "opted_out_of_surveys",
                "opted_out_at",
            ],
            contacts,
        )
        self.finish(Client, ClientOwnership, ClientStatusChange, Contact)

    # Follow-ups -------------------------------------------------------------------------------

    FOLLOW_UP_COLUMNS = [
        "id",
        "client_id",
        "owner_id",
        "title",
        "due_on",
        "done_at",
        "outcome",
        "origin",
        "interaction_id",
        "created_at",
    ]

    def follow_up(
        self,
        plan: _ClientPlan,
        rng: random.Random,
        *,
        title: str,
        created_at: datetime,
        due_on: date,
        origin: str,
        interaction_id: int | None = None,
        outcome: str | None = None,
    ) -> int:
        """A follow-up, done on time, late or not at all. Its owner is whoever held the client
        when it was done, or holds it now if still open: reassigning moves open follow-ups."""
        outcome = outcome or rng.choices(["on_time", "late", "open"], [78, 14, 8])[0]
        done_at = None
        if outcome == "on_time":
            days = max(0, (due_on - created_at.date()).days)
            done_day = created_at.date() + timedelta(days=rng.randint(0, days))
            done_at = max(created_at + timedelta(minutes=30), self.at(done_day, rng.randint(9, 17)))
        elif outcome == "late":
            done_at = self.at(due_on + timedelta(days=rng.randint(1, 12)), rng.randint(9, 17))
        if done_at is not None and done_at >= self.end:
            done_at = None
        owner = plan.owner_at(done_at) if done_at else plan.owner_id
        follow_up_id = self.ids.take(FollowUp)
        self.follow_ups.append(
            (
                follow_up_id,
                plan.id,
                owner,
                title,
                due_on,
                done_at,
                "Done." if done_at else "",
                origin,
                interaction_id,
                created_at,
            )
        )
        self.note("follow_up_due", owner, due_on)
        if done_at:
            self.note("follow_up_done", owner, done_at)
        elif owner == self.demo_id:
            self.open_demo_follow_ups["overdue" if due_on < self.today else "upcoming"] += 1
        return follow_up_id

    def flush_follow_ups(self) -> None:
        self.loader.load(FollowUp, self.FOLLOW_UP_COLUMNS, self.follow_ups)
        self.follow_ups = []

    # Interactions -----------------------------------------------------------------------------

    INTERACTION_COLUMNS = [
        "id",
        "client_id",
        "owner_id",
        "logged_by_id",
        "kind",
        "direction",
        "occurred_at",
        "topic",
        "summary",
        "in_reply_to_id",
        "created_at",
    ]

    def build_interactions(self) -> None:
        rate = self.scale.interactions_per_client_month
        through = Interaction.contacts.through
        chunk = 500
        for offset in range(0, len(self.plans), chunk):
            rows: list[tuple] = []
            links: list[tuple] = []
            for plan in self.plans[offset : offset + chunk]:
                self.client_interactions(plan, rate, rows, links)
            self.loader.load(Interaction, self.INTERACTION_COLUMNS, rows)
            self.loader.load(through, ["interaction_id", "contact_id"], links)
            self.flush_follow_ups()
        self.finish(Interaction, through)

    def client_interactions(
        self, plan: _ClientPlan, rate: float, rows: list[tuple], links: list[tuple]
    ) -> None:
        rng = self.rng("interactions", plan.index)
        weights = KIND_WEIGHTS[plan.kind]
        lam = rate * TYPE_ACTIVITY[plan.kind] * plan.activity
        quiet = plan.quiet_from or self.today
        for first, after in plan.active_spans(self.window_start, min(quiet, self.today)):
            count = _poisson(rng, lam * (after - first).days / 30.4)
            for _ in range(count):
                when = self.moment(rng, first, after)
                kind = rng.choices(KINDS, weights)[0]
                self.interaction(plan, rng, when, kind, rows, links, quiet)

    def interaction(
        self,
        plan: _ClientPlan,
        rng: random.Random,
        when: datetime,
        kind: str,
        rows: list[tuple],
        links: list[tuple],
        quiet: date,
    ) -> None:
        topic, reply_chance = rng.choice(TOPICS)
        roll = rng.random()
        if kind == K.NOTE:
            direction = Interaction.Direction.INTERNAL
        elif kind in (K.MEETING, K.EVENT):
            direction = "inbound" if roll < 0.25 else "outbound"
        elif kind == K.CALL:
            direction = "inbound" if roll < 0.4 else "outbound"
        else:
            direction = "inbound" if roll < 0.3 else "outbound"
        owner = plan.owner_at(when)
        interaction_id = self.ids.take(Interaction)
        summary = f"{K(kind).label} about {topic.lower()}."
        rows.append(
            (
                interaction_id,
                plan.id,
                owner,
                owner,
                kind,
                direction,
                when,
                topic,
                summary,
                None,
                when + timedelta(minutes=rng.randint(5, 90)),
            )
        )
        people = plan.contacts_at(when) if kind != K.NOTE else []
        chosen = rng.sample(people, min(len(people), 1 + (kind == K.MEETING) * rng.randint(0, 2)))
        links.extend((interaction_id, contact.id) for contact in chosen)
        if kind in (K.EMAIL, K.MESSAGE) and direction == "outbound" and rng.random() < reply_chance:
            reply_at = when + timedelta(minutes=rng.randint(30, 4 * 24 * 60))
            if reply_at < self.end and reply_at.date() < quiet and plan.active_on(reply_at.date()):
                reply_id = self.ids.take(Interaction)
                reply_owner = plan.owner_at(reply_at)
                rows.append(
                    (
                        reply_id,
                        plan.id,
                        reply_owner,
                        reply_owner,
                        kind,
                        "inbound",
                        reply_at,
                        topic,
                        f"Reply about {topic.lower()}.",
                        interaction_id,
                        reply_at + timedelta(minutes=rng.randint(5, 90)),
                    )
                )
                links.extend((reply_id, contact.id) for contact in chosen)
        chance = {K.MEETING: 0.35, K.CALL: 0.15, K.EMAIL: 0.05}.get(kind, 0)
        if chance and rng.random() < chance:
            self.follow_up(
                plan,
                rng,
                title=f"Send notes on {topic.lower()}",
                created_at=when + timedelta(minutes=10),
                due_on=when.date() + timedelta(days=rng.randint(2, 14)),
                origin=FollowUp.Origin.INTERACTION,
                interaction_id=interaction_id,
            )

    # Support ----------------------------------------------------------------------------------

    def build_support(self) -> None:
        rows: list[tuple] = []
        for plan in self.plans:
            rng = self.rng("support", plan.index)
            lam = MONTHLY_RATES[plan.kind][0]
            for first, after in plan.active_spans(self.window_start, self.today):
                for _ in range(_poisson(rng, lam * (after - first).days / 30.4)):
                    rows.append(self.issue(plan, rng, self.moment(rng, first, after)))
        rng = self.rng("support-demo")
        for key in ("issue_answered", "issue_resolved"):
            for month in self.gaps(key):
                found = self.demo_moment(rng, month)
                if found:
                    rows.append(self.issue(found[0], rng, found[1], breach=False))
        self.loader.load(
            SupportIssue,
            [
                "id",
                "client_id",
                "owner_id",
                "title",
                "priority",
                "sla_hours",
                "opened_at",
                "first_response_at",
                "resolved_at",
                "status",
                "contact_id",
            ],
            rows,
        )
        self.flush_follow_ups()
        self.finish(SupportIssue)

    def issue(
        self, plan: _ClientPlan, rng: random.Random, opened: datetime, breach: bool | None = None
    ) -> tuple:
        priority = rng.choices(*zip(*PRIORITY_WEIGHTS, strict=True))[0]
        if priority == Priority.URGENT and rng.random() < 0.3:
            opened = opened.replace(hour=rng.randrange(24))  # urgent issues come at any hour
        sla = settings.SUPPORT_SLA_HOURS[priority]
        low, high = FIRST_RESPONSE_HOURS[priority]
        responded = opened + timedelta(hours=rng.uniform(low, high))
        if breach is None:
            breach = rng.random() < 0.12
        share = rng.uniform(1.05, 3.0) if breach else rng.uniform(0.15, 0.95)
        resolved = max(responded, opened + timedelta(hours=sla * share))
        if breach and rng.random() < 0.3:
            # Waiting on the client or a fix: these fill the open support queue.
            resolved = opened + timedelta(days=rng.uniform(5, 40))
        if breach is False:
            # A covering issue lands in its month: answered and resolved within it.
            responded = opened + timedelta(minutes=rng.randint(10, 90))
            resolved = max(responded, opened + timedelta(hours=rng.uniform(1, min(sla, 6))))
        if rng.random() < 0.05:
            responded = resolved  # resolved without a separate first response
        status = SupportIssue.Status.RESOLVED
        if resolved >= self.end:
            resolved, status = None, SupportIssue.Status.ANSWERED
        if responded >= self.end:
            responded, status = None, SupportIssue.Status.OPEN
        people = plan.contacts_at(opened)
        contact = rng.choice(people).id if people else None
        issue_id = self.ids.take(SupportIssue)
        owner = plan.owner_at(opened)
        title = rng.choice(ISSUE_TITLES)
        if responded:
            self.note("issue_answered", owner, responded)
        if resolved:
            self.note("issue_resolved", owner, resolved)
            plan.resolved_issues.append((issue_id, resolved, contact))
            if resolved > opened + timedelta(hours=sla):
                self.follow_up(
                    plan,
                    rng,
                    title=f"Review the missed SLA on “{title}”",
                    created_at=resolved,
                    due_on=resolved.date() + timedelta(days=3),
                    origin=FollowUp.Origin.SUPPORT_ISSUE,
                )
        return (
            issue_id,
            plan.id,
            owner,
            title,
            priority,
            sla,
            opened,
            responded,
            resolved,
            status,
            contact,
        )

    # Deals ------------------------------------------------------------------------------------

    def build_deals(self) -> None:
        deals: list[tuple] = []
        changes: list[tuple] = []
        for plan in self.plans:
            rng = self.rng("deals", plan.index)
            if plan.started_on >= self.window_start:
                created = self.at(plan.started_on, 10)
                self.deal(plan, rng, created, Deal.Kind.NEW, deals, changes)
            lam = MONTHLY_RATES[plan.kind][1]
            for first, after in plan.active_spans(self.window_start, self.today):
                for _ in range(_poisson(rng, lam * (after - first).days / 30.4)):
                    kind = rng.choices(
                        [Deal.Kind.UPSELL, Deal.Kind.CROSS_SELL, Deal.Kind.RENEWAL], [35, 25, 40]
                    )[0]
                    self.deal(plan, rng, self.moment(rng, first, after), kind, deals, changes)
        rng = self.rng("deals-demo")
        for key, outcome in (("deal_won", True), ("deal_lost", False), ("upsell_closed", True)):
            for month in self.gaps(key):
                found = self.demo_moment(rng, month)
                if found:
                    plan, closes = found
                    kind = Deal.Kind.RENEWAL if key == "deal_won" else Deal.Kind.UPSELL
                    self.deal(plan, rng, None, kind, deals, changes, won=outcome, closes=closes)
        self.loader.load(
            Deal,
            [
                "id",
                "client_id",
                "owner_id",
                "title",
                "kind",
                "value",
                "created_at",
                "stage_id",
                "closed_at",
                "partner_id",
                "partner_role",
            ],
            deals,
        )
        self.loader.load(
            DealStageChange,
            [
                "deal_id",
                "owner_id",
                "from_stage_id",
                "to_stage_id",
                "entered_from_at",
                "changed_at",
                "changed_by_id",
            ],
            changes,
        )
        self.finish(Deal, DealStageChange)

    def deal(
        self,
        plan: _ClientPlan,
        rng: random.Random,
        created: datetime | None,
        kind: str,
        deals: list[tuple],
        changes: list[tuple],
        *,
        won: bool | None = None,
        closes: datetime | None = None,
    ) -> None:
        """A deal walking the pipeline. With ``closes`` it is dated backwards from its close."""
        if won is None:
            won = rng.random() < DEAL_WIN_CHANCE[kind]
        path = list(self.open_stages)
        if won and len(path) > 1 and rng.random() < 0.08:
            path += [path[-2], path[-1]]  # sent back for a new proposal, then on again
        if not won:
            path = path[: rng.randint(1, len(path))]
        path.append(self.won if won else self.lost)
        dwell = [timedelta(days=rng.uniform(5, 40)) for _ in path[1:]]
        if closes is not None:
            created = closes - sum(dwell, timedelta())
            earliest = self.at(plan.started_on, 9)
            if created < earliest:
                shrink = (closes - earliest) / (closes - created)
                dwell = [d * shrink for d in dwell]
                created = earliest
        deal_id = self.ids.take(Deal)
        owner = plan.owner_at(created)
        steps = [(None, path[0], None, created)]
        for stage, wait in zip(path[1:], dwell, strict=True):
            moved = steps[-1][3] + wait
            if moved >= self.end:
                break
            steps.append((steps[-1][1], stage, steps[-1][3], moved))
        for from_stage, to_stage, entered, moved in steps:
            changes.append(
                (
                    deal_id,
                    plan.owner_at(moved),
                    from_stage and from_stage.id,
                    to_stage.id,
                    entered,
                    moved,
                    plan.owner_at(moved),
                )
            )
        final, closed = steps[-1][1], None
        if final.is_terminal:
            closed = steps[-1][3]
            closer = plan.owner_at(closed)
            self.note("deal_won" if final == self.won else "deal_lost", closer, closed)
            if kind in (Deal.Kind.UPSELL, Deal.Kind.CROSS_SELL):
                self.note("upsell_closed", closer, closed)
        low, high = DEAL_BASE_VALUE[kind]
        value = _money(round(rng.uniform(low, high) * VALUE_FACTOR[plan.kind], -2))
        held = set(plan.base_products) | {
            name for name in PRODUCT_NAMES if self.products[name] in {p[1] for p in plan.products}
        }
        if kind == Deal.Kind.CROSS_SELL:
            product = rng.choice([n for n in PRODUCT_NAMES if n not in held] or PRODUCT_NAMES)
        else:
            product = rng.choice(sorted(held))
        partner, role = None, ""
        if plan.sourced_by and kind == Deal.Kind.NEW:
            partner, role = plan.sourced_by, Deal.PartnerRole.SOURCED
        elif self.partners and plan.kind != RelationshipType.PARTNER and rng.random() < 0.08:
            partner, role = rng.choice(self.partners).id, Deal.PartnerRole.INFLUENCED
        if closed and final == self.won and kind != Deal.Kind.RENEWAL:
            # Won business is billed monthly from the following month on.
            plan.products.append(
                (_add_months(closed.date(), 1), self.products[product], float(value) / 12, deal_id)
            )
        deals.append(
            (
                deal_id,
                plan.id,
                owner,
                f"{product} – {Deal.Kind(kind).label.lower()} for {plan.name}",
                kind,
                value,
                created,
                final.id,
                closed,
                partner,
                role,
            )
        )

    # Revenue ----------------------------------------------------------------------------------

    def build_revenue(self) -> None:
        rows: list[tuple] = []
        services = self.products[SERVICES_PRODUCT]
        for plan in self.plans:
            rng = self.rng("revenue", plan.index)
            factor = VALUE_FACTOR[plan.kind]
            lines = [
                (plan.started_on, self.products[name], self.prices[name] * factor, None)
                for name in plan.base_products
            ]
            lines += plan.products
            margins = {line[1]: rng.uniform(0.3, 0.7) for line in lines}
            for month in self.months:
                first = _month_start(month)
                if first >= self.today or not plan.active_on(first):
                    continue
                owner = plan.owner_at(first)
                for start, product, monthly, deal_id in lines:
                    if start <= first:
                        amount = monthly * rng.uniform(0.95, 1.05)
                        rows.append(
                            (
                                plan.id,
                                owner,
                                product,
                                first,
                                _money(amount),
                                _money(amount * margins[product]),
                                deal_id,
                                "Monthly subscription",
                            )
                        )
                if rng.random() < 0.08:
                    day = first + timedelta(days=rng.randint(0, 27))
                    if day < self.today:
                        amount = rng.uniform(2000, 20000) * factor
                        rows.append(
                            (
                                plan.id,
                                plan.owner_at(day),
                                services,
                                day,
                                _money(amount),
                                _money(amount * rng.uniform(0.6, 0.85)),
                                None,
                                "Consulting days",
                            )
                        )
        self.loader.load(
            RevenueLine,
            [
                "client_id",
                "owner_id",
                "product_id",
                "recognised_on",
                "amount",
                "cost_to_serve",
                "deal_id",
                "description",
            ],
            rows,
        )
        self.finish(RevenueLine)

    # Projects, goals, feedback ----------------------------------------------------------------

    def build_projects(self) -> None:
        rows: list[tuple] = []
        for plan in self.plans:
            rng = self.rng("projects", plan.index)
            lam = MONTHLY_RATES[plan.kind][2]
            for first, after in plan.active_spans(self.window_start, self.today):
                for _ in range(_poisson(rng, lam * (after - first).days / 30.4)):
                    started = self.moment(rng, first, after).date()
                    rows.append(self.project(plan, rng, started, rng.randint(30, 150)))
        rng = self.rng("projects-demo")
        for month in self.gaps("project_due"):
            found = self.demo_moment(rng, month)
            if found:
                due = found[1].date()
                started = due - timedelta(days=60)
                rows.append(self.project(found[0], rng, started, 60, outcome="on_time"))
        if not self.demo_overdue_project:
            # One late project on the demo BRM's desk.
            plan = self.plans[0]
            started = self.today - timedelta(days=100)
            rows.append(self.project(plan, rng, started, 90, outcome="open"))
        self.loader.load(
            Project,
            ["id", "client_id", "owner_id", "name", "started_on", "due_on", "completed_at"],
            rows,
        )
        self.finish(Project)

    def project(
        self,
        plan: _ClientPlan,
        rng: random.Random,
        started: date,
        days: int,
        outcome: str | None = None,
    ) -> tuple:
        due = started + timedelta(days=days)
        outcome = outcome or rng.choices(["on_time", "late", "open"], [72, 18, 10])[0]
        completed = None
        if outcome == "on_time":
            completed = self.at(due - timedelta(days=rng.randint(0, 20)), rng.randint(10, 17))
        elif outcome == "late":
            completed = self.at(due + timedelta(days=rng.randint(1, 45)), rng.randint(10, 17))
        if completed is not None and completed >= self.end:
            completed = None
        project_id = self.ids.take(Project)
        owner = plan.owner_at(due)
        self.note("project_due", owner, due)
        if owner == self.demo_id and completed is None and due < self.today:
            self.demo_overdue_project = True
        if completed:
            plan.completed_projects.append((project_id, completed))
        return (
            project_id,
            plan.id,
            owner,
            f"{rng.choice(PROJECT_NAMES)} {due.year}",
            started,
            due,
            completed,
        )

    def build_goals(self) -> None:
        goals: list[tuple] = []
        reviews: list[tuple] = []
        for plan in self.plans:
            if plan.kind != RelationshipType.STRATEGIC:
                continue
            rng = self.rng("goals", plan.index)
            created = max(plan.started_on, self.window_start - timedelta(days=180))
            while created < self.today:
                if plan.active_on(created):
                    due = created + timedelta(days=rng.randint(90, 270))
                    self.goal(plan, rng, created, due, goals, reviews)
                created += timedelta(days=rng.randint(100, 200))
        rng = self.rng("goals-demo")
        for month in self.gaps("goal_due"):
            found = self.demo_moment(rng, month, kinds=[RelationshipType.STRATEGIC])
            if found:
                due = found[1].date()
                self.goal(found[0], rng, due - timedelta(days=120), due, goals, reviews)
        self.loader.load(
            SharedGoal,
            [
                "id",
                "client_id",
                "owner_id",
                "title",
                "due_on",
                "met",
                "assessed_on",
                "last_reviewed_on",
                "created_at",
            ],
            goals,
        )
        self.loader.load(GoalReview, ["goal_id", "reviewed_on", "note"], reviews)
        self.finish(SharedGoal, GoalReview)

    def goal(
        self,
        plan: _ClientPlan,
        rng: random.Random,
        created: date,
        due: date,
        goals: list[tuple],
        reviews: list[tuple],
    ) -> None:
        goal_id = self.ids.take(SharedGoal)
        stop = min(due, self.today)
        if plan.lapsed_goals:
            stop = min(stop, self.today - timedelta(days=120))
        day, last = created + timedelta(days=rng.randint(20, 40)), None
        while day < stop:
            if rng.random() < 0.75 and plan.active_on(day):
                reviews.append((goal_id, day, "Reviewed progress together."))
                last = day
            day += timedelta(days=rng.randint(21, 40))
        met, assessed = None, due + timedelta(days=rng.randint(0, 14))
        if assessed < self.today:
            met = rng.random() < 0.65
        else:
            assessed = None
        owner = plan.owner_at(due)
        self.note("goal_due", owner, due)
        goals.append(
            (
                goal_id,
                plan.id,
                owner,
                rng.choice(GOAL_TITLES),
                due,
                met,
                assessed,
                last,
                self.at(created, 11),
            )
        )

    def build_feedback(self) -> None:
        rows: list[tuple] = []
        for plan in self.plans:
            rng = self.rng("feedback", plan.index)
            lam = MONTHLY_RATES[plan.kind][3]
            for first, after in plan.active_spans(self.window_start, self.today):
                for _ in range(_poisson(rng, lam * (after - first).days / 30.4)):
                    rows.append(self.feedback(plan, rng, self.moment(rng, first, after).date()))
        rng = self.rng("feedback-demo")
        for month in self.gaps("feedback_closed"):
            found = self.demo_moment(rng, month)
            if found:
                closed = found[1].date()
                row = self.feedback(found[0], rng, closed - timedelta(days=20), closes=closed)
                rows.append(row)
        self.loader.load(
            FeedbackItem,
            ["client_id", "owner_id", "summary", "received_on", "closed_on", "outcome"],
            rows,
        )
        self.finish(FeedbackItem)

    def feedback(
        self, plan: _ClientPlan, rng: random.Random, received: date, closes: date | None = None
    ) -> tuple:
        closed = closes or received + timedelta(days=rng.randint(7, 120))
        outcome = rng.choices(FeedbackItem.Outcome.values, [55, 45])[0]
        if closed >= self.today:
            closed, outcome = None, ""
        owner = plan.owner_at(received)
        if closed:
            self.note("feedback_closed", owner, closed)
        return (plan.id, owner, rng.choice(FEEDBACK_SUMMARIES), received, closed, outcome)

    # Partners ---------------------------------------------------------------------------------

    def build_partners(self) -> None:
        referrals: list[tuple] = []
        certifications: list[tuple] = []
        used: set[str] = set()
        by_id = {p.id: p for p in self.partners}
        for plan in self.plans:
            if plan.sourced_by:
                partner = by_id[plan.sourced_by]
                rng = self.rng("referral-converted", plan.index)
                received = plan.started_on - timedelta(days=rng.randint(7, 45))
                received = max(received, partner.started_on)
                owner = partner.owner_at(received)
                self.note("referral", owner, received)
                referrals.append((partner.id, owner, plan.name, received, plan.id))
        for partner in self.partners:
            rng = self.rng("partner", partner.index)
            for first, after in partner.active_spans(self.window_start, self.today):
                for _ in range(_poisson(rng, 0.35 * (after - first).days / 30.4)):
                    received = self.moment(rng, first, after).date()
                    owner = partner.owner_at(received)
                    self.note("referral", owner, received)
                    lead = self.company_name(rng, used)
                    referrals.append((partner.id, owner, lead, received, None))
            forced = partner.index < len(self.FORCED_DEMO_CLIENTS)
            valid_from = max(partner.started_on, self.founded)
            for number in range(1 if forced else rng.randint(1, 3)):
                if forced:
                    start = self.window_start - timedelta(days=200)
                    until = self.today + timedelta(days=200)
                else:
                    days = max(1, (self.today - valid_from).days)
                    start = valid_from + timedelta(days=rng.randrange(days))
                    until = start + timedelta(days=rng.choice([365, 730]) - 1)
                certifications.append((partner.id, CERTIFICATIONS[number], start, until))
        rng = self.rng("referrals-demo")
        for month in self.gaps("referral"):
            found = self.demo_moment(rng, month, kinds=[RelationshipType.PARTNER])
            if found:
                partner, when = found
                referrals.append(
                    (partner.id, self.demo_id, self.company_name(rng, used), when.date(), None)
                )
        self.loader.load(
            PartnerReferral,
            ["partner_id", "owner_id", "lead_name", "received_on", "referred_client_id"],
            referrals,
        )
        self.loader.load(
            PartnerCertification,
            ["partner_id", "name", "valid_from", "valid_until"],
            certifications,
        )
        self.finish(PartnerReferral, PartnerCertification)

    # Surveys ----------------------------------------------------------------------------------

    INVITATION_COLUMNS = [
        "id",
        "contact_id",
        "client_id",
        "owner_id",
        "kind",
        "trigger",
        "question",
        "low_label",
        "high_label",
        "token_hash",
        "reminder_token_hash",
        "created_at",
        "expires_at",
        "status",
        "delivered_at",
        "opened_at",
        "provisional_score",
        "provisional_at",
        "answered_at",
        "reminder_sent_at",
        "support_issue_id",
        "project_id",
    ]
    RESPONSE_COLUMNS = [
        "invitation_id",
        "client_id",
        "contact_id",
        "owner_id",
        "kind",
        "score",
        "comment",
        "may_quote",
        "answered_at",
        "updated_at",
        "source",
        "follow_up_id",
    ]

    def build_surveys(self) -> None:
        rate = self.scale.surveys_per_client_month
        issue_kind = settings.SURVEY_ISSUE_RESOLVED_KIND
        chunk = 1000
        T = Invitation.Trigger
        for offset in range(0, len(self.plans), chunk):
            invitations: list[tuple] = []
            responses: list[tuple] = []
            for plan in self.plans[offset : offset + chunk]:
                rng = self.rng("surveys", plan.index)
                last_asked: dict[int, datetime] = {}
                asks: list[tuple[datetime, str, str, int | None, int | None, int | None]] = []
                for first, after in plan.active_spans(self.window_start, self.today):
                    months = (after - first).days / 30.4
                    for _ in range(_poisson(rng, 0.55 * rate * months)):
                        when = self.moment(rng, first, after)
                        asks.append((when, SurveyKind.NPS, T.RELATIONSHIP_CYCLE, None, None, None))
                    for _ in range(_poisson(rng, 0.1 * rate * months)):
                        when = self.moment(rng, first, after)
                        kind = rng.choice(SurveyKind.values)
                        asks.append((when, kind, T.MANUAL, None, None, None))
                for issue_id, resolved, contact in plan.resolved_issues:
                    if rng.random() < min(1.0, 0.7 * rate):
                        when = resolved + timedelta(minutes=rng.randint(30, 240))
                        asks.append((when, issue_kind, T.ISSUE_RESOLVED, issue_id, None, contact))
                for project_id, completed in plan.completed_projects:
                    if rng.random() < min(1.0, 0.85 * rate):
                        when = completed + timedelta(hours=rng.randint(1, 48))
                        asks.append(
                            (when, SurveyKind.CES, T.PROJECT_COMPLETED, None, project_id, None)
                        )
                self.imported_answers(plan, rng, responses)
                for when, kind, trigger, issue_id, project_id, contact_id in sorted(
                    asks, key=lambda ask: ask[0]
                ):
                    if when >= self.end:
                        continue
                    contact = self.survey_contact(plan, rng, when, last_asked, contact_id)
                    if contact is not None:
                        self.invitation(
                            plan,
                            rng,
                            when,
                            kind,
                            trigger,
                            contact,
                            invitations,
                            responses,
                            support_issue_id=issue_id,
                            project_id=project_id,
                        )
            self.loader.load(Invitation, self.INVITATION_COLUMNS, invitations)
            self.flush_follow_ups()
            self.loader.load(Response, self.RESPONSE_COLUMNS, responses)
        self.cover_surveys()
        self.finish(Invitation, Response)

    def imported_answers(
        self, plan: _ClientPlan, rng: random.Random, responses: list[tuple]
    ) -> None:
        """NPS answers from before the CRM sent surveys itself, imported from a spreadsheet:
        no invitation, and no follow-up was logged for them at the time."""
        history_end = min(_add_months(self.window_start, 3), self.today)
        for first, after in plan.active_spans(self.window_start, history_end):
            for _ in range(_poisson(rng, 0.3 * (after - first).days / 30.4)):
                when = self.moment(rng, first, after)
                people = plan.contacts_at(when)
                contact = rng.choice(people).id if people else None
                responses.append(
                    self.response(plan, rng, when, SurveyKind.NPS, contact, None, loop=False)
                )

    def survey_contact(
        self,
        plan: _ClientPlan,
        rng: random.Random,
        when: datetime,
        last_asked: dict[int, datetime],
        preferred: int | None = None,
    ) -> int | None:
        """A contact who may be asked: not opted out, not asked within the throttle period."""
        throttle = timedelta(days=settings.SURVEY_THROTTLE_DAYS)
        people = [
            c
            for c in plan.contacts_at(when)
            if not c.opted_out and (c.id not in last_asked or when - last_asked[c.id] >= throttle)
        ]
        if not people:
            return None
        chosen = next((c for c in people if c.id == preferred), None) or rng.choice(people)
        last_asked[chosen.id] = when
        return chosen.id

    def invitation(
        self,
        plan: _ClientPlan,
        rng: random.Random,
        created: datetime,
        kind: str,
        trigger: str,
        contact_id: int,
        invitations: list[tuple],
        responses: list[tuple],
        *,
        support_issue_id: int | None = None,
        project_id: int | None = None,
        score: int | None = None,
        may_quote: bool = False,
    ) -> None:
        """An invitation and what became of it: bounced, unanswered (perhaps with a score
        clicked but never confirmed), or answered, with a follow-up for unhappy answers."""
        invitation_id = self.ids.take(Invitation)
        expires = created + timedelta(days=settings.SURVEY_EXPIRY_DAYS)
        owner = plan.owner_at(created)
        status, delivered = Invitation.Status.DELIVERED, created + timedelta(minutes=2)
        opened = provisional = provisional_at = answered = reminded = None
        roll = rng.random()
        if score is None and roll < 0.03:
            status, delivered = Invitation.Status.BOUNCED, None
        elif score is not None or roll < ANSWER_CHANCE[kind] * (1 + plan.sentiment * 0.1):
            answered = delivered + timedelta(hours=rng.expovariate(1 / 30))
            if score is not None:
                answered = min(answered, created + timedelta(hours=3))
            if answered >= min(expires, self.end):
                answered = None
        if delivered is not None and answered is None and rng.random() < 0.3:
            opened = delivered + timedelta(hours=rng.uniform(1, 72))
            if opened < self.end and rng.random() < 0.2:
                low, high = SCALES[kind]
                provisional, provisional_at = rng.randint(low, high), opened
            elif opened >= self.end:
                opened = None
        if answered is not None:
            opened = answered - timedelta(minutes=rng.randint(1, 10))
        remind_at = created + timedelta(days=settings.SURVEY_REMINDER_AFTER_DAYS)
        if delivered and (answered is None or answered > remind_at) and remind_at < self.end:
            reminded = remind_at
        if delivered:
            self.note("invited", owner, created)
        question, low_label, high_label = self.questions[kind]
        seed = f"demo:{self.scale.seed}:{invitation_id}"
        invitations.append(
            (
                invitation_id,
                contact_id,
                plan.id,
                owner,
                kind,
                trigger,
                question,
                low_label,
                high_label,
                hash_token(seed),
                hash_token(seed + ":reminder") if reminded else None,
                created,
                expires,
                status,
                delivered,
                opened,
                provisional,
                provisional_at,
                answered,
                reminded,
                support_issue_id,
                project_id,
            )
        )
        if answered is not None:
            responses.append(
                self.response(
                    plan, rng, answered, kind, contact_id, invitation_id, score, may_quote
                )
            )

    def response(
        self,
        plan: _ClientPlan,
        rng: random.Random,
        answered: datetime,
        kind: str,
        contact_id: int | None,
        invitation_id: int | None,
        score: int | None = None,
        may_quote: bool = False,
        *,
        loop: bool = True,
    ) -> tuple:
        # Sentiment drifts up over the window: the demo tells a story of improvement.
        progress = (answered.date() - self.window_start).days / max(1, self.scale.months * 30.4)
        mood = plan.sentiment * 0.6 + progress * 0.5 + rng.gauss(0, 1)
        if score is None:
            if kind == SurveyKind.NPS:
                score = 10 if mood > 1.1 else 9 if mood > 0.35 else 8 if mood > -0.1 else 7
                if mood < -0.5:
                    score = max(0, 6 - int((-0.5 - mood) * 3))
            elif kind == SurveyKind.CSAT:
                score = 5 if mood > 0.3 else 4 if mood > -0.8 else 3 if mood > -1.3 else 2
                if mood < -1.9:
                    score = 1
            else:
                score = max(1, min(7, round(3 - mood * 1.3)))
        happy = (
            (kind == SurveyKind.NPS and score >= 9)
            or (kind == SurveyKind.CSAT and score == 5)
            or (kind == SurveyKind.CES and score <= 2)
        )
        unhappy = (kind == SurveyKind.NPS and score <= 6) or (
            kind == SurveyKind.CSAT and score <= 2
        )
        comment = ""
        if may_quote or rng.random() < 0.45:
            pool = (
                PROMOTER_COMMENTS if happy else DETRACTOR_COMMENTS if unhappy else PASSIVE_COMMENTS
            )
            comment = rng.choice(pool)
            may_quote = may_quote or (happy and rng.random() < 0.35)
        owner = plan.owner_at(answered)
        follow_up_id = None
        if unhappy and loop:
            due = add_business_days(answered.date(), settings.CLOSE_LOOP_BUSINESS_DAYS)
            follow_up_id = self.follow_up(
                plan,
                rng,
                title=f"Call back about a {SurveyKind(kind).label} score of {score}",
                created_at=answered + timedelta(minutes=1),
                due_on=due,
                origin=FollowUp.Origin.SURVEY_DETRACTOR,
                outcome=rng.choices(["on_time", "late", "open"], [80, 12, 8])[0],
            )
        if unhappy:
            self.note("detractor", owner, answered)
        self.note(kind, owner, answered)
        if may_quote:
            self.note("testimonial", owner, answered)
        source = Response.Source.EMAIL if invitation_id else Response.Source.IMPORT
        return (
            invitation_id,
            plan.id,
            contact_id,
            owner,
            kind,
            score,
            comment,
            may_quote,
            answered,
            answered,
            source,
            follow_up_id,
        )

    def cover_surveys(self) -> None:
        """Top the demo BRM up so that every survey KPI has answers in every month."""
        rng = self.rng("surveys-demo")
        invitations: list[tuple] = []
        responses: list[tuple] = []
        wanted = {
            SurveyKind.NPS: (SurveyKind.NPS, 9, False),
            SurveyKind.CSAT: (SurveyKind.CSAT, 4, False),
            SurveyKind.CES: (SurveyKind.CES, 2, False),
            "detractor": (SurveyKind.NPS, 5, False),
            "testimonial": (SurveyKind.NPS, 10, True),
            "invited": (SurveyKind.NPS, 8, False),
        }
        for key, (kind, score, quote) in wanted.items():
            for month in self.gaps(key):
                found = self.demo_moment(rng, month)
                if found is None:
                    continue
                plan, when = found
                # The answer must land in the month too, and before today.
                when = min(when, self.end - timedelta(hours=4))
                month_end = self.at(_month_start(month + 1))
                when = min(when, month_end - timedelta(hours=4))
                contact = self.survey_contact(plan, rng, when, {})
                if contact is None:
                    continue
                self.invitation(
                    plan,
                    rng,
                    when,
                    kind,
                    Invitation.Trigger.MANUAL,
                    contact,
                    invitations,
                    responses,
                    score=score,
                    may_quote=quote,
                )
        self.loader.load(Invitation, self.INVITATION_COLUMNS, invitations)
        self.flush_follow_ups()
        self.loader.load(Response, self.RESPONSE_COLUMNS, responses)

    # Manual follow-ups ------------------------------------------------------------------------

    def build_manual_follow_ups(self) -> None:
        for plan in self.plans:
            rng = self.rng("follow-ups", plan.index)
            for first, after in plan.active_spans(self.window_start, self.today):
                for _ in range(_poisson(rng, 0.15 * (after - first).days / 30.4)):
                    when = self.moment(rng, first, after)
                    due = when.date() + timedelta(days=rng.randint(1, 21))
                    self.manual_follow_up(plan, rng, when, due)
        rng = self.rng("follow-ups-demo")
        for key in ("follow_up_due", "follow_up_done"):
            for month in self.gaps(key):
                found = self.demo_moment(rng, month)
                if found:
                    plan, when = found
                    due = min(when.date() + timedelta(days=2), _month_start(month + 1))
                    due = max(due - timedelta(days=1), when.date())
                    self.manual_follow_up(plan, rng, when, due, outcome="on_time")
        # The demo BRM's to-do list: a few things overdue and a few coming up.
        current = [p for p in self.demo_plans if p.owner_id == self.demo_id]
        current = [p for p in current if p.active_on(self.today - timedelta(days=1))]
        for state, wanted in (("overdue", 3), ("upcoming", 4)):
            for number in range(
                max(0, wanted - self.open_demo_follow_ups[state]) if current else 0
            ):
                plan = current[number % len(current)]
                when = self.end - timedelta(days=10 - number, hours=6)
                offset = -rng.randint(1, 5) if state == "overdue" else rng.randint(1, 10)
                self.manual_follow_up(
                    plan, rng, when, self.today + timedelta(days=offset), outcome="open"
                )
        self.flush_follow_ups()
        self.finish(FollowUp)

    def manual_follow_up(
        self,
        plan: _ClientPlan,
        rng: random.Random,
        when: datetime,
        due: date,
        outcome: str | None = None,
    ) -> None:
        self.follow_up(
            plan,
            rng,
            title=rng.choice(
                [
                    "Send the revised proposal",
                    "Book the quarterly review",
                    "Check in after the rollout",
                    "Introduce the new support lead",
                    "Share the case study",
                ]
            ),
            created_at=when,
            due_on=due,
            origin=FollowUp.Origin.MANUAL,
            outcome=outcome,
        )


def demo_invite_to_surveys(*, count: int = 3) -> list:
    """Send a few real survey invitations to the demo BRM's contacts through the outbox, so the
    dev mailbox has e-mails a newcomer can open and answer. Contacts the survey rules block
    (throttled, opted out, churned) are skipped, so running it again may send none."""
    from surveys.models import Invitation, SurveyKind
    from surveys.selectors import contacts_eligible_for_survey
    from surveys.services import invitation_send

    contacts = contacts_eligible_for_survey().filter(
        client__owner__email=DEMO_LOGINS[0].email, email__gt=""
    )[:count]
    return [
        invitation_send(contact=contact, kind=SurveyKind.NPS, trigger=Invitation.Trigger.MANUAL)
        for contact in contacts
    ]
