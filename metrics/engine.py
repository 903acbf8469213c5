"""Computes every KPI of the registry for every BRM, team and the organisation at once.

Each measure family below runs a fixed number of aggregate queries over the period's records
(``GROUP BY`` the credited owner with conditional aggregates), whatever the number of BRMs or
clients. Additive parts (counts, sums) are added up per subject in Python: a team's parts are
the sums of its members' parts and the organisation's the sums of everyone's, so every ratio
is recomputed from its parts, never averaged. Parts that do not add up (distinct counts,
medians) are computed per subject by the database in the same single query (``metrics.sql``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, F, Q, Sum, Value
from django.utils import timezone

from crm.calendar import add_business_days
from metrics import sources as src
from metrics.book_scan import book_rows
from metrics.periods import Period, Window, local_midnight
from metrics.registry import KPI, KPIS, Result
from metrics.sql import (
    distinct_per_subject,
    distinct_where_per_subject,
    grouped,
    median_per_subject,
    when,
)
from metrics.subjects import SubjectKey, Subjects

# (subject, breakdown dimension, breakdown value) -> measure name -> value
MeasureKey = tuple[SubjectKey, str, str]
Measures = dict[MeasureKey, dict[str, float]]


def _fold(rows: Iterable[dict], subjects: Subjects, out: Measures, *, owner="owner", dim=""):
    """Add each owner's row of sums to every subject the owner counts for."""
    for row in rows:
        owner_id = row.pop(owner)
        value = row.pop(dim) if dim else ""
        breakdown = str(value) if value not in (None, "") else src.NO_TOPIC
        for key in subjects.keys_for_owner(owner_id):
            bucket = out.setdefault((key, dim, breakdown if dim else ""), defaultdict(float))
            for name, amount in row.items():
                bucket[name] += float(amount or 0)


def _direct(per_subject: dict[SubjectKey, dict[str, float]], out: Measures) -> None:
    for key, values in per_subject.items():
        out.setdefault((key, "", ""), defaultdict(float)).update(
            {name: value for name, value in values.items() if value is not None}
        )


def _by_owner(queryset, *columns: str, **aggregates):
    """``aggregates`` per credited owner (``columns``, ``("owner",)`` by default)."""
    return queryset.order_by().values(*(columns or ("owner",))).annotate(**aggregates)


# --- Measure families -------------------------------------------------------------------------


def survey_measures(w: Window, subjects: Subjects, out: Measures) -> None:
    _fold(
        _by_owner(
            src.responses(w),
            nps_p=Count("id", filter=src.PROMOTER),
            nps_m=Count("id", filter=src.PASSIVE),
            nps_d=Count("id", filter=src.DETRACTOR),
            csat_n=Count("id", filter=src.CSAT),
            csat_good=Count("id", filter=src.CSAT_SATISFIED),
            ces_n=Count("id", filter=src.CES),
            ces_sum=Sum("score", filter=src.CES),
            testimonials=Count("id", filter=src.TESTIMONIAL),
        ),
        subjects,
        out,
    )
    _fold(
        _by_owner(
            src.invitations_delivered(w),
            delivered=Count("id"),
            answered=Count("id", filter=src.ANSWERED),
        ),
        subjects,
        out,
    )
    # "Within 2 business days" is calendar logic the two databases cannot share, so this one
    # query returns the (few) answers needing a follow-up and Python applies the deadline.
    loops = defaultdict(lambda: {"loop_n": 0, "loop_closed": 0})
    for owner_id, answered_at, done_at in (
        src.responses(w)
        .filter(src.NEEDS_CLOSING)
        .values_list("owner", "answered_at", "follow_up__done_at")
    ):
        loops[owner_id]["loop_n"] += 1
        if done_at is not None and done_at < closing_deadline(answered_at):
            loops[owner_id]["loop_closed"] += 1
    _fold(({"owner": owner, **parts} for owner, parts in loops.items()), subjects, out)


def closing_deadline(answered_at: datetime) -> datetime:
    """The end (exclusive) of the ``CLOSE_LOOP_BUSINESS_DAYS``-th business day after the
    day of the answer, business days being Monday to Friday in the organisation's time zone
    (public holidays are not known to the app)."""
    day = add_business_days(timezone.localdate(answered_at), settings.CLOSE_LOOP_BUSINESS_DAYS)
    return local_midnight(day + timedelta(days=1))


