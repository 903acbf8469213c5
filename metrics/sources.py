"""The records behind every KPI, as querysets for a measurement window.

The engine aggregates these querysets for all subjects at once; the drill-downs filter the very
same querysets to one subject, so a number and the list of records behind it cannot disagree.
Conditions shared by both are the ``Q`` objects below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    Count,
    DateField,
    DateTimeField,
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
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.lookups import Exact, LessThanOrEqual
from django.utils import timezone

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
    """Invitations handed to the mail server in the window, less those that bounced later
    (a bounce reported after sending keeps ``delivered_at``)."""
    return Invitation.objects.filter(
        delivered_at__gte=window.start_at, delivered_at__lt=window.until
    ).exclude(status=Invitation.Status.BOUNCED)


# --- Interactions and follow-ups --------------------------------------------------------------

NOT_NOTE = ~Q(kind=Kind.NOTE)
# A touch where the client took part: a meeting, an event, anything inbound (calls, e-mails,
# replies). Survey answers count too (see ``book``).
TWO_WAY = Q(kind__in=[Kind.MEETING, Kind.EVENT]) | Q(direction=Direction.INBOUND)
OUTBOUND_MESSAGE = Q(direction=Direction.OUTBOUND, kind__in=[Kind.EMAIL, Kind.MESSAGE])
# A reply at any time. A correlated EXISTS probes the replies' index for the window's messages
# only; ``pk IN (every reply ever)`` inside an aggregate's FILTER is a subplan whose hash must
# fit ``work_mem``, or PostgreSQL re-scans the whole set for every message (a plan cliff).
GOT_REPLY = Q(Exists(crm.Interaction.objects.filter(in_reply_to=OuterRef("pk"))))
# Judged by the due date it is judged against (``follow_ups_due``), by local date.
DONE_BY_DUE_DATE = Q(done_at__date__lte=F("judged_on"))
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
    latest = spans.filter(**{lookup: instant}).order_by("-started_at", "-id").values("owner")[:1]
    first = spans.order_by("started_at", "id").values("owner")[:1]
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


# "Not yet": the closing instant of a follow-up still open.
NEVER = datetime(9999, 12, 31, tzinfo=UTC)


def follow_ups_due(window: Window) -> QuerySet[crm.FollowUp]:
    """Follow-ups due in the window, each judged against ``judged_on`` and credited to
    ``held_by``, the BRM who held it on that date.

    Rescheduling is history: one moved after its due date had passed is judged against the
    date it missed (``missed_due_on``), one moved before against its new date. A cancelled one
    counts only if it was cancelled after it fell due (a local date after the judged date),
    and then as missed (it was not done). Reassigning a client moves its open follow-ups to
    the new owner; a follow-up that was still open when its client changed hands after its due
    date is credited to the client's owner at the end of that date, so a missed one stays
    with whoever missed it.
    """
    tz = timezone.get_default_timezone()
    ownerships = crm.ClientOwnership.objects.filter(client=OuterRef("client"))
    held_then = (
        ownerships.annotate(day=TruncDate("started_at", tzinfo=tz))
        .filter(day__lte=OuterRef("judged_on"))
        .order_by("-started_at", "-id")
        .values("owner")[:1]
    )
    first = ownerships.order_by("started_at", "id").values("owner")[:1]
    # A hand-over on a later day than the judged date, before the follow-up was done or
    # cancelled (``closed_at``; never, while it is open).
    moved_while_open = Exists(
        ownerships.annotate(day=TruncDate("started_at", tzinfo=tz)).filter(
            day__gt=OuterRef("judged_on"), started_at__lt=OuterRef("closed_at")
        )
    )
    return (
        crm.FollowUp.objects.annotate(
            judged_on=Coalesce("missed_due_on", "due_on"),
            closed_at=Coalesce("done_at", "cancelled_at", Value(NEVER)),
        )
        .filter(judged_on__gte=window.start, judged_on__lte=window.last_day)
        .exclude(
            cancelled_at__isnull=False,
            cancelled_at__date__lte=F("judged_on"),
        )
        .annotate(
            held_by=Case(
                When(moved_while_open, then=Coalesce(Subquery(held_then), Subquery(first))),
                default=F("owner_id"),
                output_field=BigIntegerField(),
            )
        )
    )


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


def _touched_recently(window: Window) -> Q:
    """An interaction other than a note in the ``DORMANT_AFTER_DAYS`` before the window's end
    (a client without one is dormant)."""
    return NOT_NOTE & Q(
        occurred_at__gte=window.trailing_days_at(settings.DORMANT_AFTER_DAYS),
        occurred_at__lt=window.until,
    )


def _two_way_in(window: Window) -> Q:
    return TWO_WAY & Q(occurred_at__gte=window.start_at, occurred_at__lt=window.until)


def _goal_reviews(window: Window) -> QuerySet[crm.GoalReview]:
    return crm.GoalReview.objects.filter(
        reviewed_on__gte=window.trailing_days_from(settings.KPI_ALIGNMENT_REVIEW_DAYS),
        reviewed_on__lte=window.last_day,
    )


def _certifications(window: Window) -> QuerySet[crm.PartnerCertification]:
    """Certifications valid on the window's last day."""
    return crm.PartnerCertification.objects.filter(
        valid_from__lte=window.last_day, valid_until__gte=window.last_day
    )


