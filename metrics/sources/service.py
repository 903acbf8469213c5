"""Support issues, projects, shared goals, feedback and partner referrals."""

from __future__ import annotations

from django.db.models import (
    F,
    Q,
    QuerySet,
)
from django.db.models.lookups import LessThanOrEqual

from crm import models as crm
from metrics.periods import Window
from metrics.sql import Seconds

HOURS_TO_FIRST_RESPONSE = Seconds(F("first_response_at"), F("opened_at")) / 3600.0
HOURS_TO_RESOLUTION = Seconds(F("resolved_at"), F("opened_at")) / 3600.0
WITHIN_SLA = Q(LessThanOrEqual(HOURS_TO_RESOLUTION, F("sla_hours")))
COMPLETED_BY_DUE_DATE = Q(completed_at__date__lte=F("due_on"))
GOAL_MET = Q(met=True)
IMPLEMENTED = Q(outcome=crm.FeedbackItem.Outcome.IMPLEMENTED)


def _instant_in(window: Window, field: str) -> Q:
    return Q(**{f"{field}__gte": window.start_at, f"{field}__lt": window.until})


def _day_in(field: str, first_day, last_day) -> Q:
    return Q(**{f"{field}__gte": first_day, f"{field}__lte": last_day})


def issues_first_answered(window: Window) -> QuerySet[crm.SupportIssue]:
    return crm.SupportIssue.objects.filter(_instant_in(window, "first_response_at"))


def issues_resolved(window: Window) -> QuerySet[crm.SupportIssue]:
    return crm.SupportIssue.objects.filter(_instant_in(window, "resolved_at"))


def projects_due(window: Window) -> QuerySet[crm.Project]:
    return crm.Project.objects.filter(_day_in("due_on", window.start, window.last_day))


def goals_due(window: Window) -> QuerySet[crm.SharedGoal]:
    return crm.SharedGoal.objects.filter(_day_in("due_on", window.start, window.last_day))


def feedback_closed_year(window: Window) -> QuerySet[crm.FeedbackItem]:
    """Feedback closed in the trailing 12 months."""
    return crm.FeedbackItem.objects.filter(_day_in("closed_on", window.year_start, window.last_day))


def partner_referrals(window: Window) -> QuerySet[crm.PartnerReferral]:
    return crm.PartnerReferral.objects.filter(_day_in("received_on", window.start, window.last_day))