def book_measures(w: Window, subjects: Subjects, out: Measures) -> None:
    """One scan of the clients; each group's sums go to the owner at the instant they are
    about (the cohort to the owner at period start, the book to the owner at period end)."""
    end = "active_end"
    aggregates = {
        # owner at period start
        "cohort": when("active_start"),
        "retained": when("active_start", end),
        # owner at the start of the trailing year
        "cohort_year": when("active_year"),
        "retained_year": when("active_year", end),
        # owner at period end
        "active_end": when(end),
        "tenure_days": when(end, value="tenure_days"),
        "products": when(end, value="products"),
        "dormant": when(end, "dormant"),
        "engaged": when(end, "engaged"),
        "strategic": when(end, "strategic"),
        "aligned": when(end, "strategic", "aligned"),
        "partners_active": when(end, "partner"),
        "partners_certified": when(end, "partner", "certified"),
        "churned_recently": when("churned_recently"),
        "lifetime_revenue_churned": when("churned_recently", value="lifetime_revenue"),
    }
    owner_of = {"cohort": "owner_start", "retained": "owner_start"}
    owner_of |= {"cohort_year": "owner_year", "retained_year": "owner_year"}
    keys = ["owner_start", "owner_end", "owner_year"]
    per_owner: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in grouped(*book_rows(w), keys, aggregates):
        for name in aggregates:
            owner_id = row[owner_of.get(name, "owner_end")]
            if owner_id is not None and row[name]:
                per_owner[owner_id][name] += float(row[name])
    _fold(({"owner": owner, **sums} for owner, sums in per_owner.items()), subjects, out)
    # ``arpc`` and ``clv`` count the clients each BRM held while they were active, so that a
    # client handed over mid-period is in both books (as its revenue is) and once in a team.
    _direct(
        distinct_where_per_subject(
            src.held_in_year(w).values(
                who=F("owner_id"), x=F("client_id"), p=F("in_period"), in_year=Value(1)
            ),
            subjects,
            {"active_any": "p", "active_any_year": "in_year"},
        ),
        out,
    )


def interaction_measures(w: Window, subjects: Subjects, out: Measures) -> None:
    # One scan per owner and topic: the owner's totals are the sums over their topics, and the
    # reply rate's breakdown is the topics with outbound messages.
    by_topic = list(
        _by_owner(
            src.interactions(w),
            "owner",
            "topic",
            interactions=Count("id", filter=src.NOT_NOTE),
            outbound=Count("id", filter=src.OUTBOUND_MESSAGE),
            replied=Count("id", filter=src.OUTBOUND_MESSAGE & src.GOT_REPLY),
        )
    )
    _fold(
        (
            {name: row[name] for name in ("owner", "interactions", "outbound", "replied")}
            for row in by_topic
        ),
        subjects,
        out,
    )
    _fold(
        (
            {name: row[name] for name in ("owner", "topic", "outbound", "replied")}
            for row in by_topic
            if row["outbound"]
        ),
        subjects,
        out,
        dim="topic",
    )
    _direct(
        distinct_per_subject(
            src.contacts_reached(w).values(who=F("interaction__owner_id"), x=F("contact_id")),
            subjects,
            "reach",
        ),
        out,
    )
    _fold(
        src.contacts_added(w).order_by().values("owner_id").annotate(contacts_added=Count("id")),
        subjects,
        out,
        owner="owner_id",
    )
    _fold(
        _by_owner(src.follow_ups_done(w), follow_ups_done=Count("id")),
        subjects,
        out,
    )
    _fold(
        _by_owner(
            src.follow_ups_due(w),
            "held_by",
            follow_ups_due=Count("id"),
            follow_ups_on_time=Count("id", filter=src.DONE_BY_DUE_DATE),
        ),
        subjects,
        out,
        owner="held_by",
    )


def revenue_measures(w: Window, subjects: Subjects, out: Measures) -> None:
    """One scan of the lines; each measure sums those of its own window."""
    period, year = src.recognised_in_period(w), src.recognised_in_year(w)
    _fold(
        _by_owner(
            src.revenue_lines_measured(w),
            revenue=Sum("amount", filter=period),
            cost=Sum("cost_to_serve", filter=period),
            partner_revenue=Sum("amount", filter=period & src.PARTNER_REVENUE),
            revenue_year=Sum("amount", filter=year),
            cost_year=Sum("cost_to_serve", filter=year),
            revenue_existing=Sum("amount", filter=src.recognised_existing(w)),
            revenue_existing_before=Sum("amount", filter=src.recognised_existing_before(w)),
        ),
        subjects,
        out,
    )


