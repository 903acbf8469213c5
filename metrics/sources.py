"""The records behind every KPI, as querysets for a measurement window.

The engine aggregates these querysets for all subjects at once; the drill-downs filter the very
same querysets to one subject, so a number and the list of records behind it cannot disagree.
Conditions shared by both are the ``Q`` objects below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact, LessThanOrEqual

from crm import models as crm
from metrics.periods import Window
from metrics.sql import DaysBetween, Seconds
from surveys.models import Invitation, Response, SurveyKind

ACTIVE = crm.LifecycleStatus.ACTIVE
CHURNED = crm.LifecycleStatus.CHURNED
Kind = crm.Interaction.Kind
Direction = crm.Interaction.Direction


def _boolean(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


# --- Surveys ----------------------------------------------------------------------------------

NPS = Q(kind=SurveyKind.NPS)
PROMOTER = NPS & Q(score__gte=9)
PASSIVE = NPS & Q(score__in=[7, 8])
DETRACTOR = NPS & Q(score__lte=6)
CSAT = Q(kind=SurveyKind.CSAT)
CSAT_SATISFIED = CSAT & Q(score__gte=4)
CES = Q(kind=SurveyKind.CES)
# The client allowed the comment to be quoted, and there is a comment to quote.
TESTIMONIAL = Q(may_quote=True) & ~Q(comment="")
# Answers that alert the BRM (Response.needs_closing_the_loop).
NEEDS_CLOSING = DETRACTOR | (CSAT & Q(score__lte=2))
# A confirmed answer; a provisional score from an e-mail link is not one.
ANSWERED = Q(response__isnull=False)


def responses(window: Window) -> QuerySet[Response]:
    return Response.objects.filter(answered_at__gte=window.start_at, answered_at__lt=window.until)


def invitations_delivered(window: Window) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        delivered_at__gte=window.start_at, delivered_at__lt=window.until
    )


# --- Interactions and follow-ups --------------------------------------------------------------

NOT_NOTE = ~Q(kind=Kind.NOTE)
# A touch where the client took part: a meeting, an event, anything inbound (calls, e-mails,
# replies). Survey answers count too (see ``book``).
TWO_WAY = Q(kind__in=[Kind.MEETING, Kind.EVENT]) | Q(direction=Direction.INBOUND)
OUTBOUND_MESSAGE = Q(direction=Direction.OUTBOUND, kind__in=[Kind.EMAIL, Kind.MESSAGE])
GOT_REPLY = Q(Exists(crm.Interaction.objects.filter(in_reply_to=OuterRef("pk"))))
DONE_BY_DUE_DATE = Q(done_at__date__lte=F("due_on"))
NO_TOPIC = "(no topic)"


def interactions(window: Window) -> QuerySet[crm.Interaction]:
    return crm.Interaction.objects.filter(
        occurred_at__gte=window.start_at, occurred_at__lt=window.until
    )


def contacts_reached(window: Window) -> QuerySet:
    """(credited owner, contact) for every contact named on an interaction in the window."""
    return crm.Interaction.contacts.through.objects.filter(
        interaction__occurred_at__gte=window.start_at, interaction__occurred_at__lt=window.until
    )


def _owner_at(instant, *, before: bool = False, client: str = "pk") -> Coalesce:
    """The client's owner at ``instant`` (just before it if ``before``), from the ownership
    history; before its first recorded ownership, its first owner (as attribution does)."""
    spans = crm.ClientOwnership.objects.filter(client=OuterRef(client))
    lookup = "started_at__lt" if before else "started_at__lte"
    latest = spans.filter(**{lookup: instant}).order_by("-started_at").values("owner")[:1]
    first = spans.order_by("started_at").values("owner")[:1]
    return Coalesce(Subquery(latest), Subquery(first))


def contacts_added(window: Window) -> QuerySet[crm.Contact]:
    """Contacts created in the window, credited to their client's owner at that moment."""
    spans = crm.ClientOwnership.objects.filter(client=OuterRef("client"))
    latest = spans.filter(started_at__lte=OuterRef("created_at")).order_by("-started_at")
    first = spans.order_by("started_at")
    return crm.Contact.objects.filter(
        created_at__gte=window.start_at, created_at__lt=window.until
    ).annotate(
        owner_id=Coalesce(Subquery(latest.values("owner")[:1]), Subquery(first.values("owner")[:1]))
    )


def follow_ups_done(window: Window) -> QuerySet[crm.FollowUp]:
    return crm.FollowUp.objects.filter(done_at__gte=window.start_at, done_at__lt=window.until)


def follow_ups_due(window: Window) -> QuerySet[crm.FollowUp]:
    return crm.FollowUp.objects.filter(due_on__gte=window.start, due_on__lte=window.last_day)


# --- The book of clients ----------------------------------------------------------------------


