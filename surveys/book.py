"""The book's NPS column: each client's NPS over the last 12 months with its number of answers,
sortable, in the list and its CSV export. The book (``crm.selectors``) knows nothing of surveys:
``NPS_COLUMN`` is registered from ``SurveysConfig.ready``.

NPS follows the survey results' rule (``surveys.selectors._kind_result``): the percentage of
promoters (9–10) minus the percentage of detractors (0–6) of the NPS answers, None without any.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce

from crm.formatting import export_rounded
from crm.models import Client
from crm.selectors import BookColumn
from surveys.models import NPS_DETRACTOR_MAX, NPS_PROMOTER_MIN, Response, SurveyKind


def _count(since: datetime, condition: Q) -> Coalesce:
    answers = (
        Response.objects.filter(client=OuterRef("pk"), kind=SurveyKind.NPS, answered_at__gte=since)
        .filter(condition)
        .order_by()
        .values("client")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(answers, output_field=IntegerField()), Value(0))


def with_nps(clients: QuerySet[Client], since: datetime) -> QuerySet[Client]:
    """Annotate ``nps_n`` (NPS answers since ``since``), ``nps_promoters``, ``nps_detractors``
    and ``nps`` (-100..100 as a float, None when ``nps_n`` is 0): three correlated subqueries."""
    clients = clients.annotate(
        nps_n=_count(since, Q()),
        nps_promoters=_count(since, Q(score__gte=NPS_PROMOTER_MIN)),
        nps_detractors=_count(since, Q(score__lte=NPS_DETRACTOR_MAX)),
    )
    share = Cast(F("nps_promoters") - F("nps_detractors"), FloatField()) * Value(100.0)
    return clients.annotate(
        nps=Case(
            When(nps_n__gt=0, then=share / Cast(F("nps_n"), FloatField())),
            default=None,
            output_field=FloatField(),
        )
    )


NPS_COLUMN = BookColumn(
    key="nps",
    label="NPS 12 mo",
    annotate=with_nps,
    sort_field="nps",
    cell_template="surveys/partials/book_nps_cell.html",
    csv_headers=("nps_12m", "nps_answers_12m"),
    csv_values=lambda c: [export_rounded(c.nps, 1), c.nps_n],
)
