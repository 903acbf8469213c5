"""The KPI catalog (docs/kpis.md) as code: one definition per KPI.

A definition says what the KPI is (key, label, family, unit, direction, default target and
tolerance, formula text and version), how its value is made from the measures its family
computes (``compute``), and where its records come from (``records``, for the drill-down).
Adding a KPI over existing measures is one ``register`` call; a new measure is one more
aggregate in its family's query in ``metrics.engine``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q

from metrics import sources as src
from metrics.intervals import nps_margin
from metrics.periods import Window

HIGHER = "higher"
LOWER = "lower"

# What "the target's scale" is for the default tolerance (a share of it, 10 % by default):
# the width of a bounded scale, or the target itself for unbounded quantities.
UNIT_SCALES = {"percent": 100.0, "nps": 200.0, "ces": 6.0}


@dataclass
class Result:
    """A KPI value with its parts. ``value`` is ``None`` when the denominator is empty."""

    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    sample: int | None = None
    parts: dict = field(default_factory=dict)
    margin_of_error: float | None = None


Measures = Mapping[str, float]


@dataclass(frozen=True)
class KPI:
    key: str
    label: str
    family: str
    unit: str
    direction: str
    formula: str
    compute: Callable[[Measures, Window], Result]
    records: src.Records
    default_target: float | None = None
    tolerance: float | None = None
    formula_version: int = 1
    # "stage" or "topic": also (or, without ``overall``, only) one row per stage or topic.
    breakdown: str = ""
    overall: bool = True
    # Survey scores from fewer answers than settings.SURVEY_MIN_SAMPLE are flagged "low sample".
    sampled: bool = False
    # The 95 % interval the pages show: "wilson" (a proportion: numerator of denominator) or
    # "nps" (from the promoters, passives and detractors kept in the parts).
    interval: str = ""

    def default_tolerance(self, target: float) -> float:
        if self.tolerance is not None:
            return self.tolerance
        scale = UNIT_SCALES.get(self.unit, abs(target))
        return round(settings.KPI_TOLERANCE_SHARE * scale, 6)


KPIS: dict[str, KPI] = {}


def register(kpi: KPI) -> KPI:
    if kpi.key in KPIS:
        raise ValueError(f"KPI {kpi.key!r} is defined twice.")
    KPIS[kpi.key] = kpi
    return kpi


def get(key: str) -> KPI:
    try:
        return KPIS[key]
    except KeyError:
        raise KeyError(f"Unknown KPI {key!r}; known: {', '.join(sorted(KPIS))}.") from None


# --- Formula shapes ---------------------------------------------------------------------------


def _n(measures: Measures, name: str) -> float:
    return float(measures.get(name) or 0)


def ratio(numerator: str, denominator: str, scale: float = 100.0) -> Callable:
    """``scale × numerator / denominator``; no data when the denominator is empty."""

    # ``_n`` written out: these run for most of the 300k rows of a 24-month backfill.
    def compute(m: Measures, w: Window) -> Result:
        num, den = float(m.get(numerator) or 0), float(m.get(denominator) or 0)
        value = scale * num / den if den else None
        return Result(value, num, den, int(den))

    return compute


def mean(total: str, count: str) -> Callable:
    def compute(m: Measures, w: Window) -> Result:
        num, den = float(m.get(total) or 0), float(m.get(count) or 0)
        return Result(num / den if den else None, num, den, int(den))

    return compute


def count(name: str) -> Callable:
    """A count or sum: zero is a fact here, not missing data."""

    def compute(m: Measures, w: Window) -> Result:
        amount = float(m.get(name) or 0)
        return Result(amount, amount)

    return compute


def median(name: str) -> Callable:
    def compute(m: Measures, w: Window) -> Result:
        n = int(_n(m, f"{name}_n"))
        return Result(m.get(name) if n else None, sample=n)

    return compute


def nps(m: Measures, w: Window) -> Result:
    promoters, passives, detractors = _n(m, "nps_p"), _n(m, "nps_m"), _n(m, "nps_d")
    n = promoters + passives + detractors
    parts = {"promoters": promoters, "passives": passives, "detractors": detractors}
    if not n:
        return Result(None, denominator=0, sample=0, parts=parts)
    margin = nps_margin(promoters, passives, detractors)
    return Result(
        100 * (promoters - detractors) / n, promoters - detractors, n, int(n), parts, margin
    )


def churn(m: Measures, w: Window) -> Result:
    cohort, retained = _n(m, "cohort"), _n(m, "retained")
    churned = cohort - retained
    return Result(100 * churned / cohort if cohort else None, churned, cohort, int(cohort))


def interactions_per_client(m: Measures, w: Window) -> Result:
    """Interactions per active client, scaled to a 30-day month (by the days elapsed so far
    while the period is open)."""
    logged, clients = _n(m, "interactions"), _n(m, "active_end")
    if not clients or not w.days:
        return Result(None, logged, clients, int(clients))
    return Result(logged / clients * 30 / w.days, logged, clients, int(clients))


def tenure_months(m: Measures, w: Window) -> Result:
    days, clients = _n(m, "tenure_days"), _n(m, "active_end")
    months = days / clients / (365.25 / 12) if clients else None
    return Result(months, days, clients, int(clients), {"unit_of_numerator": "days"})


def growth(m: Measures, w: Window) -> Result:
    now, before = _n(m, "revenue_existing"), _n(m, "revenue_existing_before")
    value = 100 * (now - before) / before if before else None
    return Result(value, now - before, before, parts={"current": now, "previous": before})


def roi(m: Measures, w: Window) -> Result:
    revenue, cost = _n(m, "revenue"), _n(m, "cost")
    value = 100 * (revenue - cost) / cost if cost else None
    return Result(value, revenue - cost, cost, parts={"revenue": revenue, "cost_to_serve": cost})


def clv(m: Measures, w: Window) -> Result:
    """Annual gross profit per client over the trailing 12 months × expected lifetime in
    years (1 / annual churn rate, capped at settings.KPI_CLV_MAX_YEARS, the cap also applying
    when nobody churned). No data without clients in the year or without a churn cohort."""
    revenue, cost = _n(m, "revenue_year"), _n(m, "cost_year")
    clients, cohort = _n(m, "active_any_year"), _n(m, "cohort_year")
    churned = cohort - _n(m, "retained_year")
    cap = float(settings.KPI_CLV_MAX_YEARS)
    parts = {"revenue_12m": revenue, "cost_to_serve_12m": cost, "clients_12m": clients}
    if not clients or not cohort:
        return Result(None, revenue - cost, clients, int(clients), parts)
    annual_churn = churned / cohort
    lifetime = min(1 / annual_churn, cap) if annual_churn else cap
    parts |= {"annual_churn_rate": annual_churn, "lifetime_years": lifetime}
    value = (revenue - cost) / clients * lifetime
    return Result(value, revenue - cost, clients, int(clients), parts)


# --- Surveys ----------------------------------------------------------------------------------

SURVEY_RECORDS = src.Records(src.responses)

register(
    KPI(
        "nps",
        "Net Promoter Score",
        "surveys",
        "nps",
        HIGHER,
        "100 × (promoters 9–10 − detractors 0–6) / NPS answers in the period; "
        "95 % margin 1.96 × 100 × √((pP + pD − (pP − pD)²) / N)",
        nps,
        src.Records(src.responses, where=src.NPS, numerator=src.PROMOTER),
        default_target=50,
        sampled=True,
        interval="nps",
    )
)
register(
    KPI(
        "csat",
        "Client satisfaction (CSAT)",
        "surveys",
        "percent",
        HIGHER,
        "100 × CSAT answers of 4 or 5 / CSAT answers in the period",
        ratio("csat_good", "csat_n"),
        src.Records(src.responses, where=src.CSAT, numerator=src.CSAT_SATISFIED),
        default_target=80,
        sampled=True,
        interval="wilson",
    )
)
register(
    KPI(
        "ces",
        "Client effort score",
        "surveys",
        "ces",
        LOWER,
        "mean of Client Effort answers (1 very easy … 7 very hard) in the period",
        mean("ces_sum", "ces_n"),
        src.Records(src.responses, where=src.CES),
        default_target=3.0,
        sampled=True,
    )
)
register(
    KPI(
        "survey_response_rate",
        "Survey response rate",
        "surveys",
        "percent",
        HIGHER,
        "100 × answered invitations / invitations delivered (handed to the mail server, not "
        "bounced) in the period; a score clicked in the e-mail but never confirmed is not an "
        "answer",
        ratio("answered", "delivered"),
        src.Records(src.invitations_delivered, numerator=src.ANSWERED),
        formula_version=2,
        default_target=30,
        interval="wilson",
    )
)
register(
    KPI(
        "closed_loop_rate",
        "Closed-loop rate",
        "surveys",
        "percent",
        HIGHER,
        "100 × NPS detractor and CSAT 1–2 answers whose follow-up was done within 2 business "
        "days / all such answers in the period",
        ratio("loop_closed", "loop_n"),
        src.Records(src.responses, where=src.NEEDS_CLOSING),
        default_target=90,
        interval="wilson",
    )
)
register(
    KPI(
        "testimonials",
        "Testimonials",
        "surveys",
        "count",
        HIGHER,
        "answers in the period whose comment the client allowed to be quoted",
        count("testimonials"),
        src.Records(src.responses, where=src.TESTIMONIAL),
    )
)

# --- The relationship book --------------------------------------------------------------------

register(
    KPI(
        "retention_rate",
        "Retention rate",
        "book",
        "percent",
        HIGHER,
        "100 × clients active in the book at period start still active at period end / "
        "clients active in the book at period start",
        ratio("retained", "cohort"),
        src.Records(src.book, "owner_start", src.ACTIVE_AT_START, src.ACTIVE_AT_END),
        default_target=90,
    )
)
register(
    KPI(
        "churn_rate",
        "Churn rate",
        "book",
        "percent",
        LOWER,
        "100 × clients active in the book at period start not active at period end / "
        "clients active in the book at period start",
        churn,
        src.Records(src.book, "owner_start", src.ACTIVE_AT_START, ~src.ACTIVE_AT_END),
        default_target=10,
    )
)
register(
    KPI(
        "relationship_tenure_months",
        "Relationship tenure (months)",
        "book",
        "months",
        HIGHER,
        "mean months from relationship start to period end over clients active at period end",
        tenure_months,
        src.Records(src.book, "owner_end", src.ACTIVE_AT_END),
    )
)
register(
    KPI(
        "relationship_depth",
        "Relationship depth (products)",
        "book",
        "ratio",
        HIGHER,
        "mean distinct products billed in the trailing 12 months per client active at period end",
        mean("products", "active_end"),
        src.Records(src.book, "owner_end", src.ACTIVE_AT_END),
    )
)
register(
    KPI(
        "dormant_share",
        "Dormant relationships",
        "book",
        "percent",
        LOWER,
        "100 × active clients with no interaction in the 90 days before period end / active "
        "clients at period end; an internal note is not an interaction with the client",
        ratio("dormant", "active_end"),
        src.Records(src.book, "owner_end", src.ACTIVE_AT_END, Q(dormant=True)),
        default_target=10,
    )
)
register(
    KPI(
        "interactions_per_client",
        "Interactions per client (per 30 days)",
        "book",
        "ratio",
        HIGHER,
        "interactions logged in the period / clients active at period end, scaled to a 30-day "
        "month (× 30 / days in the period so far); internal notes are left out",
        interactions_per_client,
        src.Records(src.interactions, where=src.NOT_NOTE),
        default_target=2,
    )
)
register(
    KPI(
        "engagement_rate",
        "Engagement rate",
        "book",
        "percent",
        HIGHER,
        "100 × active clients with a two-way touch in the period / clients active at period "
        "end; a two-way touch is a meeting, anything inbound (call, e-mail, message, a reply), "
        "a survey answer or an event attended",
        ratio("engaged", "active_end"),
        src.Records(src.book, "owner_end", src.ACTIVE_AT_END, Q(engaged=True)),
        default_target=60,
    )
)
register(
    KPI(
        "follow_ups_completed",
        "Follow-ups completed",
        "book",
        "count",
        HIGHER,
        "follow-ups marked done in the period",
        count("follow_ups_done"),
        src.Records(src.follow_ups_done),
    )
)
register(
    KPI(
        "follow_up_on_time_rate",
        "Follow-ups on time",
        "book",
        "percent",
        HIGHER,
        "100 × follow-ups due in the period done by their due date / follow-ups due in the "
        "period, each counted for the BRM who held it on its due date; moved after it fell due: "
        "judged against the date it missed; cancelled: counted (as missed) only if cancelled "
        "after it fell due",
        ratio("follow_ups_on_time", "follow_ups_due"),
        src.Records(src.follow_ups_due, "held_by", numerator=src.DONE_BY_DUE_DATE),
        formula_version=2,
        default_target=90,
    )
)
register(
    KPI(
        "reply_conversion_rate",
        "Reply conversion rate",
        "book",
        "percent",
        HIGHER,
        "100 × outbound e-mails and messages in the period that got a reply / outbound e-mails "
        "and messages in the period; broken down by topic (messaging resonance)",
        ratio("replied", "outbound"),
        src.Records(src.interactions, where=src.OUTBOUND_MESSAGE, numerator=src.GOT_REPLY),
        default_target=25,
        breakdown="topic",
    )
)
register(
    KPI(
        "network_reach",
        "Network reach",
        "book",
        "count",
        HIGHER,
        "distinct contacts named on interactions in the period",
        count("reach"),
        src.Records(src.contacts_reached, owner="interaction__owner_id"),
    )
)
register(
    KPI(
        "network_growth",
        "Network growth",
        "book",
        "count",
        HIGHER,
        "contacts added in the period",
        count("contacts_added"),
        src.Records(src.contacts_added),
    )
)
register(
    KPI(
        "strategic_alignment",
        "Strategic alignment",
        "book",
        "percent",
        HIGHER,
        "100 × strategic clients with a shared goal reviewed in the 90 days before period end / "
        "strategic clients active at period end",
        ratio("aligned", "strategic"),
        src.Records(src.book, "owner_end", src.ACTIVE_AT_END & Q(strategic=True), Q(aligned=True)),
        default_target=80,
    )
)
register(
    KPI(
        "goal_attainment",
        "Goal attainment",
        "book",
        "percent",
        HIGHER,
        "100 × shared goals due in the period that were met / shared goals due in the period",
        ratio("goals_met", "goals_due"),
        src.Records(src.goals_due, numerator=src.GOAL_MET),
        default_target=80,
    )
)
register(
    KPI(
        "feedback_implementation_rate",
        "Feedback implemented",
        "book",
        "percent",
        HIGHER,
        "100 × feedback items closed as implemented / feedback items closed, trailing 12 months",
        ratio("feedback_implemented", "feedback_closed"),
        src.Records(src.feedback_closed_year, numerator=src.IMPLEMENTED),
        default_target=50,
    )
)

# --- Revenue and profitability ----------------------------------------------------------------

register(
    KPI(
        "revenue",
        "Revenue",
        "revenue",
        "money",
        HIGHER,
        "revenue recognised in the period",
        count("revenue"),
        src.Records(src.revenue_lines),
    )
)
register(
    KPI(
        "arpc",
        "Average revenue per client",
        "revenue",
        "money",
        HIGHER,
        "revenue in the period / clients held while active at some time in the period "
        "(a client handed over mid-period is in both books, once in a team)",
        ratio("revenue", "active_any", scale=1.0),
        src.Records(src.clients_held(src.held_in_period), src.held_by(src.held_in_period)),
        formula_version=2,
    )
)
register(
    KPI(
        "revenue_growth_existing",
        "Revenue growth from existing clients",
        "revenue",
        "percent",
        HIGHER,
        "X = clients active at the start of the previous period; "
        "100 × (revenue from X this period − previous period) / revenue from X previous period",
        growth,
        src.Records(src.revenue_lines_existing),
        default_target=5,
    )
)
register(
    KPI(
        "clv",
        "Client lifetime value",
        "revenue",
        "money",
        HIGHER,
        "(revenue − cost to serve) / clients held while active, over the trailing 12 months, "
        "× expected lifetime min(1 / annual churn, 10 years)",
        clv,
        src.Records(src.clients_held(src.held_in_year), src.held_by(src.held_in_year)),
        formula_version=2,
    )
)
register(
    KPI(
        "clv_historic",
        "Historic client lifetime value",
        "revenue",
        "money",
        HIGHER,
        "mean lifetime revenue of clients that churned in the trailing 12 months",
        mean("lifetime_revenue_churned", "churned_recently"),
        src.Records(src.book, "owner_end", Q(churned_recently=True)),
    )
)
register(
    KPI(
        "relationship_roi",
        "Relationship ROI",
        "revenue",
        "percent",
        HIGHER,
        "100 × (revenue − cost to serve) / cost to serve over the period",
        roi,
        src.Records(src.revenue_lines),
        default_target=100,
    )
)
register(
    KPI(
        "upsell_rate",
        "Upsell and cross-sell rate",
        "revenue",
        "percent",
        HIGHER,
        "100 × upsell and cross-sell deals won / upsell and cross-sell deals won or lost "
        "in the period",
        ratio("upsell_won", "upsell_closed"),
        src.Records(src.deal_closings, where=src.UPSELL, numerator=src.WON),
        default_target=30,
    )
)

# --- Pipeline ---------------------------------------------------------------------------------

register(
    KPI(
        "close_rate",
        "Close rate",
        "pipeline",
        "percent",
        HIGHER,
        "100 × deals won / deals won or lost in the period",
        ratio("won", "closed"),
        src.Records(src.deal_closings, numerator=src.WON),
        default_target=25,
    )
)
register(
    KPI(
        "avg_deal_value",
        "Average deal value",
        "pipeline",
        "money",
        HIGHER,
        "mean value of deals won in the period",
        mean("won_value", "won"),
        src.Records(src.deal_closings, where=src.WON),
    )
)
register(
    KPI(
        "sales_cycle_days",
        "Sales cycle (days)",
        "pipeline",
        "days",
        LOWER,
        "median days from creation to won, over deals won in the period",
        median("cycle_days"),
        src.Records(src.deal_closings, where=src.WON),
    )
)
register(
    KPI(
        "stage_conversion",
        "Stage conversion",
        "pipeline",
        "percent",
        HIGHER,
        "per stage: 100 × deals that left the stage forward (later stage or won) / deals that "
        "left the stage in the period",
        ratio("stage_forward", "stage_exits"),
        src.Records(src.stage_exits, numerator=src.FORWARD),
        breakdown="stage",
        overall=False,
    )
)
register(
    KPI(
        "stage_days",
        "Days in stage",
        "pipeline",
        "days",
        LOWER,
        "per stage: mean days spent in the stage over stage exits in the period",
        mean("stage_days_total", "stage_exits_timed"),
        src.Records(src.stage_exits),
        breakdown="stage",
        overall=False,
    )
)

# --- Support ----------------------------------------------------------------------------------

register(
    KPI(
        "first_response_hours",
        "First response (hours)",
        "support",
        "hours",
        LOWER,
        "median hours from opened to first response, over issues first answered in the period",
        median("first_response_hours"),
        src.Records(src.issues_first_answered),
        default_target=4,
    )
)
register(
    KPI(
        "resolution_hours",
        "Resolution time (hours)",
        "support",
        "hours",
        LOWER,
        "median hours from opened to resolved, over issues resolved in the period",
        median("resolution_hours"),
        src.Records(src.issues_resolved),
        default_target=48,
    )
)
register(
    KPI(
        "sla_compliance",
        "SLA compliance",
        "support",
        "percent",
        HIGHER,
        "100 × issues resolved within their priority's SLA / issues resolved in the period",
        ratio("within_sla", "resolved"),
        src.Records(src.issues_resolved, numerator=src.WITHIN_SLA),
        default_target=95,
    )
)

# --- Delivery and partners --------------------------------------------------------------------

register(
    KPI(
        "project_completion_rate",
        "Projects completed on time",
        "delivery",
        "percent",
        HIGHER,
        "100 × projects due in the period completed by their due date / projects due in the period",
        ratio("projects_on_time", "projects_due"),
        src.Records(src.projects_due, numerator=src.COMPLETED_BY_DUE_DATE),
        default_target=90,
    )
)
register(
    KPI(
        "partners_active",
        "Active partners",
        "partners",
        "count",
        HIGHER,
        "partner relationships active at period end",
        count("partners_active"),
        src.Records(src.book, "owner_end", src.ACTIVE_AT_END & Q(partner=True)),
    )
)
register(
    KPI(
        "partner_revenue",
        "Partner revenue",
        "partners",
        "money",
        HIGHER,
        "revenue in the period from clients a partner sourced or deals a partner sourced or "
        "influenced",
        count("partner_revenue"),
        src.Records(src.revenue_lines, where=src.PARTNER_REVENUE),
    )
)
register(
    KPI(
        "partner_referrals",
        "Partner referrals",
        "partners",
        "count",
        HIGHER,
        "referrals received from partners in the period",
        count("referrals"),
        src.Records(src.partner_referrals),
    )
)
register(
    KPI(
        "partners_certified",
        "Certified partners",
        "partners",
        "count",
        HIGHER,
        "active partners whose training or certification is current on the period's last day",
        count("partners_certified"),
        src.Records(src.book, "owner_end", src.ACTIVE_AT_END & Q(partner=True), Q(certified=True)),
    )
)