def _status_on(day) -> Subquery:
    return Subquery(
        crm.ClientStatusChange.objects.filter(client=OuterRef("pk"), effective_on__lte=day)
        .order_by("-effective_on", "-id")
        .values("status")[:1]
    )


def _became(status: str, first_day, last_day) -> Exists:
    return Exists(
        crm.ClientStatusChange.objects.filter(
            client=OuterRef("pk"),
            status=status,
            effective_on__gte=first_day,
            effective_on__lte=last_day,
        )
    )


def book(window: Window) -> QuerySet[crm.Client]:
    """Every client with who owned it and what state it was in at the instants KPIs look at.

    ``owner_start`` / ``active_start``: at the period's first instant (status in force on its
    first day). ``owner_end`` / ``active_end``: at its last instant (status in force on its last
    day). ``owner_year`` / ``active_year``: at the start of the trailing 12 months. The other
    flags are only meaningful together with ``active_end``.
    """
    last_day = window.last_day
    recent_touch = crm.Interaction.objects.filter(
        NOT_NOTE,
        client=OuterRef("pk"),
        occurred_at__gte=window.trailing_days_at(settings.DORMANT_AFTER_DAYS),
        occurred_at__lt=window.until,
    )
    two_way_touch = crm.Interaction.objects.filter(
        TWO_WAY,
        client=OuterRef("pk"),
        occurred_at__gte=window.start_at,
        occurred_at__lt=window.until,
    )
    answer = Response.objects.filter(
        client=OuterRef("pk"), answered_at__gte=window.start_at, answered_at__lt=window.until
    )
    lines = crm.RevenueLine.objects.filter(client=OuterRef("pk")).order_by().values("client")
    products = lines.filter(recognised_on__gte=window.year_start, recognised_on__lte=last_day)
    lifetime = lines.filter(recognised_on__lte=last_day)
    goal_review = crm.GoalReview.objects.filter(
        goal__client=OuterRef("pk"),
        reviewed_on__gte=window.trailing_days_from(settings.KPI_ALIGNMENT_REVIEW_DAYS),
        reviewed_on__lte=last_day,
    )
    certification = crm.PartnerCertification.objects.filter(
        partner=OuterRef("pk"), valid_from__lte=last_day, valid_until__gte=last_day
    )
    churned_recently = Q(Exact(_status_on(last_day), CHURNED)) & Q(
        _became(CHURNED, window.year_start, last_day)
    )
    return crm.Client.objects.annotate(
        owner_start=_owner_at(window.start_at),
        owner_end=_owner_at(window.until, before=True),
        owner_year=_owner_at(window.year_start_at),
        active_start=Exact(_status_on(window.start), ACTIVE),
        active_end=Exact(_status_on(last_day), ACTIVE),
        active_year=Exact(_status_on(window.year_start), ACTIVE),
        activated=_became(ACTIVE, window.start, last_day),
        activated_year=_became(ACTIVE, window.year_start, last_day),
        churned_recently=_boolean(churned_recently),
        dormant=~Exists(recent_touch),
        engaged=_boolean(Q(Exists(two_way_touch)) | Q(Exists(answer))),
        products=Coalesce(
            Subquery(products.annotate(n=Count("product", distinct=True)).values("n")), 0
        ),
        # Only churned clients need their lifetime revenue: CASE spares the others the sum.
        lifetime_revenue=Case(
            When(
                churned_recently,
                then=Coalesce(
                    Subquery(lifetime.annotate(total=Sum("amount")).values("total")), Value(0)
                ),
            ),
            default=Value(0),
            output_field=DecimalField(**crm.MONEY),
        ),
        strategic=_boolean(Q(relationship_type=crm.RelationshipType.STRATEGIC)),
        aligned=Exists(goal_review),
        partner=_boolean(Q(relationship_type=crm.RelationshipType.PARTNER)),
        certified=Exists(certification),
        tenure_days=DaysBetween(Value(window.end_day), F("relationship_started_on")),
    )


BOOK_COLUMNS = [
    "owner_start",
    "owner_end",
    "owner_year",
    "active_start",
    "active_end",
    "active_year",
    "activated",
    "activated_year",
    "churned_recently",
    "dormant",
    "engaged",
    "products",
    "lifetime_revenue",
    "strategic",
    "aligned",
    "partner",
    "certified",
    "tenure_days",
]
ACTIVE_AT_START = Q(active_start=True)
ACTIVE_AT_END = Q(active_end=True)
ACTIVE_IN_PERIOD = Q(active_start=True) | Q(activated=True)
ACTIVE_IN_YEAR = Q(active_year=True) | Q(activated_year=True)


# --- Revenue and pipeline ---------------------------------------------------------------------

