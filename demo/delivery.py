"""Demo delivery and partnership records: projects, shared goals with reviews, feedback,
partner referrals and certifications."""

from __future__ import annotations

import random
from datetime import date, timedelta

from crm.models import (
    FeedbackItem,
    GoalReview,
    PartnerCertification,
    PartnerReferral,
    Project,
    RelationshipType,
    SharedGoal,
)
from demo.plans import ClientPlan
from demo.vocabulary import (
    CERTIFICATIONS,
    FEEDBACK,
    FEEDBACK_SUMMARIES,
    GOAL_TITLES,
    PROJECT_NAMES,
    PROJECTS,
    monthly_rate,
)


class DeliveryMixin:
    # Projects, goals, feedback ----------------------------------------------------------------

    def build_projects(self) -> None:
        rows = [
            self.project(plan, rng, when.date(), rng.randint(30, 150))
            for plan, rng, when in self.client_moments("projects", monthly_rate(PROJECTS))
        ]
        rng = self.rng("projects-demo")
        for _, plan, when in self.gap_moments(rng, "project_due"):
            started = when.date() - timedelta(days=60)
            rows.append(self.project(plan, rng, started, 60, outcome="on_time"))
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
        plan: ClientPlan,
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
        for _, plan, when in self.gap_moments(rng, "goal_due", kinds=[RelationshipType.STRATEGIC]):
            due = when.date()
            self.goal(plan, rng, due - timedelta(days=120), due, goals, reviews)
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
        plan: ClientPlan,
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
        rows = [
            self.feedback(plan, rng, when.date())
            for plan, rng, when in self.client_moments("feedback", monthly_rate(FEEDBACK))
        ]
        rng = self.rng("feedback-demo")
        for _, plan, when in self.gap_moments(rng, "feedback_closed"):
            closed = when.date()
            rows.append(self.feedback(plan, rng, closed - timedelta(days=20), closes=closed))
        self.loader.load(
            FeedbackItem,
            ["client_id", "owner_id", "summary", "received_on", "closed_on", "outcome"],
            rows,
        )
        self.finish(FeedbackItem)

    def feedback(
        self, plan: ClientPlan, rng: random.Random, received: date, closes: date | None = None
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
            spans = partner.active_spans(self.window_start, self.today)
            for when in self.moments(rng, spans, 0.35):
                received = when.date()
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
