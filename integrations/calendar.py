"""Private iCalendar feeds (RFC 5545, with the ``icalendar`` library): a user's open follow-ups
and the expected close dates of the open deals in their own book, for Outlook or Google Calendar
to subscribe to. The address carries a random token (only its digest is stored); making a new
one or revoking it stops the old address at once."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from accounts.models import User
from crm.access import clients_owned_by, follow_ups_owned_by
from crm.formatting import format_money
from crm.models import Deal
from integrations.models import CalendarFeed
from integrations.secrets import digest, new_secret


@transaction.atomic
def calendar_feed_create(*, user: User) -> tuple[CalendarFeed, str]:
    """A new feed address for ``user``; any previous one stops working. Returns the feed and
    the raw token (shown once)."""
    CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    raw = new_secret()
    return CalendarFeed.objects.create(user=user, token_hash=digest(raw)), raw


@transaction.atomic
def calendar_feed_revoke(*, user: User) -> int:
    """Stop ``user``'s feed address; returns how many were live (0 or 1)."""
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def calendar_feed_for_token(raw: str) -> CalendarFeed | None:
    """The live feed ``raw`` opens, for an active user, or None."""
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token_hash=digest(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if feed is not None and (
        feed.last_read_at is None or timezone.now() - feed.last_read_at > timedelta(minutes=5)
    ):
        CalendarFeed.objects.filter(pk=feed.pk).update(last_read_at=timezone.now())
    return feed


def feed_url(raw: str) -> str:
    return settings.SITE_URL + reverse("integrations:calendar_feed", args=[raw])


def render_feed(user: User) -> bytes:
    """The calendar: one all-day event per open follow-up (on its due date) and per open deal
    with an expected close date. Event UIDs are stable, so calendars update events in place."""
    host = urlsplit(settings.SITE_URL).hostname or "crm"
    calendar = Calendar()
    calendar.add("prodid", "-//Truthful CRM//Follow-ups and deals//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"CRM: {user.get_full_name() or user.email}")
    calendar.add("x-published-ttl", "PT1H")
    stamp = timezone.now()
    follow_ups = follow_ups_owned_by(user).open().select_related("client").order_by("due_on")
    deals = (
        Deal.objects.filter(
            client__in=clients_owned_by(user),
            closed_at__isnull=True,
            expected_close_on__isnull=False,
        )
        .select_related("client")
        .order_by("expected_close_on")
    )
    events = [
        (f"follow-up-{f.pk}", f"Follow up: {f.title} ({f.client})", f.due_on, f.client_id)
        for f in follow_ups
    ] + [
        (
            f"deal-close-{d.pk}",
            f"Expected close: {d.title} ({d.client}, {format_money(d.value)})",
            d.expected_close_on,
            d.client_id,
        )
        for d in deals
    ]
    for key, summary, day, client_id in events:
        calendar.add_component(
            _event(
                uid=f"{key}@{host}",
                summary=summary,
                day=day,
                url=settings.SITE_URL + reverse("client_detail", args=[client_id]),
                stamp=stamp,
            )
        )
    return calendar.to_ical()


def _event(*, uid: str, summary: str, day, url: str, stamp) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("summary", summary)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("url", url)
    event.add("transp", "TRANSPARENT")
    return event
