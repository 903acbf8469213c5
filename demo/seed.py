"""Demo data: the three demo logins and a believable organisation around them.

``demo_seed()`` builds, from a seed, teams of BRMs with dated memberships (one BRM moves team,
one leaves, one joins half-way), clients of every relationship type started over the years, and
``months`` months of history behind every KPI in shared/kpis.md: contacts, interactions with
replies, follow-ups, reassignments, churn and return, support issues, deals moving through the
pipeline, revenue, projects, shared goals, feedback, partner referrals and certifications, and
survey invitations with their answers.

Determinism: every random choice comes from ``random.Random`` seeded with the scale's seed, the
pass and the client's index, and every date is computed from ``today``, fixed once. The same seed
and day give the same organisation, and changing how one record type is drawn leaves the others
as they were.

History is consistent by construction: ownership spans are planned first and every event's
``owner`` is read from them with ``crm.attribution.OwnershipTimeline``, the rule the services
apply one row at a time. The demo BRM's book is topped up so that every KPI has a non-empty
denominator in each complete month of the window.

Rows are written in bulk with ids assigned here (so that replies, follow-ups and answers can
point at rows not yet written): PostgreSQL COPY, or ``bulk_create`` on other databases.

Idempotent: when the demo logins exist, nothing is added and the summary says what exists.
"""

from __future__ import annotations

import time as clock
from collections.abc import Callable
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from crm.models import (
    Interaction,
)
from demo.builder import Builder
from demo.loader import Loader
from demo.scale import DEMO_LOGINS, SUMMARY_MODELS, DemoScale, DemoSummary
from surveys.models import Invitation, SurveyKind


def demo_counts() -> dict[str, int]:
    return {str(model._meta.verbose_name_plural): model.objects.count() for model in SUMMARY_MODELS}


def demo_exists() -> bool:
    return User.objects.filter(email__in=[login.email for login in DEMO_LOGINS]).exists()


def demo_seed(
    *,
    scale: DemoScale | None = None,
    today: date | None = None,
    method: str = "auto",
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Create the demo organisation unless it exists; the summary counts what exists afterwards.

    ``method`` is ``copy`` (PostgreSQL only), ``bulk`` (``bulk_create``) or ``auto`` (COPY on
    PostgreSQL). ``progress`` receives one line per table loaded, with its timing.
    """
    if method == "auto":
        method = "copy" if connection.vendor == "postgresql" else "bulk"
    if method not in ("copy", "bulk"):
        raise ValueError(f"Unknown load method {method!r}: use copy, bulk or auto.")
    if method == "copy" and connection.vendor != "postgresql":
        raise ValueError("COPY needs PostgreSQL; use the bulk method on this database.")
    if demo_exists():
        return DemoSummary(created=False, counts=demo_counts())
    started = clock.perf_counter()
    loader = Loader(method=method, progress=progress or (lambda line: None))
    with transaction.atomic():
        if method == "copy":
            loader.suspend_foreign_keys([*SUMMARY_MODELS, Interaction.contacts.through])
        Builder(
            scale=scale or DemoScale(), today=today or timezone.localdate(), loader=loader
        ).build()
        loader.restore_foreign_keys()
        loader.reset_sequences()
        committing = clock.perf_counter()
    loader.progress(f"{'commit':<32} {'':>15} {clock.perf_counter() - committing:8.2f} s")
    loader.analyze()
    return DemoSummary(
        created=True,
        counts=demo_counts(),
        loads=list(loader.loads.values()),
        seconds=clock.perf_counter() - started,
        method=method,
    )


def demo_invite_to_surveys(*, count: int = 3) -> list:
    """Send a few real survey invitations to the demo BRM's contacts through the outbox, so the
    dev mailbox has e-mails a newcomer can open and answer. Contacts the survey rules block
    (throttled, opted out, churned) are skipped, so running it again may send none."""
    from surveys.selectors import contacts_eligible_for_survey
    from surveys.services import invitation_send

    contacts = contacts_eligible_for_survey().filter(
        client__owner__email=DEMO_LOGINS[0].email, email__gt=""
    )[:count]
    return [
        invitation_send(contact=contact, kind=SurveyKind.NPS, trigger=Invitation.Trigger.MANUAL)
        for contact in contacts
    ]
