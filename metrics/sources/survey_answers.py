"""Survey answers and deliveries: the records behind the survey KPIs."""

from __future__ import annotations

from django.db.models import (
    Q,
    QuerySet,
)

from metrics.periods import Window
from surveys.models import (
    NPS_DETRACTOR_MAX,
    NPS_PROMOTER_MIN,
    Invitation,
    Response,
    SurveyKind,
)

NPS = Q(kind=SurveyKind.NPS)
PROMOTER = NPS & Q(score__gte=NPS_PROMOTER_MIN)
PASSIVE = NPS & Q(score__gt=NPS_DETRACTOR_MAX, score__lt=NPS_PROMOTER_MIN)
DETRACTOR = NPS & Q(score__lte=NPS_DETRACTOR_MAX)
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