def _client_columns(window: Window) -> dict:
    """The book columns read from the client row itself."""
    return {
        "strategic": _boolean(Q(relationship_type=crm.RelationshipType.STRATEGIC)),
        "partner": _boolean(Q(relationship_type=crm.RelationshipType.PARTNER)),
        "tenure_days": DaysBetween(Value(window.end_day), F("relationship_started_on")),
    }


def book(window: Window) -> QuerySet[crm.Client]:
    """Every client with who owned it and what state it was in at the instants KPIs look at.

    ``owner_start`` / ``active_start``: at the period's first instant (status in force on its
    first day). ``owner_end`` / ``active_end``: at its last instant (status in force on its last
    day). ``owner_year`` / ``active_year``: at the start of the trailing 12 months. The other
    flags are only meaningful together with ``active_end``.

    This is the drill-down's form: a queryset of clients a page can filter to one book, list
    and recount. The engine reads the same columns for every client at once with
    ``book_rows``; the two are held equal by ``tests/metrics/test_engine_book.py``.
    """
    last_day = window.last_day
    recent_touch = crm.Interaction.objects.filter(_touched_recently(window), client=OuterRef("pk"))
    two_way_touch = crm.Interaction.objects.filter(_two_way_in(window), client=OuterRef("pk"))
    answer = responses(window).filter(client=OuterRef("pk"))
    lines = crm.RevenueLine.objects.filter(client=OuterRef("pk")).order_by().values("client")
    products = lines.filter(recognised_on__gte=window.year_start, recognised_on__lte=last_day)
    lifetime = lines.filter(recognised_on__lte=last_day)
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
        aligned=Exists(_goal_reviews(window).filter(goal__client=OuterRef("pk"))),
        certified=Exists(_certifications(window).filter(partner=OuterRef("pk"))),
        **_client_columns(window),
    )


ACTIVE_AT_START = Q(active_start=True)
ACTIVE_AT_END = Q(active_end=True)


# --- Clients held while active (arpc, clv) ----------------------------------------------------


def _active_between(from_day: str, to_day: str) -> Exists:
    """The ownership span's client (``OuterRef``) was active on some day from the span's
    annotation ``from_day`` to its ``to_day``: an activation whose days ``[effective_on, next
    change)`` meet those. A change superseded on its own day (or by ``from_day``) never was in
    force on them."""
    changes = crm.ClientStatusChange.objects.filter(client=OuterRef("client_id"))
    superseded = crm.ClientStatusChange.objects.filter(client=OuterRef("client_id")).filter(
        Q(effective_on__gt=OuterRef("effective_on"))
        | Q(effective_on=OuterRef("effective_on"), pk__gt=OuterRef("pk")),
        Q(effective_on__lte=OuterRef(OuterRef(from_day)))
        | Q(effective_on=OuterRef("effective_on")),
    )
    return Exists(
        changes.filter(status=ACTIVE, effective_on__lte=OuterRef(to_day)).filter(
            ~Exists(superseded)
        )
    )


