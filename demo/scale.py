"""What the demo is made of: the demo logins, the scale of the organisation and the summary
of a load."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.db import models

from accounts.models import Role, Team, TeamMembership, User
from crm.models import (
    Client,
    ClientOwnership,
    ClientStatusChange,
    Contact,
    Deal,
    DealStageChange,
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
from surveys.models import Invitation, Response

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


@dataclass(frozen=True)
class DemoScale:
    """How big the organisation is. The defaults make the small demo ``make run`` loads."""

    brms: int = 12
    clients: int = 300
    months: int = 24
    teams: int = 0  # 0: one team per eight BRMs, at least three
    interactions_per_client_month: float = 4.0
    # Enough that most BRMs reach the minimum sample of NPS answers in a quarter while many
    # of their months stay below it, as in a real organisation of this size (25 clients each).
    surveys_per_client_month: float = 2.0
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
