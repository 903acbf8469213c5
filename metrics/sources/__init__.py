"""The records behind every KPI, as querysets for a measurement window.

The engine aggregates these querysets for all subjects at once; the drill-downs filter the very
same querysets to one subject, so a number and the list of records behind it cannot disagree.
Conditions shared by both are ``Q`` objects. One module per family of records:

- ``survey_answers``: answers and delivered invitations;
- ``activity``: interactions, contacts and follow-ups;
- ``clients``: the book of clients, each client's owner and state at the instants KPIs look at;
- ``holdings``: who held which client while it was active;
- ``revenue``: revenue lines and deal stage changes;
- ``service``: support issues, projects, goals, feedback and partner referrals;
- ``records``: a KPI's records for its drill-down.

Callers read them through this package (``from metrics import sources as src``).
"""

from metrics.sources.activity import (
    DONE_BY_DUE_DATE,
    GOT_REPLY,
    GOT_REPLY_IN_BULK,
    NEVER,
    NO_TOPIC,
    NOT_NOTE,
    OUTBOUND_MESSAGE,
    TWO_WAY,
    contact_reaches,
    contacts_added,
    contacts_reached,
    follow_ups_done,
    follow_ups_due,
    interactions,
    interactions_by_reply_topic,
    outbound_messages,
)
from metrics.sources.clients import ACTIVE, ACTIVE_AT_END, ACTIVE_AT_START, CHURNED, book
from metrics.sources.holdings import clients_held, held_by, held_in_period, held_in_year
from metrics.sources.records import Records
from metrics.sources.revenue import (
    DAYS_IN_STAGE,
    DAYS_TO_WIN,
    FORWARD,
    LOST,
    PARTNER_REVENUE,
    UPSELL,
    WON,
    deal_closings,
    recognised_existing,
    recognised_existing_before,
    recognised_in_period,
    recognised_in_year,
    revenue_lines,
    revenue_lines_existing,
    revenue_lines_measured,
    revenue_lines_year,
    stage_exits,
)
from metrics.sources.service import (
    COMPLETED_BY_DUE_DATE,
    GOAL_MET,
    HOURS_TO_FIRST_RESPONSE,
    HOURS_TO_RESOLUTION,
    IMPLEMENTED,
    WITHIN_SLA,
    feedback_closed_year,
    goals_due,
    issues_first_answered,
    issues_resolved,
    partner_referrals,
    projects_due,
)
from metrics.sources.survey_answers import (
    ANSWERED,
    CES,
    CSAT,
    CSAT_SATISFIED,
    DETRACTOR,
    NEEDS_CLOSING,
    NPS,
    PASSIVE,
    PROMOTER,
    TESTIMONIAL,
    invitations_delivered,
    responses,
)

__all__ = [
    "ACTIVE",
    "ACTIVE_AT_END",
    "ACTIVE_AT_START",
    "ANSWERED",
    "CES",
    "CHURNED",
    "COMPLETED_BY_DUE_DATE",
    "CSAT",
    "CSAT_SATISFIED",
    "DAYS_IN_STAGE",
    "DAYS_TO_WIN",
    "DETRACTOR",
    "DONE_BY_DUE_DATE",
    "FORWARD",
    "GOAL_MET",
    "GOT_REPLY",
    "GOT_REPLY_IN_BULK",
    "HOURS_TO_FIRST_RESPONSE",
    "HOURS_TO_RESOLUTION",
    "IMPLEMENTED",
    "LOST",
    "NEEDS_CLOSING",
    "NEVER",
    "NOT_NOTE",
    "NO_TOPIC",
    "NPS",
    "OUTBOUND_MESSAGE",
    "PARTNER_REVENUE",
    "PASSIVE",
    "PROMOTER",
    "TESTIMONIAL",
    "TWO_WAY",
    "UPSELL",
    "WITHIN_SLA",
    "WON",
    "Records",
    "book",
    "clients_held",
    "contact_reaches",
    "contacts_added",
    "contacts_reached",
    "deal_closings",
    "feedback_closed_year",
    "follow_ups_done",
    "follow_ups_due",
    "goals_due",
    "held_by",
    "held_in_period",
    "held_in_year",
    "interactions",
    "interactions_by_reply_topic",
    "invitations_delivered",
    "issues_first_answered",
    "issues_resolved",
    "outbound_messages",
    "partner_referrals",
    "projects_due",
    "recognised_existing",
    "recognised_existing_before",
    "recognised_in_period",
    "recognised_in_year",
    "responses",
    "revenue_lines",
    "revenue_lines_existing",
    "revenue_lines_measured",
    "revenue_lines_year",
    "stage_exits",
]