def pipeline_measures(w: Window, subjects: Subjects, out: Measures) -> None:
    _fold(
        _by_owner(
            src.deal_closings(w),
            closed=Count("id"),
            won=Count("id", filter=src.WON),
            won_value=Sum("deal__value", filter=src.WON),
            upsell_closed=Count("id", filter=src.UPSELL),
            upsell_won=Count("id", filter=src.UPSELL & src.WON),
        ),
        subjects,
        out,
    )
    timed = Q(entered_from_at__isnull=False)
    _fold(
        src.stage_exits(w)
        .order_by()
        .values("owner", "from_stage__name")
        .annotate(
            stage_exits=Count("id"),
            stage_forward=Count("id", filter=src.FORWARD),
            stage_exits_timed=Count("id", filter=timed),
            stage_days_total=Sum(src.DAYS_IN_STAGE, filter=timed),
        ),
        subjects,
        out,
        dim="from_stage__name",
    )
    _direct(
        median_per_subject(
            src.deal_closings(w).filter(src.WON).values(who=F("owner_id"), x=src.DAYS_TO_WIN),
            subjects,
            "cycle_days",
        ),
        out,
    )


def support_measures(w: Window, subjects: Subjects, out: Measures) -> None:
    resolved = src.issues_resolved(w)
    _fold(
        _by_owner(resolved, resolved=Count("id"), within_sla=Count("id", filter=src.WITHIN_SLA)),
        subjects,
        out,
    )
    _direct(
        median_per_subject(
            src.issues_first_answered(w).values(who=F("owner_id"), x=src.HOURS_TO_FIRST_RESPONSE),
            subjects,
            "first_response_hours",
        ),
        out,
    )
    _direct(
        median_per_subject(
            resolved.values(who=F("owner_id"), x=src.HOURS_TO_RESOLUTION),
            subjects,
            "resolution_hours",
        ),
        out,
    )


def delivery_and_goal_measures(w: Window, subjects: Subjects, out: Measures) -> None:
    _fold(
        _by_owner(
            src.projects_due(w),
            projects_due=Count("id"),
            projects_on_time=Count("id", filter=src.COMPLETED_BY_DUE_DATE),
        ),
        subjects,
        out,
    )
    _fold(
        _by_owner(
            src.goals_due(w), goals_due=Count("id"), goals_met=Count("id", filter=src.GOAL_MET)
        ),
        subjects,
        out,
    )
    _fold(
        _by_owner(
            src.feedback_closed_year(w),
            feedback_closed=Count("id"),
            feedback_implemented=Count("id", filter=src.IMPLEMENTED),
        ),
        subjects,
        out,
    )
    _fold(_by_owner(src.partner_referrals(w), referrals=Count("id")), subjects, out)


MEASURE_FAMILIES: list[Callable[[Window, Subjects, Measures], None]] = [
    survey_measures,
    book_measures,
    interaction_measures,
    revenue_measures,
    pipeline_measures,
    support_measures,
    delivery_and_goal_measures,
]


# --- KPIs from measures -----------------------------------------------------------------------


@dataclass
class Computed:
    subject: SubjectKey
    kpi: KPI
    breakdown: str
    result: Result
    low_sample: bool


def compute(period: Period, *, now: datetime | None = None) -> tuple[list[Computed], Subjects]:
    """Every KPI of the registry for every subject over ``period`` (to date if it is open)."""
    window = Window.of(period, now)
    subjects = Subjects.on(window.last_day)
    measures: Measures = {}
    for family in MEASURE_FAMILIES:
        family(window, subjects, measures)
    breakdowns: dict[SubjectKey, list[tuple[str, str, dict]]] = defaultdict(list)
    for (subject, dim, value), values in measures.items():
        if dim:
            breakdowns[subject].append((dim, value, values))
    rows: list[Computed] = []
    for subject in subjects:
        overall = measures.get((subject, "", ""), {})
        for kpi in KPIS.values():
            if kpi.overall:
                rows.append(_computed(subject, kpi, "", kpi.compute(overall, window)))
            for dim, value, values in sorted(breakdowns[subject]) if kpi.breakdown else ():
                if dim == _DIMENSIONS[kpi.breakdown]:
                    rows.append(_computed(subject, kpi, value, kpi.compute(values, window)))
    return rows, subjects


_DIMENSIONS = {"topic": "topic", "stage": "from_stage__name"}


def _computed(subject: SubjectKey, kpi: KPI, breakdown: str, result: Result) -> Computed:
    if result.value is not None:
        result.value = round(result.value, 4)
    if result.margin_of_error is not None:
        result.margin_of_error = round(result.margin_of_error, 4)
    low = (
        kpi.sampled
        and result.value is not None
        and (result.sample or 0) < settings.SURVEY_MIN_SAMPLE
    )
    return Computed(subject, kpi, breakdown, result, low)
