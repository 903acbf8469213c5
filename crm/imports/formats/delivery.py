"""What a BRM delivers: follow-ups, support issues, projects, shared goals, their reviews and
feedback."""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings

from crm.imports.columns import Column, Kind
from crm.imports.context import ImportContext, Row, contact_id
from crm.imports.formats.base import (
    BATCH_SIZE,
    CLIENT,
    CREATED_AT,
    EventFormat,
    both_or_neither,
    choice_column,
    client_of,
    fold,
    not_before,
)
from crm.models import (
    FeedbackItem,
    FollowUp,
    GoalReview,
    Priority,
    Project,
    SharedGoal,
    SupportIssue,
)


class FollowUpsFormat(EventFormat):
    key = "follow_ups"
    label = "follow-ups"
    model = FollowUp
    same_as = ("client_id", "due_on", "title")
    same_as_words = "A follow-up of this client due this day with this title"
    sort_by = ("client.name", "due_on")
    help = "Follow-ups, open or done. The owner is the BRM who has to do it."
    columns = (
        CLIENT,
        Column("owner", Kind.USER, required=True, example="bea@example.com"),
        Column("title", required=True, example="Send the proposal"),
        Column("due_on", Kind.DATE, required=True, example="2025-03-10"),
        Column("done_at", Kind.DATETIME, help="blank while open"),
        Column("outcome"),
        choice_column("origin", FollowUp.Origin, help="default import", example="import"),
        CREATED_AT,
    )
    stored = ("title", "due_on", "done_at", "outcome")

    def build(self, row: Row, ctx: ImportContext) -> FollowUp:
        return self.record(
            row,
            ctx,
            owner=ctx.user(row, "owner"),
            origin=row.values["origin"] or FollowUp.Origin.IMPORT,
        )


class SupportIssuesFormat(EventFormat):
    key = "support_issues"
    label = "support issues"
    model = SupportIssue
    same_as = ("client_id", "opened_at", "title")
    same_as_words = "A support issue of this client opened at this time with this title"
    sort_by = ("client.name", "opened_at")
    help = (
        "Support issues, credited to the owner at opened_at. The status follows from the "
        "dates: resolved with resolved_at, answered with first_response_at, open otherwise."
    )
    columns = (
        CLIENT,
        Column("title", required=True, example="Invoices do not reconcile"),
        choice_column("priority", Priority, required=True, example="high"),
        Column("opened_at", Kind.DATETIME, required=True, example="2025-02-01T09:00:00+00:00"),
        Column("first_response_at", Kind.DATETIME, help="required when resolved_at is given"),
        Column("resolved_at", Kind.DATETIME),
        Column("contact", help="a contact of the client, by name", source="contact.name"),
        Column(
            "sla_hours",
            Kind.INTEGER,
            help="0 or more; default: the SLA configured today for the priority",
            example="24",
        ),
    )
    stored = ("title", "priority", "opened_at", "first_response_at", "resolved_at")
    credited_at = "opened_at"

    def prepare(self, rows: list[Row], ctx: ImportContext) -> None:
        self._contacts = ctx.contacts_by_name(row.client for row in rows)

    def build(self, row: Row, ctx: ImportContext) -> SupportIssue:
        values = row.values
        not_before(row, "first_response_at", "opened_at")
        not_before(row, "resolved_at", "opened_at")
        not_before(row, "resolved_at", "first_response_at")
        if values["resolved_at"] is not None and values["first_response_at"] is None:
            row.fail(
                "first_response_at is required for a resolved issue (the resolution time if "
                "there was no earlier response)."
            )
        if values["resolved_at"] is not None:
            status = SupportIssue.Status.RESOLVED
        elif values["first_response_at"] is not None:
            status = SupportIssue.Status.ANSWERED
        else:
            status = SupportIssue.Status.OPEN
        sla_hours = values["sla_hours"]
        return self.record(
            row,
            ctx,
            sla_hours=settings.SUPPORT_SLA_HOURS[values["priority"]]
            if sla_hours is None
            else sla_hours,
            status=status,
            contact_id=(
                contact_id(row, "contact", values["contact"], self._contacts)
                if values["contact"]
                else None
            ),
        )


