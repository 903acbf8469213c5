"""Demo activity in the book: interactions with replies, follow-ups (from interactions and
by hand) and support issues."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from django.conf import settings

from crm.models import (
    FollowUp,
    Interaction,
    Priority,
    SupportIssue,
)
from demo.plans import ClientPlan, month_start, poisson
from demo.vocabulary import (
    FIRST_RESPONSE_HOURS,
    ISSUE_TITLES,
    KIND_WEIGHTS,
    KINDS,
    PRIORITY_WEIGHTS,
    SUPPORT,
    TOPICS,
    TYPE_ACTIVITY,
    K,
    monthly_rate,
)


class ActivityMixin:
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
        plan: ClientPlan,
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
        self, plan: ClientPlan, rate: float, rows: list[tuple], links: list[tuple]
    ) -> None:
        rng = self.rng("interactions", plan.index)
        weights = KIND_WEIGHTS[plan.kind]
        lam = rate * TYPE_ACTIVITY[plan.kind] * plan.activity
        quiet = plan.quiet_from or self.today
        for first, after in plan.active_spans(self.window_start, min(quiet, self.today)):
            count = poisson(rng, lam * (after - first).days / 30.4)
            for _ in range(count):
                when = self.moment(rng, first, after)
                kind = rng.choices(KINDS, weights)[0]
                self.interaction(plan, rng, when, kind, rows, links, quiet)

    def interaction(
        self,
        plan: ClientPlan,
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
            # Logged two-way by default (the quick log preselects it); some were logged as who
            # asked for the meeting, as before that default.
            if roll < 0.6:
                direction = Interaction.Direction.TWO_WAY
            else:
                direction = "inbound" if roll < 0.7 else "outbound"
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
        rows = [
            self.issue(plan, rng, when)
            for plan, rng, when in self.client_moments("support", monthly_rate(SUPPORT))
        ]
        rng = self.rng("support-demo")
        for _, plan, when in self.gap_moments(rng, "issue_answered", "issue_resolved"):
            rows.append(self.issue(plan, rng, when, breach=False))
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
        self, plan: ClientPlan, rng: random.Random, opened: datetime, breach: bool | None = None
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

    # Manual follow-ups ------------------------------------------------------------------------

    def build_manual_follow_ups(self) -> None:
        for plan, rng, when in self.client_moments("follow-ups", lambda plan: 0.15):
            due = when.date() + timedelta(days=rng.randint(1, 21))
            self.manual_follow_up(plan, rng, when, due)
        rng = self.rng("follow-ups-demo")
        for month, plan, when in self.gap_moments(rng, "follow_up_due", "follow_up_done"):
            due = min(when.date() + timedelta(days=2), month_start(month + 1))
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
        plan: ClientPlan,
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
