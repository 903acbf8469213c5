"""The demo's vocabulary and rates: names, industries, topics, products, comments and how often
each kind of record happens. Only data: changing a word here changes no other record."""

from __future__ import annotations

from decimal import Decimal

from crm.models import (
    Deal,
    Interaction,
    Priority,
    RelationshipType,
)
from surveys.models import SurveyKind


def _words(text: str) -> list[str]:
    return text.split()


FIRST_NAMES = _words(
    "Aisha Alex Amara Ben Bianca Caleb Chloe Dario Dev Elena Emil Farah Felix Grace Hana Hugo "
    "Ines Isaac Jade Jonas Kai Keira Leo Lina Luca Maya Mei Milo Nadia Nikhil Noor Olga Omar "
    "Paula Priya Quinn Rafael Rosa Ruth Sam Sana Sofia Tariq Tess Theo Uma Victor Wen Yara "
    "Yusuf Zara Zoe Anil Beatriz Colm Dina Erik Freya Gus"
)
LAST_NAMES = _words(
    "Abbott Achebe Baker Banerjee Becker Brennan Castillo Chen Costa Dalton Diaz Doyle Eriksen "
    "Evans Fischer Flores Gallagher Garcia Gupta Hall Haddad Hughes Ibrahim Ivanova Jensen "
    "Kaur Keller Khan Kowalski Larsen Lee Lopez Mahmoud Moreau Murphy Nakamura Novak Okafor "
    "Olsen Patel Petrov Quinn Reyes Rossi Santos Schmidt Silva Singh Sokolov Tanaka Thompson "
    "Varga Walsh Weber Wright Yamamoto Young Zhang Zielinski"
)
COMPANY_PREFIXES = _words(
    "Acorn Aldgate Amber Apex Arden Ashford Atlas Aurora Beacon Birch Bluewater Bramble "
    "Brightwell Cairn Calder Cedar Cobalt Copper Crescent Crown Delta Eastgate Ember Fairfield "
    "Falcon Fernhill Granite Greystone Harbour Hawthorn Helix Highland Horizon Ironbridge "
    "Juniper Kestrel Lakeside Linden Lumen Maple Meridian Millbrook Northwind Oakridge Orchid "
    "Pinnacle Quarry Redwood Riverside Saffron Sterling Summit Thistle Trident Vantage Willow "
    "Wren Zenith"
)
COMPANY_CORES = _words(
    "Analytics Bakeries Biotech Builders Capital Chemicals Clinics Communications Consulting "
    "Dairy Dental Designs Distribution Education Electrical Energy Engineering Foods Freight "
    "Furniture Health Hotels Insurance Interiors Labs Leisure Legal Logistics Machinery Marine "
    "Media Metals Mining Motors Networks Optics Packaging Pharma Plastics Printing Properties "
    "Retail Robotics Security Software Solar Textiles Transport Travel Utilities Water"
)
COMPANY_SUFFIXES = ["Ltd", "Group", "plc", "& Co", "Holdings", "Partners", "LLP", "Trust"]
INDUSTRIES = [
    "Manufacturing",
    "Healthcare",
    "Logistics",
    "Financial services",
    "Retail",
    "Public sector",
    "Energy",
    "Technology",
    "Education",
    "Hospitality",
]
CONTACT_ROLES = [
    "Chief Operating Officer",
    "Head of Procurement",
    "IT Director",
    "Finance Director",
    "Operations Manager",
    "Head of Customer Experience",
    "Programme Manager",
    "CEO",
    "Office Manager",
    "Data Lead",
]
TEAM_REGIONS = ["North", "South", "East", "West", "Central", "Coastal", "Capital", "Midlands"]
TEAM_SEGMENTS = ["Enterprise", "Mid-market", "Public Sector", "Growth", "Strategic", "Alliances"]
FIXED_TEAM_NAMES = ["Enterprise North", "Mid-market South", "Public Sector East"]

# (topic, chance that an outbound message on it gets a reply): "messaging resonance".
TOPICS = [
    ("Quarterly business review", 0.55),
    ("Renewal", 0.5),
    ("Pricing", 0.35),
    ("Onboarding", 0.45),
    ("Product roadmap", 0.3),
    ("Support escalation", 0.6),
    ("Invoice query", 0.4),
    ("Training", 0.25),
    ("Newsletter", 0.05),
    ("Event invitation", 0.2),
    ("Case study", 0.15),
    ("Integration", 0.35),
]
PRODUCTS = [
    ("Core Platform", 4200),
    ("Analytics Suite", 1800),
    ("Integration Hub", 1500),
    ("Premium Support", 900),
    ("Training Academy", 600),
    ("Managed Services", 3200),
    ("Data Residency Add-on", 700),
]
PRODUCT_NAMES = [name for name, _price in PRODUCTS]
SERVICES_PRODUCT = "Professional services"
PROJECT_NAMES = [
    "Platform rollout",
    "Data migration",
    "ERP integration",
    "Analytics dashboard build",
    "Security review",
    "Process redesign",
    "User training programme",
    "Regional expansion",
]
GOAL_TITLES = [
    "Cut order processing time by 20 %",
    "Roll the platform out to every region",
    "Reach 95 % adoption among field staff",
    "Reduce support tickets per user by a third",
    "Launch the joint customer portal",
    "Automate month-end reporting",
    "Consolidate three legacy systems",
]
FEEDBACK_SUMMARIES = [
    "Export reports to Excel with formatting kept",
    "Single sign-on with our identity provider",
    "Bulk edit of user permissions",
    "A mobile view for approvals",
    "Clearer invoices broken down by site",
    "Webhook when an order changes status",
    "Dark mode for the control room screens",
    "Audit log export for compliance",
]
ISSUE_TITLES = [
    "Users cannot log in",
    "Invoices do not reconcile",
    "Report export times out",
    "Sync with ERP stopped",
    "Permissions reset after update",
    "Slow dashboard in the afternoon",
    "Wrong VAT on credit notes",
    "Password reset e-mail not arriving",
]
CERTIFICATIONS = ["Implementation Partner", "Solutions Specialist", "Security Accreditation"]
CHURN_REASONS = [
    "Moved to a competitor on price",
    "Budget cut after reorganisation",
    "Acquired; parent company has its own supplier",
    "Project ended and was not renewed",
]
PROMOTER_COMMENTS = [
    "Bea and the team always go the extra mile.",
    "The rollout was smooth and on time.",
    "Responsive, knowledgeable and easy to work with.",
    "The quarterly reviews really help us plan.",
]
PASSIVE_COMMENTS = [
    "Good overall, reporting could be better.",
    "Fine, though the last invoice took a while to sort out.",
]
DETRACTOR_COMMENTS = [
    "Support took days to answer an urgent issue.",
    "We keep being passed between people.",
    "Pricing went up without warning.",
]