PARTNER_REVENUE = Q(client__sourced_by_partner__isnull=False) | Q(deal__partner__isnull=False)
WON = Q(to_stage__kind=crm.StageKind.WON)
LOST = Q(to_stage__kind=crm.StageKind.LOST)
UPSELL = Q(deal__kind__in=[crm.Deal.Kind.UPSELL, crm.Deal.Kind.CROSS_SELL])
# Left the stage for a later open stage or for won; moving back or to lost is not forward.
FORWARD = WON | Q(
    to_stage__kind=crm.StageKind.OPEN, to_stage__position__gt=F("from_stage__position")
)


def revenue_lines(window: Window) -> QuerySet[crm.RevenueLine]:
    return crm.RevenueLine.objects.filter(
        recognised_on__gte=window.start, recognised_on__lte=window.last_day
    )


def revenue_lines_year(window: Window) -> QuerySet[crm.RevenueLine]:
    return crm.RevenueLine.objects.filter(
        recognised_on__gte=window.year_start, recognised_on__lte=window.last_day
    )


def _existing_clients(window: Window) -> QuerySet:
    """Clients active at the start of the previous period (the growth cohort)."""
    return crm.Client.objects.active_on(window.period.previous.start).values("pk")


def revenue_lines_existing(window: Window) -> QuerySet[crm.RevenueLine]:
    return revenue_lines(window).filter(client__in=_existing_clients(window))


def revenue_lines_existing_before(window: Window) -> QuerySet[crm.RevenueLine]:
    return crm.RevenueLine.objects.filter(
        client__in=_existing_clients(window),
        recognised_on__gte=window.period.previous.start,
        recognised_on__lte=window.previous_last_day,
    )


def deal_closings(window: Window) -> QuerySet[crm.DealStageChange]:
    """Deals won or lost in the window, credited to the owner when they closed."""
    return crm.DealStageChange.objects.filter(
        WON | LOST, changed_at__gte=window.start_at, changed_at__lt=window.until
    )


def stage_exits(window: Window) -> QuerySet[crm.DealStageChange]:
    return crm.DealStageChange.objects.filter(
        from_stage__isnull=False, changed_at__gte=window.start_at, changed_at__lt=window.until
    )


DAYS_TO_WIN = Seconds(F("changed_at"), F("deal__created_at")) / 86400.0
DAYS_IN_STAGE = Seconds(F("changed_at"), F("entered_from_at")) / 86400.0


# --- Support, delivery, goals, feedback, partners ---------------------------------------------

HOURS_TO_FIRST_RESPONSE = Seconds(F("first_response_at"), F("opened_at")) / 3600.0
HOURS_TO_RESOLUTION = Seconds(F("resolved_at"), F("opened_at")) / 3600.0
WITHIN_SLA = Q(LessThanOrEqual(HOURS_TO_RESOLUTION, F("sla_hours")))
COMPLETED_BY_DUE_DATE = Q(completed_at__date__lte=F("due_on"))
GOAL_MET = Q(met=True)
IMPLEMENTED = Q(outcome=crm.FeedbackItem.Outcome.IMPLEMENTED)


def issues_first_answered(window: Window) -> QuerySet[crm.SupportIssue]:
    return crm.SupportIssue.objects.filter(
        first_response_at__gte=window.start_at, first_response_at__lt=window.until
    )


def issues_resolved(window: Window) -> QuerySet[crm.SupportIssue]:
    return crm.SupportIssue.objects.filter(
        resolved_at__gte=window.start_at, resolved_at__lt=window.until
    )


def projects_due(window: Window) -> QuerySet[crm.Project]:
    return crm.Project.objects.filter(due_on__gte=window.start, due_on__lte=window.last_day)


def goals_due(window: Window) -> QuerySet[crm.SharedGoal]:
    return crm.SharedGoal.objects.filter(due_on__gte=window.start, due_on__lte=window.last_day)


def feedback_closed_year(window: Window) -> QuerySet[crm.FeedbackItem]:
    return crm.FeedbackItem.objects.filter(
        closed_on__gte=window.year_start, closed_on__lte=window.last_day
    )


def partner_referrals(window: Window) -> QuerySet[crm.PartnerReferral]:
    return crm.PartnerReferral.objects.filter(
        received_on__gte=window.start, received_on__lte=window.last_day
    )


# --- Drill-downs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Records:
    """Where a KPI's records come from: ``source`` narrowed to the denominator by ``where``
    and to a subject through its ``owner`` column; ``numerator`` marks the records counted
    above the line (annotated as ``in_numerator``)."""

    source: Callable[[Window], QuerySet]
    owner: str = "owner_id"
    where: Q = field(default_factory=Q)
    numerator: Q | None = None

    def queryset(self, window: Window, owner_ids: list[int] | None) -> QuerySet:
        records = self.source(window).filter(self.where)
        if owner_ids is not None:
            records = records.filter(**{f"{self.owner}__in": owner_ids})
        if self.numerator is not None:
            records = records.annotate(in_numerator=_boolean(self.numerator))
        return records
