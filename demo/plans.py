"""The plan of the organisation before any row is written: BRMs' careers, clients with their
ownership spans and contacts, and the date helpers every family uses."""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from crm.attribution import OwnershipTimeline
from crm.models import (
    LifecycleStatus,
)
from demo.vocabulary import CENT


@dataclass(eq=False)
class Brm:
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
class ContactPlan:
    id: int
    name: str
    created_at: datetime
    opted_out: bool


@dataclass(eq=False)
class ClientPlan:
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
    contacts: list[ContactPlan] = field(default_factory=list)
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

    def contacts_at(self, when: datetime) -> list[ContactPlan]:
        return self.contacts[: bisect_right(self.contact_times, when)]


def month_key(when: date) -> int:
    return when.year * 12 + when.month - 1


def month_start(key: int) -> date:
    return date(key // 12, key % 12 + 1, 1)


def add_months(day: date, months: int) -> date:
    return month_start(month_key(day) + months)


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def money(value: float) -> Decimal:
    return Decimal(str(round(value, 2))).quantize(CENT)
