"""Revenue lines and deal stage changes: the records behind the revenue and pipeline KPIs."""

from __future__ import annotations

from django.db.models import (
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.lookups import Exact

from crm import models as crm
from metrics.periods import Window
from metrics.sources.clients import ACTIVE
from metrics.sql import Seconds

# Through the lines' own foreign keys: one hash join to the (few) clients and deals per scan,
# where a correlated EXISTS per line probed two indexes for each line of the period. A line
# has one client and at most one deal, so the joins never repeat a line.
PARTNER_REVENUE = Q(client__sourced_by_partner__isnull=False) | Q(deal__partner__isnull=False)
# Its two halves, on the client and on the deal (``revenue_scan`` joins them to the lines).
PARTNER_CLIENT = Q(sourced_by_partner__isnull=False)
PARTNER_DEAL = Q(partner__isnull=False)
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
