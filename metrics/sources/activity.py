"""Interactions, contacts and follow-ups: the records behind the activity KPIs."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db.models import (
    BigIntegerField,
    Case,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from crm import models as crm
from metrics.periods import Window

Kind = crm.Interaction.Kind
Direction = crm.Interaction.Direction

NOT_NOTE = ~Q(kind=Kind.NOTE)
# A touch where the client took part: a meeting, an event, anything inbound (calls, e-mails,
# replies). Survey answers count too (see ``book``).
TWO_WAY = Q(kind__in=[Kind.MEETING, Kind.EVENT]) | Q(direction=Direction.INBOUND)
# The condition of the interactions' partial index of outbound messages, so that a query of them
# can read that index.
OUTBOUND_MESSAGE = crm.OUTBOUND_MESSAGE
# A reply at any time. A correlated EXISTS probes the replies' index for the window's messages
# only; ``pk IN (every reply ever)`` inside an aggregate's FILTER is a subplan whose hash must
# fit ``work_mem``, or PostgreSQL re-scans the whole set for every message (a plan cliff).
GOT_REPLY = Q(Exists(crm.Interaction.objects.filter(in_reply_to=OuterRef("pk"))))
# The same answers, for the messages of many months at once (a backfill, which runs with
# ``KPI_WORK_MEM``): there PostgreSQL hashes the replied-to ids once instead of probing per
# message, and "not null" lets it hash the replies alone (a tenth of the index, no nulls). For
# one month the probes are cheaper, but PostgreSQL would hash these too.
GOT_REPLY_IN_BULK = Q(
    Exists(crm.Interaction.objects.filter(in_reply_to=OuterRef("pk"), in_reply_to__isnull=False))
)
# Judged by the due date it is judged against (``follow_ups_due``), by local date.
DONE_BY_DUE_DATE = Q(done_at__date__lte=F("judged_on"))
NO_TOPIC = "(no topic)"


def interactions(window: Window) -> QuerySet[crm.Interaction]:
    return crm.Interaction.objects.filter(
        occurred_at__gte=window.start_at, occurred_at__lt=window.until
    )


def interactions_by_reply_topic(window: Window) -> QuerySet[crm.Interaction]:
    """``interactions`` with ``reply_topic``: the topic of an outbound message, null for every
    other interaction (the reply rate's breakdown by topic is the outbound messages')."""
    return interactions(window).annotate(
        reply_topic=Case(When(OUTBOUND_MESSAGE, then=F("topic")), default=None)
    )


def outbound_messages(window: Window) -> QuerySet[crm.Interaction]:
    """The e-mails and messages sent to clients in the window: what the reply rate counts."""
    return interactions(window).filter(OUTBOUND_MESSAGE)


def contacts_reached(window: Window) -> QuerySet:
    """(credited owner, contact) for every contact named on an interaction in the window."""
    return crm.Interaction.contacts.through.objects.filter(
        interaction__occurred_at__gte=window.start_at, interaction__occurred_at__lt=window.until
    )


def contact_reaches(window: Window) -> QuerySet[crm.ContactReach]:
    """``contacts_reached``' links read with the owner and instant they carry
    (``crm.ContactReach``), without a join to the interactions: what the KPI engine counts."""
    return crm.ContactReach.objects.filter(
        occurred_at__gte=window.start_at, occurred_at__lt=window.until
    )


def contacts_added(window: Window) -> QuerySet[crm.Contact]:
    """Contacts created in the window, credited to their client's owner at that moment."""
    spans = crm.ClientOwnership.objects.filter(client=OuterRef("client"))
    latest = spans.filter(started_at__lte=OuterRef("created_at")).order_by("-started_at")
    first = spans.order_by("started_at")
    return crm.Contact.objects.filter(
        created_at__gte=window.start_at, created_at__lt=window.until
    ).annotate(
        owner_id=Coalesce(Subquery(latest.values("owner")[:1]), Subquery(first.values("owner")[:1]))
    )


def follow_ups_done(window: Window) -> QuerySet[crm.FollowUp]:
    return crm.FollowUp.objects.filter(done_at__gte=window.start_at, done_at__lt=window.until)


# "Not yet": the closing instant of a follow-up still open.
NEVER = datetime(9999, 12, 31, tzinfo=UTC)


def follow_ups_due(window: Window) -> QuerySet[crm.FollowUp]:
    """Follow-ups due in the window, each judged against ``judged_on`` and credited to
    ``held_by``, the BRM who held it on that date.

    Rescheduling is history: one moved after its due date had passed is judged against the
    date it missed (``missed_due_on``), one moved before against its new date. A cancelled one
    counts only if it was cancelled after it fell due (a local date after the judged date),
    and then as missed (it was not done). Reassigning a client moves its open follow-ups to
    the new owner; a follow-up that was still open when its client changed hands after its due
    date is credited to the client's owner at the end of that date, so a missed one stays
    with whoever missed it.
    """
    tz = timezone.get_default_timezone()
    ownerships = crm.ClientOwnership.objects.filter(client=OuterRef("client"))
    held_then = (
        ownerships.annotate(day=TruncDate("started_at", tzinfo=tz))
        .filter(day__lte=OuterRef("judged_on"))
        .order_by("-started_at", "-id")
        .values("owner")[:1]
    )
    first = ownerships.order_by("started_at", "id").values("owner")[:1]
    # A hand-over on a later day than the judged date, before the follow-up was done or
    # cancelled (``closed_at``; never, while it is open). One done by the end of the judged
    # date was closed before any such hand-over: only the others probe the ownerships (about
    # a fifth of them at bench scale), first in the ``When`` so the probe is skipped.
    open_after_judged = Q(done_at__isnull=True) | Q(done_day__gt=F("judged_on"))
    moved_while_open = Exists(
        ownerships.annotate(day=TruncDate("started_at", tzinfo=tz)).filter(
            day__gt=OuterRef("judged_on"), started_at__lt=OuterRef("closed_at")
        )
    )
    return (
        crm.FollowUp.objects.annotate(
            judged_on=Coalesce("missed_due_on", "due_on"),
            closed_at=Coalesce("done_at", "cancelled_at", Value(NEVER)),
        )
        .filter(judged_on__gte=window.start, judged_on__lte=window.last_day)
        .exclude(
            cancelled_at__isnull=False,
            cancelled_at__date__lte=F("judged_on"),
        )
        .alias(done_day=TruncDate("done_at", tzinfo=tz))
        .annotate(
            held_by=Case(
                When(
                    open_after_judged & Q(moved_while_open),
                    then=Coalesce(Subquery(held_then), Subquery(first)),
                ),
                default=F("owner_id"),
                output_field=BigIntegerField(),
            )
        )
    )
