"""The book of clients: each client's owner and state at the instants KPIs look at."""

from __future__ import annotations

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
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
from django.db.models.lookups import Exact

from crm import models as crm
from metrics.periods import Window
from metrics.sources.activity import NOT_NOTE, TWO_WAY
from metrics.sources.survey_answers import responses
from metrics.sql import DaysBetween, boolean

ACTIVE = crm.LifecycleStatus.ACTIVE
CHURNED = crm.LifecycleStatus.CHURNED


def _owner_at(instant, *, before: bool = False, client: str = "pk") -> Coalesce:
    """The client's owner at ``instant`` (just before it if ``before``), from the ownership
    history; before its first recorded ownership, its first owner (as attribution does)."""
    spans = crm.ClientOwnership.objects.filter(client=OuterRef(client))
    lookup = "started_at__lt" if before else "started_at__lte"
    latest = spans.filter(**{lookup: instant}).order_by("-started_at", "-id").values("owner")[:1]
    first = spans.order_by("started_at", "id").values("owner")[:1]
    return Coalesce(Subquery(latest), Subquery(first))


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


def touched_recently(window: Window) -> Q:
    """An interaction other than a note in the ``DORMANT_AFTER_DAYS`` before the window's end
    (a client without one is dormant)."""
    return NOT_NOTE & Q(
        occurred_at__gte=window.trailing_days_at(settings.DORMANT_AFTER_DAYS),
        occurred_at__lt=window.until,
    )


def two_way_in(window: Window) -> Q:
    return TWO_WAY & Q(occurred_at__gte=window.start_at, occurred_at__lt=window.until)


def goal_reviews(window: Window) -> QuerySet[crm.GoalReview]:
    return crm.GoalReview.objects.filter(
        reviewed_on__gte=window.trailing_days_from(settings.KPI_ALIGNMENT_REVIEW_DAYS),
        reviewed_on__lte=window.last_day,
    )


def certifications(window: Window) -> QuerySet[crm.PartnerCertification]:
    """Certifications valid on the window's last day."""
    return crm.PartnerCertification.objects.filter(
        valid_from__lte=window.last_day, valid_until__gte=window.last_day
    )


def client_columns(window: Window) -> dict:
    """The book columns read from the client row itself."""
    return {
        "strategic": boolean(Q(relationship_type=crm.RelationshipType.STRATEGIC)),
        "partner": boolean(Q(relationship_type=crm.RelationshipType.PARTNER)),
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
    recent_touch = crm.Interaction.objects.filter(touched_recently(window), client=OuterRef("pk"))
    two_way_touch = crm.Interaction.objects.filter(two_way_in(window), client=OuterRef("pk"))
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
        churned_recently=boolean(churned_recently),
        dormant=~Exists(recent_touch),
        engaged=boolean(Q(Exists(two_way_touch)) | Q(Exists(answer))),
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
        aligned=Exists(goal_reviews(window).filter(goal__client=OuterRef("pk"))),
        certified=Exists(certifications(window).filter(partner=OuterRef("pk"))),
        **client_columns(window),
    )


ACTIVE_AT_START = Q(active_start=True)
ACTIVE_AT_END = Q(active_end=True)