# Relationship types: share of clients, interaction rate factor, and interaction kind weights
# (meeting, call, email, message, event, note).
TYPE_SHARES = [
    (RelationshipType.PERSONAL, 0.30),
    (RelationshipType.FUNCTIONAL, 0.40),
    (RelationshipType.STRATEGIC, 0.15),
    (RelationshipType.PARTNER, 0.15),
]
TYPE_ACTIVITY = {
    RelationshipType.PERSONAL: 0.7,
    RelationshipType.FUNCTIONAL: 1.0,
    RelationshipType.STRATEGIC: 1.6,
    RelationshipType.PARTNER: 0.9,
}
K = Interaction.Kind
KINDS = [K.MEETING, K.CALL, K.EMAIL, K.MESSAGE, K.EVENT, K.NOTE]
KIND_WEIGHTS = {
    RelationshipType.PERSONAL: [15, 30, 25, 20, 3, 7],
    RelationshipType.FUNCTIONAL: [12, 25, 38, 12, 5, 8],
    RelationshipType.STRATEGIC: [25, 20, 30, 10, 8, 7],
    RelationshipType.PARTNER: [20, 20, 35, 10, 10, 5],
}
# Per client and month: support issues, deals, projects, feedback items.
MONTHLY_RATES = {
    RelationshipType.PERSONAL: (0.08, 0.04, 0.03, 0.03),
    RelationshipType.FUNCTIONAL: (0.25, 0.07, 0.08, 0.06),
    RelationshipType.STRATEGIC: (0.3, 0.15, 0.12, 0.08),
    RelationshipType.PARTNER: (0.12, 0.05, 0.04, 0.05),
}
SUPPORT, DEALS, PROJECTS, FEEDBACK = range(4)


def monthly_rate(family: int):
    """How often ``family`` (SUPPORT, DEALS, PROJECTS or FEEDBACK) happens to a client a month,
    by its kind of relationship: the ``per_month`` of ``Builder.client_moments``."""
    return lambda plan: MONTHLY_RATES[plan.kind][family]


VALUE_FACTOR = {
    RelationshipType.PERSONAL: 0.4,
    RelationshipType.FUNCTIONAL: 1.0,
    RelationshipType.STRATEGIC: 2.2,
    RelationshipType.PARTNER: 0.8,
}
PRIORITY_WEIGHTS = [
    (Priority.URGENT, 8),
    (Priority.HIGH, 22),
    (Priority.NORMAL, 50),
    (Priority.LOW, 20),
]
FIRST_RESPONSE_HOURS = {
    Priority.URGENT: (0.1, 2),
    Priority.HIGH: (0.3, 6),
    Priority.NORMAL: (1, 20),
    Priority.LOW: (2, 40),
}
DEAL_WIN_CHANCE = {
    Deal.Kind.NEW: 0.7,
    Deal.Kind.UPSELL: 0.45,
    Deal.Kind.CROSS_SELL: 0.35,
    Deal.Kind.RENEWAL: 0.85,
}
DEAL_BASE_VALUE = {
    Deal.Kind.NEW: (20_000, 150_000),
    Deal.Kind.UPSELL: (5_000, 60_000),
    Deal.Kind.CROSS_SELL: (8_000, 80_000),
    Deal.Kind.RENEWAL: (30_000, 200_000),
}
ANSWER_CHANCE = {SurveyKind.NPS: 0.38, SurveyKind.CSAT: 0.5, SurveyKind.CES: 0.45}
CENT = Decimal("0.01")

# KPI families whose denominator the demo BRM must have in every complete month.
COVERED = (
    "contact_added",
    "follow_up_done",
    "follow_up_due",
    "issue_answered",
    "issue_resolved",
    "deal_won",
    "deal_lost",
    "upsell_closed",
    "project_due",
    "goal_due",
    "feedback_closed",
    "referral",
    "invited",
    SurveyKind.NPS,
    SurveyKind.CSAT,
    SurveyKind.CES,
    "detractor",
    "testimonial",
)
