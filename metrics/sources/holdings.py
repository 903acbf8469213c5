"""Who held which client while it was active (``arpc``, ``clv``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.db.models import (
    Case,
    DateField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from crm import models as crm
from metrics.periods import Window
from metrics.sources.clients import ACTIVE


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
