"""The demo builder: seeded random streams, time helpers and the order in which the record
families (one mixin each) are built."""

from __future__ import annotations

import random
import time as clock
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta

from django.db import models
from django.utils import timezone

from crm.models import (
    DealStage,
    Product,
    StageKind,
)
from demo.activity import ActivityMixin
from demo.clients import ClientsMixin
from demo.delivery import DeliveryMixin
from demo.loader import Ids, Loader
from demo.people import PeopleMixin
from demo.pipeline import PipelineMixin
from demo.plans import ClientPlan, add_months, month_key, month_start, poisson
from demo.scale import DemoScale
from demo.surveys import SurveysMixin
from demo.vocabulary import PRODUCTS, SERVICES_PRODUCT
from surveys.models import SurveyKind, SurveyQuestion


class Builder(PeopleMixin, ClientsMixin, ActivityMixin, PipelineMixin, DeliveryMixin, SurveysMixin):
    """Builds the organisation, one record family per mixin (``demo/<family>.py``)."""

    def __init__(self, *, scale: DemoScale, today: date, loader: Loader):
        self.scale = scale
        self.today = today
        self.loader = loader
        self.ids = Ids()
        self.tz = timezone.get_current_timezone()
        self.end = self.at(today)  # nothing happens from today's midnight on
        self.window_start = add_months(today, -scale.months)
        self.founded = self.window_start - timedelta(days=3 * 365)
        self.midpoint = add_months(self.window_start, scale.months // 2)
        self.months = list(range(month_key(self.window_start), month_key(today) + 1))
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

    def moments(
        self, rng: random.Random, spans: Iterable[tuple[date, date]], per_month: float
    ) -> Iterator[datetime]:
        """Moments of events happening ``per_month`` times a month (a Poisson count per
        ``(first, after)`` span of days), each a working-hours ``moment`` in its span. Every
        draw comes from ``rng``, in the same order whatever the caller draws between them."""
        for first, after in spans:
            for _ in range(poisson(rng, per_month * (after - first).days / 30.4)):
                yield self.moment(rng, first, after)

    def client_moments(
        self, family: str, per_month: Callable[[ClientPlan], float]
    ) -> Iterator[tuple[ClientPlan, random.Random, datetime]]:
        """``(plan, rng, moment)`` for each event of ``family`` on each client while it is
        active, at ``per_month(plan)`` events a month. Each client draws from its own
        generator, seeded by family and client, which the caller goes on drawing from."""
        for plan in self.plans:
            rng = self.rng(family, plan.index)
            spans = plan.active_spans(self.window_start, self.today)
            for when in self.moments(rng, spans, per_month(plan)):
                yield plan, rng, when

    def note(self, key: str, owner_id: int, when: date | datetime) -> None:
        if owner_id == self.demo_id:
            day = when.date() if isinstance(when, datetime) else when
            self.covered.add((key, month_key(day)))

    def gaps(self, key: str) -> list[int]:
        return [month for month in self.covered_months if (key, month) not in self.covered]

    def demo_moment(
        self, rng: random.Random, month: int, *, kinds: Iterable[str] | None = None
    ) -> tuple[ClientPlan, datetime] | None:
        """A demo client active and owned by the demo BRM at a moment in ``month``."""
        first = month_start(month)
        after = min(month_start(month + 1), self.today)
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

    def gap_moments(
        self, rng: random.Random, *keys: str, kinds: Iterable[str] | None = None
    ) -> Iterator[tuple[int, ClientPlan, datetime]]:
        """For each month that still lacks a ``key`` record for the demo BRM (key by key, each
        key's months read when its turn comes), the month with a ``demo_moment`` in it; a month
        without one is skipped."""
        for key in keys:
            for month in self.gaps(key):
                found = self.demo_moment(rng, month, kinds=kinds)
                if found:
                    yield month, *found

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
