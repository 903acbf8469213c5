"""Drill-down: the records behind a number, as they stood when its snapshot was taken, split
into the segments the KPI counts (promoters, answered, …), with the stored numbers the list
reproduces. One aggregate and one page of records per request.

The records are listed only to viewers who may read every book the subject is made of
(``Subject.may_drill``); a client's link is shown only if the viewer may open that client."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from django.db.models import BooleanField, Case, Count, F, Q, QuerySet, Value, When
from django.http import Http404

from accounts.models import User
from crm import models as crm
from crm.access import clients_visible_to
from crm.formatting import format_number
from crm.selectors import import_sources
from metrics import selectors
from metrics import sources as src
from metrics.engine import closing_deadline
from metrics.figures import Figure, KPIRow, trend_periods
from metrics.links import drill_url
from metrics.listings import EXTRA_COLUMNS, LISTINGS, fmt_instant
from metrics.models import Snapshot
from metrics.periods import Period, Window
from metrics.registry import KPI
from metrics.subjects import Subject, SubjectKey

DRILL_PAGE_SIZE = 100


@dataclass(frozen=True)
class Segment:
    slug: str
    label: str
    condition: Q


@dataclass(frozen=True)
class Measure:
    """A quantity each record carries whose ``aggregate`` over the list is the KPI's value (or
    the part named ``part``): tenure, amounts, hours, days."""

    label: str
    expression: object
    aggregate: str  # "sum", "mean", "median" or "distinct"
    unit: str
    scale: float = 1.0
    part: str = ""


MONTH_DAYS = 365.25 / 12
MEASURES = {
    "ces": Measure("Score", F("score"), "mean", "ces"),
    "relationship_tenure_months": Measure(
        "Tenure", F("tenure_days"), "mean", "months", scale=1 / MONTH_DAYS
    ),
    "relationship_depth": Measure("Products (12 months)", F("products"), "mean", "ratio"),
    "network_reach": Measure("Contact", F("contact_id"), "distinct", "count"),
    "revenue": Measure("Amount", F("amount"), "sum", "money"),
    "partner_revenue": Measure("Amount", F("amount"), "sum", "money"),
    "revenue_growth_existing": Measure("Amount", F("amount"), "sum", "money", part="current"),
    "relationship_roi": Measure("Amount", F("amount"), "sum", "money", part="revenue"),
    "clv_historic": Measure("Lifetime revenue", F("lifetime_revenue"), "mean", "money"),
    "avg_deal_value": Measure("Deal value", F("deal__value"), "mean", "money"),
    "sales_cycle_days": Measure("Days to win", src.DAYS_TO_WIN, "median", "days"),
    "stage_days": Measure("Days in stage", src.DAYS_IN_STAGE, "mean", "days"),
    "first_response_hours": Measure(
        "Hours to first response", src.HOURS_TO_FIRST_RESPONSE, "median", "hours"
    ),
    "resolution_hours": Measure("Hours to resolve", src.HOURS_TO_RESOLUTION, "median", "hours"),
}


SEGMENT_LABELS = {
    "csat": ("Satisfied (4–5)", "Not satisfied (1–3)"),
    "survey_response_rate": ("Answered", "Not answered"),
    "closed_loop_rate": ("Followed up in time", "Not followed up in time"),
    "retention_rate": ("Retained", "Churned"),
    "churn_rate": ("Churned", "Retained"),
    "dormant_share": ("Dormant", "Touched in the last 90 days"),
    "engagement_rate": ("Engaged", "Not engaged"),
    "follow_up_on_time_rate": ("Done on time", "Late or not done"),
    "reply_conversion_rate": ("Got a reply", "No reply"),
    "strategic_alignment": ("Goal reviewed", "No recent goal review"),
    "goal_attainment": ("Met", "Not met"),
    "feedback_implementation_rate": ("Implemented", "Not implemented"),
    "upsell_rate": ("Won", "Lost"),
    "close_rate": ("Won", "Lost"),
    "stage_conversion": ("Moved forward", "Moved back or lost"),
    "sla_compliance": ("Within SLA", "Breached SLA"),
    "project_completion_rate": ("Completed on time", "Late"),
    "partners_certified": ("Certified", "Not certified"),
}
NPS_SEGMENTS = [
    Segment("promoters", "Promoters (9–10)", src.PROMOTER),
    Segment("passives", "Passives (7–8)", src.PASSIVE),
    Segment("detractors", "Detractors (0–6)", src.DETRACTOR),
]


@dataclass(frozen=True)
class Check:
    """A number on the scorecard next to the same number recounted from the listed records."""

    label: str
    stored: float | None
    listed: float | None
    unit: str

    @property
    def ok(self) -> bool:
        if self.stored is None or self.listed is None:
            return self.stored is None and self.listed is None
        return math.isclose(self.stored, self.listed, rel_tol=1e-6, abs_tol=0.01)

    @property
    def stored_text(self) -> str:
        return "—" if self.stored is None else format_number(self.unit, self.stored)

    @property
    def listed_text(self) -> str:
        return "—" if self.listed is None else format_number(self.unit, self.listed)


@dataclass
class RecordRow:
    client: crm.Client | None
    client_visible: bool
    cells: list[str]
    segment: str
    measure: str
    # Where an imported record came from ("file.csv by Ada on 2026-11-30"); "" if typed in.
    source: str = ""


@dataclass
class SegmentTab:
    slug: str
    label: str
    count: int
    url: str
    active: bool


@dataclass
class Drilldown:
    kpi: KPI
    subject: Subject
    period: Period
    breakdown: str
    figure: KPIRow
    headers: list[str]
    measure: Measure | None
    rows: list[RecordRow]
    tabs: list[SegmentTab]
    checks: list[Check]
    total: int
    shown: int
    page: int
    pages: int
    measured_text: str

    @property
    def reproduced(self) -> bool:
        return all(check.ok for check in self.checks)

    def page_url(self, page: int) -> str:
        active = next((tab for tab in self.tabs if tab.active and tab.slug), None)
        return drill_url(
            self.subject.key,
            self.kpi.key,
            self.period,
            breakdown=self.breakdown,
            show=active.slug if active else "",
            page=page if page > 1 else "",
        )

    @property
    def previous_page_url(self) -> str:
        return self.page_url(self.page - 1) if self.page > 1 else ""

    @property
    def next_page_url(self) -> str:
        return self.page_url(self.page + 1) if self.page < self.pages else ""


def kpi_history(key: SubjectKey, kpi: KPI, period: Period, breakdown: str) -> KPIRow:
    """One KPI (or one stage or topic of it) of one subject over 12 periods: one query."""
    starts = [p.start for p in trend_periods(period)]
    rows = {
        row.period_start: row
        for row in Snapshot.objects.filter(
            subject_type=key.type,
            subject_id=key.id,
            kpi=kpi.key,
            grain=period.grain,
            period_start__in=starts,
            breakdown=breakdown,
        )
    }
    history = [(p, rows.get(p.start)) for p in trend_periods(period)]
    return KPIRow(kpi, history[-1][1], history=history)


def _breakdown_filter(kpi: KPI, breakdown: str) -> Q:
    if kpi.breakdown == "stage":
        return Q(from_stage__name=breakdown)
    if breakdown == src.NO_TOPIC:
        return Q(topic="")
    return Q(topic=breakdown)


def _counted(kpi: KPI, records: QuerySet) -> Q | None:
    """What puts a record above the line of a ratio, or ``None`` if nothing does."""
    if kpi.key == "closed_loop_rate":
        # "Within 2 business days" is computed in Python by the engine; apply the same rule.
        return Q(
            pk__in=[
                pk
                for pk, answered_at, done_at in records.values_list(
                    "pk", "answered_at", "follow_up__done_at"
                )
                if done_at is not None and done_at < closing_deadline(answered_at)
            ]
        )
    return kpi.records.numerator


def _segments(kpi: KPI, records: QuerySet) -> tuple[QuerySet, list[Segment]]:
    """The groups a KPI's records fall into: promoters, passives and detractors for NPS; those
    counted above the line and the rest for a ratio. A record whose condition is unknown (a
    NULL in SQL) is "the rest", as it is for the engine's filtered counts."""
    if kpi.key == "nps":
        return records, NPS_SEGMENTS
    counted = _counted(kpi, records)
    if counted is None:
        return records, []
    records = records.annotate(
        is_counted=Case(
            When(counted, then=Value(True)), default=Value(False), output_field=BooleanField()
        )
    )
    above, below = SEGMENT_LABELS.get(kpi.key, ("Counted", "Not counted"))
    return records, [
        Segment("counted", above, Q(is_counted=True)),
        Segment("rest", below, Q(is_counted=False)),
    ]


