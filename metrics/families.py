"""The measure families: each computes its measures for every subject of every window of a
batch (``metrics.batch``) in a fixed number of queries, whatever the number of BRMs, clients
or periods.

Event families read their records once over the batch's whole range, grouped by credited owner
and month, and add each month's sums to the windows containing it. Additive parts (counts,
sums) are added up per subject in Python: a team's parts are the sums of its members' parts and
the organisation's the sums of everyone's, so every ratio is recomputed from its parts, never
averaged. Parts that do not add up (distinct counts, medians) are computed per subject and
window by the database in one statement (``metrics.sql``). The book (each client's state at
instants), the clients held while active and the growth cohort depend on the window itself:
each is one statement joining its tables to every window (``book_scan``, ``held_scan``,
``revenue_scan``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Value
from django.utils import timezone

from crm import models as crm
from crm.calendar import add_business_days
from metrics import sources as src
from metrics.batch import YEAR, Batch, MonthlySums
from metrics.book_scan import batches as book_batches
from metrics.book_scan import book_rows
from metrics.held_scan import held_counts
from metrics.per_window import distinct_per_subject, median_per_subject
from metrics.periods import local_midnight
from metrics.revenue_scan import revenue_sums
from metrics.sql import grouped, when


def _timed(batch: Batch) -> list:
    """The per-window groups of a per-subject statement over events with an instant."""
    return [(batch.subjects[w], (w.start_at, w.until)) for w in batch.windows]


def _direct_each(batch: Batch, results: list) -> None:
    for window, per_subject in zip(batch.windows, results, strict=True):
        batch.direct(window, per_subject)


def _count(condition: Q | None = None) -> Count:
    """Rows (that meet ``condition``): ``COUNT(1)``, not a column's count, which would make the
    scan read the column and keep an index that lacks it (``id`` in an ``INCLUDE``) from
    answering alone."""
    return Count(Value(1), filter=condition)


# --- Surveys ----------------------------------------------------------------------------------


ANSWERS = MonthlySums(
    src.responses,
    "answered_at",
    {
        "nps_p": _count(src.PROMOTER),
        "nps_m": _count(src.PASSIVE),
        "nps_d": _count(src.DETRACTOR),
        "csat_n": _count(src.CSAT),
        "csat_good": _count(src.CSAT_SATISFIED),
        "ces_n": _count(src.CES),
        "ces_sum": Sum("score", filter=src.CES),
        "testimonials": _count(src.TESTIMONIAL),
    },
)
DELIVERIES = MonthlySums(
    src.invitations_delivered,
    "delivered_at",
    {"delivered": _count(), "answered": _count(src.ANSWERED)},
    merge_join=True,
)


def survey_measures(batch: Batch) -> None:
    every = batch.range()
    ANSWERS.fold(batch)
    DELIVERIES.fold(batch)
    # "Within 2 business days" is calendar logic the two databases cannot share, so this one
    # query returns the (few) answers needing a follow-up and Python applies the deadline.
    # Each answer's follow-up is one probe of its primary key: a join made PostgreSQL hash a
    # scan of every follow-up for a month's 1.6k answers (0.05 s against 0.02 s at scale 1).
    follow_up_done = crm.FollowUp.objects.filter(pk=OuterRef("follow_up_id")).order_by()
    # Counted per (owner, month) first, each local day's deadline found once: a 24-month
    # backfill reads 39k such answers, and adding each to its windows cost 1 s of Python.
    tz = timezone.get_current_timezone()
    # (owner, month of the answer) -> [answers, closed in time]
    loops: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0])
    deadlines: dict[date, datetime] = {}
    for owner_id, answered_at, done_at in (
        src.responses(every)
        .filter(src.NEEDS_CLOSING)
        .order_by()
        .values_list("owner", "answered_at", Subquery(follow_up_done.values("done_at")))
    ):
        day = timezone.localtime(answered_at, tz).date()
        counts = loops[owner_id, day.replace(day=1)]
        counts[0] += 1
        if done_at is not None:
            if day not in deadlines:
                deadlines[day] = _closing_deadline_of(day)
            counts[1] += done_at < deadlines[day]
    for (owner_id, month), (answers, closed) in loops.items():
        for window in batch.windows_of(month):
            batch.add(window, owner_id, {"loop_n": answers, "loop_closed": closed})


def closing_deadline(answered_at: datetime) -> datetime:
    """The end (exclusive) of the ``CLOSE_LOOP_BUSINESS_DAYS``-th business day after the
    day of the answer, business days being Monday to Friday in the organisation's time zone
    (public holidays are not known to the app)."""
    return _closing_deadline_of(timezone.localdate(answered_at))


def _closing_deadline_of(day: date) -> datetime:
    """``closing_deadline`` of an answer given on the local ``day``."""
    later = add_business_days(day, settings.CLOSE_LOOP_BUSINESS_DAYS)
    return local_midnight(later + timedelta(days=1))


# --- The book of clients --------------------------------------------------------------


def book_measures(batch: Batch) -> None:
    """One scan of the clients in every window; each group's sums go to the owner at the
    instant they are about (the cohort to the owner at period start, the book to the owner at
    period end); then the clients each BRM held while active (``arpc``, ``clv``)."""
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
    keys = ["i", "owner_start", "owner_end", "owner_year"]
    # Every sum counts only clients active at one of the instants or churned recently: the
    # other rows (about one in ten) are left out before they are grouped.
    counted = "active_start OR active_year OR active_end OR churned_recently"
    for windows in book_batches(batch.windows):
        per_owner: dict[tuple[int, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for row in grouped(*book_rows(windows), keys, aggregates, where=counted):
            for name in aggregates:
                owner_id = row[owner_of.get(name, "owner_end")]
                if owner_id is not None and row[name]:
                    per_owner[row["i"], owner_id][name] += float(row[name])
        for (index, owner_id), sums in per_owner.items():
            batch.add(windows[index], owner_id, sums)
    # ``arpc`` and ``clv`` count the clients each BRM held while they were active, so that a
    # client handed over mid-period is in both books (as its revenue is) and once in a team.
    for windows in book_batches(batch.windows):
        for window, per_subject in zip(
            windows, held_counts(windows, [batch.subjects[w] for w in windows]), strict=True
        ):
            batch.direct(window, per_subject)


# --- Interactions and follow-ups --------------------------------------------------------------


# A window's interactions in one statement, per owner, month and topic of the outbound messages
# (``reply_topic``: null for the other interactions). Only outbound messages have a breakdown by
# topic (the reply rate's): an owner's totals are the sums over their rows, and the others'
# null topic puts seven in ten interactions in one group per owner and month.
INTERACTIONS_BY_TOPIC = MonthlySums(
    src.interactions_by_reply_topic,
    "occurred_at",
    {
        "interactions": _count(src.NOT_NOTE),
        "outbound": _count(src.OUTBOUND_MESSAGE),
        "replied": _count(src.OUTBOUND_MESSAGE & src.GOT_REPLY),
    },
    dim="reply_topic",
)
# A batch of several windows (a backfill, the open periods) in two statements: the interactions
# per owner and month, and the outbound messages with their replies per owner, topic and month.
# Over 24 months one statement's hash of (owner, topic, month) groups outgrows the CPU caches,
# and every interaction is a probe into it; for one window a second scan of the table costs more
# (docs/kpis-implementation.md, "Counts by topic"). The replies are tested as
# ``GOT_REPLY_IN_BULK``: the replied-to ids hashed once instead of all the interactions' ("Backfill
# of the interactions family").
INTERACTIONS = MonthlySums(src.interactions, "occurred_at", {"interactions": _count(src.NOT_NOTE)})
REPLIES_BY_TOPIC_IN_BULK = MonthlySums(
    src.outbound_messages,
    "occurred_at",
    {"outbound": _count(), "replied": _count(src.GOT_REPLY_IN_BULK)},
    dim="topic",
)
CONTACTS_ADDED = MonthlySums(
    src.contacts_added, "created_at", {"contacts_added": _count()}, owner="owner_id"
)
FOLLOW_UPS_DONE = MonthlySums(src.follow_ups_done, "done_at", {"follow_ups_done": _count()})
# Each follow-up is judged against (and in the month of) ``judged_on``, credited to the BRM who
# held it then (``held_by``).
FOLLOW_UPS_DUE = MonthlySums(
    src.follow_ups_due,
    "judged_on",
    {"follow_ups_due": _count(), "follow_ups_on_time": _count(src.DONE_BY_DUE_DATE)},
    owner="held_by",
)


def interaction_measures(batch: Batch) -> None:
    every = batch.range()
    if len(batch.windows) > 1:
        INTERACTIONS.fold(batch)
        by_topic = REPLIES_BY_TOPIC_IN_BULK.rows(batch)
        totals = ("outbound", "replied")
    else:
        by_topic = INTERACTIONS_BY_TOPIC.rows(batch)
        for row in by_topic:
            row["topic"] = row.pop("reply_topic")
        totals = ("interactions", "outbound", "replied")
    batch.fold(by_topic, measures=totals)
    batch.fold(
        (row for row in by_topic if row["outbound"]),
        dim="topic",
        measures=("outbound", "replied"),
    )
    _direct_each(
        batch,
        distinct_per_subject(
            src.contact_reaches(every).values(who=F("owner"), x=F("contact"), at=F("occurred_at")),
            _timed(batch),
            "reach",
        ),
    )
    CONTACTS_ADDED.fold(batch)
    FOLLOW_UPS_DONE.fold(batch)
    FOLLOW_UPS_DUE.fold(batch)


# --- Revenue and pipeline ---------------------------------------------------------------------


def revenue_measures(batch: Batch) -> None:
    """One scan of the lines of every window's trailing year and growth spans
    (``revenue_scan``): a period's revenue is its months', a trailing year's the sum of its 12
    months; the growth cohort's revenue in each window and in the same part of the previous
    period goes to every owner of a line in those spans, as a subject, even outside the
    cohort."""
    monthly, growth = revenue_sums(batch)
    batch.fold(monthly, measures=("revenue", "cost", "partner_revenue"))
    batch.fold(
        ({**row, "revenue_year": row["revenue"], "cost_year": row["cost"]} for row in monthly),
        span=YEAR,
        measures=("revenue_year", "cost_year"),
    )
    for (index, owner_id), (existing, before) in growth.items():
        batch.add(
            batch.windows[index],
            owner_id,
            {"revenue_existing": existing, "revenue_existing_before": before},
        )


CLOSINGS = MonthlySums(
    src.deal_closings,
    "changed_at",
    {
        "closed": _count(),
        "won": _count(src.WON),
        "won_value": Sum("deal__value", filter=src.WON),
        "upsell_closed": _count(src.UPSELL),
        "upsell_won": _count(src.UPSELL & src.WON),
    },
)
_TIMED = Q(entered_from_at__isnull=False)
STAGE_EXITS = MonthlySums(
    src.stage_exits,
    "changed_at",
    {
        "stage_exits": _count(),
        "stage_forward": _count(src.FORWARD),
        "stage_exits_timed": _count(_TIMED),
        "stage_days_total": Sum(src.DAYS_IN_STAGE, filter=_TIMED),
    },
    dim="from_stage__name",
)


def pipeline_measures(batch: Batch) -> None:
    every = batch.range()
    CLOSINGS.fold(batch)
    STAGE_EXITS.fold(batch)
    _direct_each(
        batch,
        median_per_subject(
            src.deal_closings(every)
            .filter(src.WON)
            .values(who=F("owner_id"), x=src.DAYS_TO_WIN, at=F("changed_at")),
            _timed(batch),
            "cycle_days",
        ),
    )


# --- Support, delivery, goals, feedback, partners ---------------------------------------------


RESOLVED = MonthlySums(
    src.issues_resolved,
    "resolved_at",
    {"resolved": _count(), "within_sla": _count(src.WITHIN_SLA)},
)


def support_measures(batch: Batch) -> None:
    every = batch.range()
    resolved = src.issues_resolved(every)
    RESOLVED.fold(batch)
    _direct_each(
        batch,
        median_per_subject(
            src.issues_first_answered(every).values(
                who=F("owner_id"), x=src.HOURS_TO_FIRST_RESPONSE, at=F("first_response_at")
            ),
            _timed(batch),
            "first_response_hours",
        ),
    )
    _direct_each(
        batch,
        median_per_subject(
            resolved.values(who=F("owner_id"), x=src.HOURS_TO_RESOLUTION, at=F("resolved_at")),
            _timed(batch),
            "resolution_hours",
        ),
    )


# Projects and goals by due date, feedback closed over the trailing year, partner referrals.
DELIVERY_AND_GOALS = (
    MonthlySums(
        src.projects_due,
        "due_on",
        {"projects_due": _count(), "projects_on_time": _count(src.COMPLETED_BY_DUE_DATE)},
    ),
    MonthlySums(
        src.goals_due, "due_on", {"goals_due": _count(), "goals_met": _count(src.GOAL_MET)}
    ),
    MonthlySums(
        src.feedback_closed_year,
        "closed_on",
        {"feedback_closed": _count(), "feedback_implemented": _count(src.IMPLEMENTED)},
        span=YEAR,
    ),
    MonthlySums(src.partner_referrals, "received_on", {"referrals": _count()}),
)


def delivery_and_goal_measures(batch: Batch) -> None:
    for sums in DELIVERY_AND_GOALS:
        sums.fold(batch)


MEASURE_FAMILIES: list[Callable[[Batch], None]] = [
    survey_measures,
    book_measures,
    interaction_measures,
    revenue_measures,
    pipeline_measures,
    support_measures,
    delivery_and_goal_measures,
]