def _days_held(first_day, first_at, window: Window, prefix: str) -> dict:
    """The local days of ``[first_at, window.until)`` an ownership span covers, as the
    annotations ``<prefix>from`` … ``<prefix>to``; ``to`` is before ``from`` when the span
    does not meet that time at all. Before its first recorded ownership a client is its first
    owner's, as for attribution."""
    tz = timezone.get_default_timezone()
    first_span = (
        crm.ClientOwnership.objects.filter(client=OuterRef("client"))
        .order_by("started_at", "id")
        .values("pk")[:1]
    )
    last_instant = ExpressionWrapper(
        F("ended_at") - timedelta(microseconds=1), output_field=DateTimeField()
    )
    before = first_day - timedelta(days=1)
    return {
        f"{prefix}from": Case(
            When(Q(started_at__lte=first_at) | Q(pk=Subquery(first_span)), then=first_day),
            default=TruncDate("started_at", tzinfo=tz),
            output_field=DateField(),
        ),
        f"{prefix}to": Case(
            When(Q(ended_at__isnull=False, ended_at__lte=first_at), then=before),
            When(Q(ended_at__isnull=True) | Q(ended_at__gte=window.until), then=window.last_day),
            default=TruncDate(last_instant, tzinfo=tz),
            output_field=DateField(),
        ),
    }


def _held(first_day, first_at, window: Window) -> QuerySet[crm.ClientOwnership]:
    """Ownership spans meeting ``[first_at, window.until)`` during which the client was
    active."""
    return (
        crm.ClientOwnership.objects.filter(Q(ended_at__isnull=True) | Q(ended_at__gt=first_at))
        .filter(started_at__lt=window.until)
        .annotate(**_days_held(first_day, first_at, window, "held_"))
        .filter(_active_between("held_from", "held_to"))
    )


def held_in_period(window: Window) -> QuerySet[crm.ClientOwnership]:
    """Who held which client while it was active at some time in the period (``arpc``): a
    client handed over mid-period is in both books, as its revenue is."""
    return _held(window.start, window.start_at, window)


def held_in_year(window: Window) -> QuerySet[crm.ClientOwnership]:
    """The same over the trailing 12 months (``clv``), each span also flagged
    ``in_period`` when it counts for ``held_in_period`` (one scan for both)."""
    in_period = _days_held(window.start, window.start_at, window, "period_")
    return (
        _held(window.year_start, window.year_start_at, window)
        .annotate(**in_period)
        .annotate(
            in_period=Case(
                When(
                    Q(period_to__gte=F("period_from"))
                    & Q(_active_between("period_from", "period_to")),
                    then=1,
                ),
                default=0,
            )
        )
    )


def clients_held(spans: Callable[[Window], QuerySet]) -> Callable[[Window], QuerySet]:
    """The clients of ``spans``, each once, for the drill-downs."""

    def source(window: Window) -> QuerySet[crm.Client]:
        return crm.Client.objects.filter(Exists(spans(window).filter(client=OuterRef("pk"))))

    return source


def held_by(spans: Callable[[Window], QuerySet]) -> Callable[[Window, list[int]], Q]:
    """A client list's scope to some owners: clients they held in ``spans``."""

    def scope(window: Window, owner_ids: list[int]) -> Q:
        return Q(Exists(spans(window).filter(client=OuterRef("pk"), owner_id__in=owner_ids)))

    return scope


# --- Revenue and pipeline ---------------------------------------------------------------------