def _aggregate(values: list[float], how: str) -> float | None:
    if how == "distinct":
        return float(len(set(values)))
    if how == "sum":
        return float(sum(values))
    if not values:
        return None
    return float(statistics.median(values) if how == "median" else statistics.fmean(values))


def _checks(kpi: KPI, figure: Figure, total: int, counts: dict, measured) -> list[Check]:
    """Which stored numbers the list reproduces: its length is the denominator (or the count,
    or the sample); the records counted above the line are the numerator; a measure's sum,
    mean or median over the list is the value."""
    row = figure.snapshot
    if row is None:
        return []
    checks = []
    measure = MEASURES.get(kpi.key)
    if measure is not None:
        values, listed = measured
        stored = row.parts.get(measure.part) if measure.part else row.value
        label = f"{measure.aggregate.capitalize()} of the listed {measure.label.lower()}"
        if measure.aggregate == "distinct":
            label = f"Distinct {measure.label.lower()}s listed"
        checks.append(Check(label, stored, listed, kpi.unit if not measure.part else "money"))
        if measure.aggregate in ("mean", "median") and row.sample is not None:
            checks.append(Check("Records measured", row.sample, float(len(values)), "count"))
        return checks
    if kpi.key == "nps":
        checks.append(Check("Answers", row.denominator, float(total), "count"))
        for segment in NPS_SEGMENTS:
            stored = row.parts.get(segment.slug)
            checks.append(Check(segment.label, stored, float(counts[segment.slug]), "count"))
        return checks
    if kpi.unit == "count":
        listed = counts.get("counted", total)
        checks.append(Check("Records", row.value, float(listed), "count"))
        return checks
    if kpi.key == "interactions_per_client":
        checks.append(Check("Interactions", row.numerator, float(total), "count"))
        return checks
    checks.append(Check("Records (denominator)", row.denominator, float(total), "count"))
    if "counted" in counts and kpi.key != "arpc":
        checks.append(
            Check("Counted (numerator)", row.numerator, float(counts["counted"]), "count")
        )
    return checks


