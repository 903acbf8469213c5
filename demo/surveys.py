"""Demo survey records: invitations and answers (and the follow-ups detractors open),
topped up so every survey KPI has a denominator in every complete month."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings

from crm.calendar import add_business_days
from crm.models import (
    FollowUp,
)
from demo.plans import ClientPlan, add_months, month_start, poisson
from demo.vocabulary import ANSWER_CHANCE, DETRACTOR_COMMENTS, PASSIVE_COMMENTS, PROMOTER_COMMENTS
from surveys.models import SCALES, Invitation, Response, SurveyKind, hash_token


class Ask(NamedTuple):
    """A survey the CRM sends: when, which kind and why (with the issue or project behind
    it), and the contact to ask if they may be asked."""

    when: datetime
    kind: str
    trigger: str
    support_issue_id: int | None = None
    project_id: int | None = None
    contact_id: int | None = None


@dataclass
class SurveyRows:
    """Invitation and answer rows made together, for one ``load_survey_rows``."""

    invitations: list[tuple] = field(default_factory=list)
    responses: list[tuple] = field(default_factory=list)


class SurveysMixin:
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
            rows = SurveyRows()
            for plan in self.plans[offset : offset + chunk]:
                rng = self.rng("surveys", plan.index)
                last_asked: dict[int, datetime] = {}
                asks: list[Ask] = []
                for first, after in plan.active_spans(self.window_start, self.today):
                    months = (after - first).days / 30.4
                    for _ in range(poisson(rng, 0.55 * rate * months)):
                        when = self.moment(rng, first, after)
                        asks.append(Ask(when, SurveyKind.NPS, T.RELATIONSHIP_CYCLE))
                    for _ in range(poisson(rng, 0.1 * rate * months)):
                        when = self.moment(rng, first, after)
                        kind = rng.choice(SurveyKind.values)
                        asks.append(Ask(when, kind, T.MANUAL))
                for issue_id, resolved, contact in plan.resolved_issues:
                    if rng.random() < min(1.0, 0.7 * rate):
                        when = resolved + timedelta(minutes=rng.randint(30, 240))
                        asks.append(
                            Ask(when, issue_kind, T.ISSUE_RESOLVED, issue_id, contact_id=contact)
                        )
                for project_id, completed in plan.completed_projects:
                    if rng.random() < min(1.0, 0.85 * rate):
                        when = completed + timedelta(hours=rng.randint(1, 48))
                        asks.append(
                            Ask(when, SurveyKind.CES, T.PROJECT_COMPLETED, project_id=project_id)
                        )
                self.imported_answers(plan, rng, rows.responses)
                for ask in sorted(asks, key=lambda ask: ask.when):
                    if ask.when >= self.end:
                        continue
                    contact = self.survey_contact(plan, rng, ask.when, last_asked, ask.contact_id)
                    if contact is not None:
                        self.invitation(plan, rng, ask, contact, rows)
            self.load_survey_rows(rows)
        self.cover_surveys()
        self.finish(Invitation, Response)

    def load_survey_rows(self, rows: SurveyRows) -> None:
        """Invitations first, then the follow-ups unhappy answers opened, then the answers,
        which point at both."""
        self.loader.load(Invitation, self.INVITATION_COLUMNS, rows.invitations)
        self.flush_follow_ups()
        self.loader.load(Response, self.RESPONSE_COLUMNS, rows.responses)

    def imported_answers(
        self, plan: ClientPlan, rng: random.Random, responses: list[tuple]
    ) -> None:
        """NPS answers from before the CRM sent surveys itself, imported from a spreadsheet:
        no invitation, and no follow-up was logged for them at the time."""
        history_end = min(add_months(self.window_start, 3), self.today)
        for when in self.moments(rng, plan.active_spans(self.window_start, history_end), 0.3):
            people = plan.contacts_at(when)
            contact = rng.choice(people).id if people else None
            responses.append(
                self.response(plan, rng, when, SurveyKind.NPS, contact, None, loop=False)
            )

    def survey_contact(
        self,
        plan: ClientPlan,
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
        plan: ClientPlan,
        rng: random.Random,
        ask: Ask,
        contact_id: int,
        rows: SurveyRows,
        *,
        score: int | None = None,
        may_quote: bool = False,
    ) -> None:
        """An invitation and what became of it: bounced, unanswered (perhaps with a score
        clicked but never confirmed), or answered, with a follow-up for unhappy answers."""
        created, kind = ask.when, ask.kind
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
        rows.invitations.append(
            (
                invitation_id,
                contact_id,
                plan.id,
                owner,
                kind,
                ask.trigger,
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
                ask.support_issue_id,
                ask.project_id,
            )
        )
        if answered is not None:
            rows.responses.append(
                self.response(
                    plan, rng, answered, kind, contact_id, invitation_id, score, may_quote
                )
            )

    def response(
        self,
        plan: ClientPlan,
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
        rows = SurveyRows()
        wanted = {
            SurveyKind.NPS: (SurveyKind.NPS, 9, False),
            SurveyKind.CSAT: (SurveyKind.CSAT, 4, False),
            SurveyKind.CES: (SurveyKind.CES, 2, False),
            "detractor": (SurveyKind.NPS, 5, False),
            "testimonial": (SurveyKind.NPS, 10, True),
            "invited": (SurveyKind.NPS, 8, False),
        }
        for key, (kind, score, quote) in wanted.items():
            for month, plan, when in self.gap_moments(rng, key):
                # The answer must land in the month too, and before today.
                when = min(when, self.end - timedelta(hours=4))
                month_end = self.at(month_start(month + 1))
                when = min(when, month_end - timedelta(hours=4))
                contact = self.survey_contact(plan, rng, when, {})
                if contact is None:
                    continue
                ask = Ask(when, kind, Invitation.Trigger.MANUAL)
                self.invitation(plan, rng, ask, contact, rows, score=score, may_quote=quote)
        self.load_survey_rows(rows)