# Correlated EXISTS rather than joins, so that a scan of lines over a wider window than the
# period probes them only for the period's lines, and rather than ``IN (subquery)``, whose
# hashed subplan turns into a re-scan per line once the set outgrows ``work_mem``.
PARTNER_REVENUE = Q(
    Exists(crm.Client.objects.filter(pk=OuterRef("client"), sourced_by_partner__isnull=False))
) | Q(Exists(crm.Deal.objects.filter(pk=OuterRef("deal"), partner__isnull=False)))
WON = Q(to_stage__kind=crm.StageKind.WON)
LOST = Q(to_stage__kind=crm.StageKind.LOST)
UPSELL = Q(deal__kind__in=[crm.Deal.Kind.UPSELL, crm.Deal.Kind.CROSS_SELL])
# Left the stage for a later open stage or for won; moving back or to lost is not forward.
FORWARD = WON | Q(
    to_stage__kind=crm.StageKind.OPEN, to_stage__position__gt=F("from_stage__position")
)


def _recognised(first_day, last_day) -> Q:
    return Q(recognised_on__gte=first_day, recognised_on__lte=last_day)


def _in_growth_cohort(window: Window) -> Q:
    """The line's client was active at the start of the previous period (the growth cohort):
    the status change in force that day, the latest by then, is an activation. A correlated
    probe of the client's few changes (index on client, effective_on) per line, not
    ``client IN (cohort)``, whose hashed subplan falls back to re-running the cohort's
    anti-join per line once the cohort outgrows ``work_mem``."""
    in_force = (
        crm.ClientStatusChange.objects.filter(
            client=OuterRef("client"), effective_on__lte=window.period.previous.start
        )
        .order_by("-effective_on", "-id")
        .values("status")[:1]
    )
    return Q(Exact(Subquery(in_force), ACTIVE))


# Which revenue lines each revenue measure sums, as conditions on one scan of the lines.
def recognised_in_period(window: Window) -> Q:
    return _recognised(window.start, window.last_day)


def recognised_in_year(window: Window) -> Q:
    """The trailing 12 months (they contain the period)."""
    return _recognised(window.year_start, window.last_day)


def recognised_existing(window: Window) -> Q:
    """The growth cohort's lines in the period."""
    return recognised_in_period(window) & _in_growth_cohort(window)


def recognised_existing_before(window: Window) -> Q:
    """The growth cohort's lines in the same part of the previous period."""
    return _recognised(window.period.previous.start, window.previous_last_day) & (
        _in_growth_cohort(window)
    )


def revenue_lines(window: Window) -> QuerySet[crm.RevenueLine]:
    return crm.RevenueLine.objects.filter(recognised_in_period(window))


def revenue_lines_year(window: Window) -> QuerySet[crm.RevenueLine]:
    return crm.RevenueLine.objects.filter(recognised_in_year(window))


def revenue_lines_existing(window: Window) -> QuerySet[crm.RevenueLine]:
    return crm.RevenueLine.objects.filter(recognised_existing(window))


def revenue_lines_measured(window: Window) -> QuerySet[crm.RevenueLine]:
    """Every line a revenue measure reads: the trailing year and the growth cohort's previous
    period (a year's previous period lies before its trailing year)."""
    return crm.RevenueLine.objects.filter(
        recognised_in_year(window) | recognised_existing_before(window)
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
    # The credited owner's column, or a condition scoping the records to some owners.
    owner: str | Callable[[Window, list[int]], Q] = "owner_id"
    where: Q = field(default_factory=Q)
    numerator: Q | None = None

    def queryset(self, window: Window, owner_ids: list[int] | None) -> QuerySet:
        records = self.source(window).filter(self.where)
        if owner_ids is not None and callable(self.owner):
            records = records.filter(self.owner(window, owner_ids))
        elif owner_ids is not None:
            records = records.filter(**{f"{self.owner}__in": owner_ids})
        if self.numerator is not None:
            records = records.annotate(in_numerator=_boolean(self.numerator))
        return records