def drilldown(
    user: User,
    subject: Subject,
    kpi: KPI,
    period: Period,
    *,
    breakdown: str = "",
    show: str = "",
    page: int = 1,
) -> Drilldown:
    """The records behind ``kpi`` for ``subject`` and ``period``, as they stood when its
    snapshot was taken, with the numbers they reproduce."""
    if not subject.may_drill:
        raise Http404("The records behind these totals are not yours to read.")
    if breakdown and not kpi.breakdown:
        raise Http404("This KPI has no breakdown.")
    figure = kpi_history(subject.key, kpi, period, breakdown)
    if kpi.breakdown and not breakdown:
        figure.breakdowns = [
            Figure(kpi, row, url=drill_url(subject.key, kpi.key, period, breakdown=row.breakdown))
            for row in Snapshot.objects.filter(
                subject_type=subject.type,
                subject_id=subject.id,
                kpi=kpi.key,
                grain=period.grain,
                period_start=period.start,
            ).exclude(breakdown="")
        ]
    # The window ends when the number was computed, so an open period's list is the one the
    # number was made from, not the records added since.
    as_of = figure.snapshot.computed_at if figure.snapshot else None
    records = selectors.drilldown(kpi.key, subject.key, period, now=as_of)
    extra = EXTRA_COLUMNS.get(kpi.key)
    if breakdown:
        records = records.filter(_breakdown_filter(kpi, breakdown))
    records, segments = _segments(kpi, records)
    counts = records.aggregate(
        total=Count("pk"),
        **{segment.slug: Count("pk", filter=segment.condition) for segment in segments},
    )
    total = counts.pop("total")
    measure = MEASURES.get(kpi.key)
    measured: tuple[list[float], float | None] = ([], None)
    if measure is not None:
        values = [
            float(value) * measure.scale
            for value in records.annotate(measure=measure.expression).values_list(
                "measure", flat=True
            )
            if value is not None
        ]
        measured = (values, _aggregate(values, measure.aggregate))
    chosen = next((segment for segment in segments if segment.slug == show), None)
    listing = LISTINGS[records.model]
    listed = records.filter(chosen.condition) if chosen else records
    shown = counts[chosen.slug] if chosen else total
    pages = max(1, math.ceil(shown / DRILL_PAGE_SIZE))
    page = min(max(page, 1), pages)
    when_counted = [When(segment.condition, then=Value(segment.label)) for segment in segments]
    listed = listed.select_related(*listing.related).order_by(*listing.order)
    if when_counted:
        listed = listed.annotate(segment_label=Case(*when_counted, default=Value("")))
    if measure is not None:
        listed = listed.annotate(measure=measure.expression)
    if extra is not None:
        listed = listed.annotate(extra=extra[1](Window.of(period, as_of)))
    start = (page - 1) * DRILL_PAGE_SIZE
    records_page = list(listed[start : start + DRILL_PAGE_SIZE])
    clients = [listing.client(record) for record in records_page]
    client_ids = {client.pk for client in clients if client is not None}
    visible = set(clients_visible_to(user).filter(pk__in=client_ids).values_list("pk", flat=True))
    sources = import_sources(records.model, [record.pk for record in records_page])
    rows = []
    for record, client in zip(records_page, clients, strict=True):
        value = getattr(record, "measure", None)
        measure_text = ""
        if measure is not None and measure.aggregate != "distinct":
            measure_text = (
                "—" if value is None else format_number(measure.unit, float(value) * measure.scale)
            )
        cells = [text(record) for _, text in listing.columns]
        if extra is not None:
            cells.append(fmt_instant(record.extra) if record.extra else "never")
        rows.append(
            RecordRow(
                client,
                client is not None and client.pk in visible,
                cells,
                getattr(record, "segment_label", ""),
                measure_text,
                str(sources[record.pk]) if record.pk in sources else "",
            )
        )
    tabs = [
        SegmentTab(
            "",
            "All",
            total,
            drill_url(subject.key, kpi.key, period, breakdown=breakdown),
            chosen is None,
        )
    ]
    tabs += [
        SegmentTab(
            segment.slug,
            segment.label,
            counts[segment.slug],
            drill_url(subject.key, kpi.key, period, breakdown=breakdown, show=segment.slug),
            chosen is segment,
        )
        for segment in segments
    ]
    headers = [header for header, _ in listing.columns] + ([extra[0]] if extra else [])
    measured_text = ""
    if measure is not None and measured[1] is not None:
        unit = "money" if measure.part else kpi.unit
        measured_text = format_number(unit, measured[1])
    return Drilldown(
        kpi=kpi,
        subject=subject,
        period=period,
        breakdown=breakdown,
        figure=figure,
        headers=headers,
        measure=measure,
        rows=rows,
        tabs=tabs,
        checks=_checks(kpi, figure, total, counts, measured),
        total=total,
        shown=shown,
        page=page,
        pages=pages,
        measured_text=measured_text,
    )


# --- Targets ----------------------------------------------------------------------------------