class ProjectsFormat(EventFormat):
    key = "projects"
    label = "projects"
    model = Project
    same_as = ("client_id", "due_on", "name")
    same_as_words = "A project of this client due this day with this name"
    sort_by = ("client.name", "due_on")
    help = "Projects, credited to the owner on due_on."
    columns = (
        CLIENT,
        Column("name", required=True, example="Warehouse roll-out"),
        Column("due_on", Kind.DATE, required=True, example="2025-06-30"),
        Column("started_on", Kind.DATE, example="2025-01-15"),
        Column("completed_at", Kind.DATETIME, help="blank while not completed"),
    )
    stored = ("name", "due_on", "started_on", "completed_at")
    credited_at = "due_on"


class SharedGoalsFormat(EventFormat):
    key = "shared_goals"
    label = "shared goals"
    model = SharedGoal
    sort_by = ("client.name", "due_on", "title")
    help = (
        "Goals agreed with a client, credited to the owner on due_on. A goal that was assessed "
        "has both met and assessed_on. Reviews are a file of their own (goal_reviews)."
    )
    columns = (
        CLIENT,
        Column("title", required=True, example="Cut delivery claims by 20 %"),
        Column("due_on", Kind.DATE, required=True, example="2025-12-31"),
        Column("met", Kind.BOOLEAN, help="blank until assessed"),
        Column("assessed_on", Kind.DATE),
        CREATED_AT,
    )
    stored = ("title", "due_on", "met", "assessed_on")
    credited_at = "due_on"

    def build(self, row: Row, ctx: ImportContext) -> SharedGoal:
        both_or_neither(row, "met", "assessed_on")
        return self.record(row, ctx)


class GoalReviewsFormat(EventFormat):
    key = "goal_reviews"
    label = "goal reviews"
    model = GoalReview
    export_scope = "goal__client"
    sort_by = ("goal.client.name", "goal.title", "reviewed_on")
    help = (
        "Reviews of shared goals; the goal is named by title within the client. Each goal's "
        "last review date moves forward to its latest review."
    )
    columns = (
        client_of("goal"),
        Column("goal", required=True, example="Cut delivery claims by 20 %", source="goal.title"),
        Column("reviewed_on", Kind.DATE, required=True, example="2025-03-31"),
        Column("note"),
    )

    def prepare(self, rows: list[Row], ctx: ImportContext) -> None:
        self._goals: dict[tuple[int, str], list[SharedGoal]] = defaultdict(list)
        for goal in SharedGoal.objects.filter(client__in={row.client.pk for row in rows}).only(
            "id", "client_id", "title", "last_reviewed_on"
        ):
            self._goals[(goal.client_id, fold(goal.title))].append(goal)

    def build(self, row: Row, ctx: ImportContext) -> GoalReview:
        goals = self._goals.get((row.client.pk, fold(row.values["goal"])), [])
        if len(goals) != 1:
            found = "no" if not goals else str(len(goals))
            row.fail(f'goal: {row.client} has {found} shared goals titled "{row.values["goal"]}".')
        row.refs["goal"] = goals[0] if len(goals) == 1 else None
        return GoalReview(
            goal=row.refs["goal"], reviewed_on=row.values["reviewed_on"], note=row.values["note"]
        )

    def save(self, rows: list[Row], ctx: ImportContext) -> dict[str, int]:
        counts = super().save(rows, ctx)
        latest: dict[int, SharedGoal] = {}
        for row in rows:
            goal, on = row.refs["goal"], row.values["reviewed_on"]
            if goal.last_reviewed_on is None or on > goal.last_reviewed_on:
                goal.last_reviewed_on = on
                latest[goal.pk] = goal
        SharedGoal.objects.bulk_update(latest.values(), ["last_reviewed_on"], batch_size=BATCH_SIZE)
        return counts


class FeedbackFormat(EventFormat):
    key = "feedback"
    label = "feedback items"
    model = FeedbackItem
    same_as = ("client_id", "received_on", "summary")
    same_as_words = "Feedback of this client received this day with this summary"
    sort_by = ("client.name", "received_on")
    help = (
        "Client feedback, credited to the owner on received_on. A closed item has both "
        "closed_on and outcome."
    )
    columns = (
        CLIENT,
        Column("summary", required=True, example="Wants a weekly claims report"),
        Column("received_on", Kind.DATE, required=True, example="2025-02-14"),
        Column("closed_on", Kind.DATE),
        choice_column("outcome", FeedbackItem.Outcome),
    )
    stored = ("summary", "received_on", "closed_on")
    credited_at = "received_on"

    def build(self, row: Row, ctx: ImportContext) -> FeedbackItem:
        both_or_neither(row, "closed_on", "outcome")
        not_before(row, "closed_on", "received_on")
        return self.record(row, ctx, outcome=row.values["outcome"] or "")
