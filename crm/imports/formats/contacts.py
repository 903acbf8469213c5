"""The people at a client and the interactions with them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from crm.imports.columns import Column, Kind
from crm.imports.context import ImportContext, Row, contact_id
from crm.imports.formats.base import (
    BATCH_SIZE,
    CLIENT,
    CREATED_AT,
    EventFormat,
    choice_column,
    fold,
    not_in_future,
)
from crm.models import Client, Contact, EmailSuppression, Interaction
from crm.services import default_direction, email_suppress


class ContactsFormat(EventFormat):
    key = "contacts"
    label = "contacts"
    model = Contact
    sort_by = ("client.name", "name")
    help = (
        "People at a client. Other files name contacts by name within their client, so a "
        "client cannot have two contacts of the same name."
    )
    columns = (
        CLIENT,
        Column("name", required=True, example="Dana Reyes"),
        Column("email", example="dana@acme.example"),
        Column("phone", example="+44 20 7946 0000"),
        Column("role", example="Head of Operations"),
        CREATED_AT,
        Column("opted_out_of_surveys", Kind.BOOLEAN, help="default false"),
        Column("opted_out_at", Kind.DATETIME),
    )
    stored = ("name", "email", "phone", "role", "opted_out_at")

    def __init__(self):
        # The first line of each (client, name) in the file, for every batch: contacts of
        # earlier batches are in the database too, but this names the line they came from.
        self._seen: dict[tuple[int, str], int] = {}

    def prepare(self, rows: list[Row], ctx: ImportContext) -> None:
        self._existing = ctx.contacts_by_name(row.client for row in rows)
        ctx.warn_if_suppressed(rows, "email")

    def save(self, rows: list[Row], ctx: ImportContext) -> dict[str, int]:
        counts = super().save(rows, ctx)
        # An opt-out imported from another system is the person's wish about their address.
        for row in rows:
            if row.instance.opted_out_of_surveys:
                email_suppress(
                    address=row.instance.email,
                    reason=EmailSuppression.Reason.OPTED_OUT,
                    at=row.instance.opted_out_at,
                )
        return counts

    def build(self, row: Row, ctx: ImportContext) -> Contact:
        values = row.values
        key = (row.client.pk, fold(values["name"]))
        if key in self._seen:
            row.fail(f'name: "{values["name"]}" of {row.client} is also on line {self._seen[key]}.')
        elif key in self._existing:
            row.fail(f'name: {row.client} already has a contact named "{values["name"]}".')
        self._seen.setdefault(key, row.line)
        opted_out = bool(values["opted_out_of_surveys"])
        if values["opted_out_at"] is not None and not opted_out:
            row.fail("opted_out_at is only for a contact with opted_out_of_surveys true.")
        return self.record(row, ctx, opted_out_of_surveys=opted_out)


class InteractionsFormat(EventFormat):
    key = "interactions"
    label = "interactions"
    model = Interaction
    same_as = ("client_id", "occurred_at", "kind", "topic")
    same_as_words = "An interaction of this client at this time, of this kind and topic,"
    sort_by = ("client.name", "occurred_at")
    help = (
        "Meetings, calls, e-mails, messages, events and notes, credited to the owner at "
        "occurred_at. A reply names the outbound message it answers by that message's "
        "occurred_at (the message may be in the same file)."
    )
    columns = (
        CLIENT,
        Column("occurred_at", Kind.DATETIME, required=True, example="2025-03-04T10:30:00+00:00"),
        choice_column("kind", Interaction.Kind, required=True, example="call"),
        choice_column(
            "direction",
            Interaction.Direction,
            help="default internal for a note, outbound otherwise, inbound for a reply",
            example="inbound",
        ),
        Column("logged_by", Kind.USER, required=True, example="bea@example.com"),
        Column("topic", example="Renewal"),
        Column("summary"),
        Column("contacts", Kind.NAMES, example="Dana Reyes; Sam Ode", source="contact_names"),
        Column(
            "in_reply_to",
            Kind.DATETIME,
            help="occurred_at of the client's outbound message this one answers",
            source="in_reply_to.occurred_at",
        ),
    )
    stored = ("kind", "occurred_at", "topic", "summary")
    credited_at = "occurred_at"

    def __init__(self):
        # Replies whose message was not found in their batch or before it: it may come later.
        self._waiting: list[Row] = []
        self._final = False

    def prepare(self, rows: list[Row], ctx: ImportContext) -> None:
        self._contacts = ctx.contacts_by_name(row.client for row in rows)
        self._outbound: dict[tuple[int, datetime], list[Any]] = defaultdict(list)
        for row in rows:
            if row.values["direction"] == Interaction.Direction.OUTBOUND or (
                row.values["direction"] is None
                and default_direction(row.values["kind"]) == Interaction.Direction.OUTBOUND
                and row.values["in_reply_to"] is None
            ):
                self._outbound[(row.client.pk, row.values["occurred_at"])].append(row)
        wanted = {row.values["in_reply_to"] for row in rows if row.values["in_reply_to"]}
        if wanted:
            for message in Interaction.objects.filter(
                client__in={row.client.pk for row in rows},
                direction=Interaction.Direction.OUTBOUND,
                occurred_at__in=wanted,
            ).only("id", "client_id", "occurred_at"):
                self._outbound[(message.client_id, message.occurred_at)].append(message)

    def build(self, row: Row, ctx: ImportContext) -> Interaction:
        values = row.values
        logged_by = ctx.user(row, "logged_by")
        not_in_future(row, "occurred_at")
        direction = values["direction"] or default_direction(values["kind"])
        interaction = self.record(row, ctx, logged_by=logged_by)
        if values["in_reply_to"] is not None:
            direction = values["direction"] or Interaction.Direction.INBOUND
            if direction != Interaction.Direction.INBOUND:
                row.fail("direction: a reply (in_reply_to) is inbound.")
            self._link_reply(row, interaction)
        interaction.direction = direction
        row.refs["contacts"] = [
            contact_id(row, "contacts", name, self._contacts) for name in values["contacts"]
        ]
        return interaction

    def _link_reply(self, row: Row, interaction: Interaction) -> None:
        when = row.values["in_reply_to"]
        messages = self._outbound.get((row.client.pk, when), [])
        if not messages and not self._final and row.ok:
            row.waiting = True
            self._waiting.append(row)
        elif len(messages) != 1:
            found = "no" if not messages else str(len(messages))
            row.fail(
                f"in_reply_to: {row.client} has {found} outbound messages at "
                f"{when.isoformat()}; a reply names exactly one."
            )
        elif row.values["occurred_at"] < when:
            row.fail("in_reply_to: a reply cannot come before the message it answers.")
        elif isinstance(messages[0], Row):
            row.refers_to = messages[0]
        else:
            interaction.in_reply_to_id = messages[0].pk

    def save(self, rows: list[Row], ctx: ImportContext) -> dict[str, int]:
        # Replies to messages of the same file go in second, once their messages have ids.
        first = [row for row in rows if row.refers_to is None]
        replies = [row for row in rows if row.refers_to is not None]
        Interaction.objects.bulk_create([row.instance for row in first], batch_size=BATCH_SIZE)
        for row in replies:
            # A message refused on its own line has no id; the file is rolled back anyway.
            row.instance.in_reply_to_id = getattr(row.refers_to.instance, "pk", None)
        Interaction.objects.bulk_create([row.instance for row in replies], batch_size=BATCH_SIZE)
        through = Interaction.contacts.through
        links = [
            through(interaction_id=row.instance.pk, contact_id=contact)
            for row in rows
            for contact in dict.fromkeys(row.refs["contacts"])
        ]
        through.objects.bulk_create(links, batch_size=BATCH_SIZE)
        return {"interactions": len(rows), "contact links": len(links)}

    def finish(self, ctx: ImportContext) -> list[Row]:
        """The replies that waited for their message: every other row is saved by now, so
        checked again they find it, or fail."""
        waiting, self._waiting, self._final = self._waiting, [], True
        for row in waiting:
            # Checked from scratch: what its first check found is found again.
            row.waiting, row.instance = False, None
            row.refs.clear()
            row.errors.clear()
            row.warnings.clear()
        return waiting

    def export_records(self, clients: QuerySet[Client]) -> Iterator[Interaction]:
        # One join over the link table instead of a prefetch keyed by every interaction's id.
        names: dict[int, list[str]] = defaultdict(list)
        for interaction_id, name in Interaction.contacts.through.objects.filter(
            interaction__client__in=clients
        ).values_list("interaction_id", "contact__name"):
            names[interaction_id].append(name)
        for interaction in super().export_records(clients):
            interaction.contact_names = names[interaction.pk]
            yield interaction
