"""The CSV formats, one per record type: their columns, how rows are checked and saved, and how
records are exported again in the same shape.

Conventions shared by every format (documented in docs/import.md):

* users are named by e-mail, clients by exact name in any case, contacts by name within the row's
  client; a name that matches nothing, or more than one record, is an error on that line;
* every event is credited to the BRM who owned its client at the event's time, computed from the
  ownership spans loaded once per file (``ImportContext.owner_id_at``);
* files add records; only the two history formats replace, for the clients they mention, the
  whole history with the file's rows.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cached_property
from itertools import pairwise
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone

from crm.attribution import restamp_client_events
from crm.imports.columns import Column, Kind, read_path, relations_of
from crm.imports.context import ImportContext, Row, clean_instance, contact_id
from crm.models import (
    Client,
    ClientOwnership,
    ClientStatusChange,
    Contact,
    Deal,
    DealStage,
    DealStageChange,
    EmailSuppression,
    FeedbackItem,
    FollowUp,
    GoalReview,
    Interaction,
    LifecycleStatus,
    PartnerCertification,
    PartnerReferral,
    Priority,
    Product,
    Project,
    RelationshipType,
    RevenueLine,
    SharedGoal,
    SupportIssue,
)
from crm.services import (
    client_create,
    deal_create,
    deal_move,
    default_direction,
    email_suppress,
)

BATCH_SIZE = 1000
# The same allowance crm.services.interaction_log gives clocks that run slightly ahead.
FUTURE_SLACK = timedelta(minutes=5)

ExportRow = tuple[tuple, dict[str, Any]]


def choice_values(choices: type[models.TextChoices]) -> tuple[str, ...]:
    return tuple(choices.values)


def _fold(name: str) -> str:
    return name.casefold()


def _client_of(record: str) -> Column:
    """The ``client`` column of a format whose rows are about ``record`` (a deal, a goal):
    exported as that record's client."""
    return Column(
        "client",
        Kind.CLIENT,
        required=True,
        example="Acme Logistics",
        source=f"{record}.client.name",
    )


def _sortable(value: Any) -> Any:
    return _fold(value) if isinstance(value, str) else value


def _error_messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [f"{field}: {m}" for field, ms in error.message_dict.items() for m in ms]
    return list(error.messages)


class RecordFormat(ABC):
    """One CSV format. ``check`` records every problem on its row and builds what ``save``
    writes; ``save`` runs only when no row has a problem, inside the file's transaction."""

    key: str
    label: str
    help: str
    columns: tuple[Column, ...]
    admin_only = False

    @cached_property
    def column_map(self) -> dict[str, Column]:
        return {column.name: column for column in self.columns}

    @abstractmethod
    def check(self, rows: list[Row], ctx: ImportContext) -> None: ...

    @abstractmethod
    def save(self, rows: list[Row], ctx: ImportContext) -> dict[str, int]: ...

    # What an export writes: every ``export_model`` record whose ``export_scope`` relation is
    # one of the clients, one line each, its cells read at the columns' paths (``Column.path``)
    # and sorted by the values at the ``sort_by`` paths (names in any case).
    export_model: type[models.Model]
    export_scope = "client"
    sort_by: tuple[str, ...]

    def export_records(self, clients: QuerySet[Client]) -> Iterable[models.Model]:
        """The records to export, each relation the columns read fetched in the same query."""
        paths = [column.path for column in self.columns] + list(self.sort_by)
        return self.export_model.objects.filter(
            **{f"{self.export_scope}__in": clients}
        ).select_related(*relations_of(paths))

    def export(self, clients: QuerySet[Client]) -> Iterator[ExportRow]:
        """Each record as (sort key, {column: value}); the exporter sorts by key, then text."""
        for record in self.export_records(clients):
            key = tuple(_sortable(read_path(record, path)) for path in self.sort_by)
            yield key, {column.name: column.value_of(record) for column in self.columns}


class EventFormat(RecordFormat):
    """A record of one client, credited and bulk-created: most formats are this shape."""

    model: type[models.Model]
    # The column naming the client the record belongs to, which the importer must own.
    client_column = "client"
    partner_client = False

    @property
    def export_model(self) -> type[models.Model]:
        return self.model

    @property
    def export_scope(self) -> str:
        return self.client_column

    def check(self, rows: list[Row], ctx: ImportContext) -> None:
        ctx.resolve_clients(rows, self.client_column, partner=self.partner_client)
        ok = [row for row in rows if row.ok]
        ctx.load_timelines(row.client for row in ok)
        self.prepare(ok, ctx)
        for row in ok:
            instance = self.build(row, ctx)
            if row.ok:
                clean_instance(row, instance)
                row.instance = instance

    def prepare(self, rows: list[Row], ctx: ImportContext) -> None:
        """Load, in a few queries, whatever ``build`` looks up for every row."""

    @abstractmethod
    def build(self, row: Row, ctx: ImportContext) -> models.Model:
        """The unsaved record for a row whose client is resolved; problems go on the row."""

    def save(self, rows: list[Row], ctx: ImportContext) -> dict[str, int]:
        self.model.objects.bulk_create([row.instance for row in rows], batch_size=BATCH_SIZE)
        return {self.label: len(rows)}


def _name_taken(name: str, ctx: ImportContext) -> str:
    """Why a client name already in use is refused, saying whose book it is in only to those
    who may read that book: the refusal must not reveal other books."""
    if ctx.is_admin or ctx.client_named(name) is not None:
        return f'name: a client named "{name}" already exists.'
    return f'name: "{name}" cannot be used for a new client; choose another name.'


def not_in_future(row: Row, column: str) -> None:
    value = row.values[column]
    if value is not None and value > timezone.now() + FUTURE_SLACK:
        row.fail(f"{column}: {value.isoformat()} is in the future.")


def _not_before(row: Row, later: str, earlier: str) -> None:
    later_value, earlier_value = row.values[later], row.values[earlier]
    if later_value is not None and earlier_value is not None and later_value < earlier_value:
        row.fail(f"{later} cannot be before {earlier}.")


def _both_or_neither(row: Row, first: str, second: str) -> None:
    if (row.values[first] in (None, "")) != (row.values[second] in (None, "")):
        row.fail(f"{first} and {second} go together: give both or neither.")


def _group_by_client(rows: list[Row]) -> dict[int, list[Row]]:
    groups: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        groups[row.client.pk].append(row)
    return groups


# --- Clients and their histories --------------------------------------------------------------


class ClientsFormat(RecordFormat):
    key = "clients"
    label = "clients"
    export_model = Client
    export_scope = "pk"
    sort_by = ("name", "pk")
    help = (
        "New clients, each with its first ownership (from the relationship start) and an "
        "active status. Clients are identified by name, so a name must not exist yet."
    )
    columns = (
        Column("name", required=True, example="Acme Logistics"),
        Column(
            "relationship_type",
            Kind.CHOICE,
            required=True,
            choices=choice_values(RelationshipType),
            example="strategic",
        ),
        Column("owner", Kind.USER, required=True, help="the owning BRM", example="bea@example.com"),
        Column("relationship_started_on", Kind.DATE, required=True, example="2023-04-01"),
        Column("industry", example="Logistics"),
        Column("website", help="a full URL", example="https://acme.example"),
        Column("notes"),
        Column(
            "sourced_by_partner",
            Kind.CLIENT,
            help="a partner client, existing or in the same file",
            example="Cobalt Partners",
        ),
        Column("created_at", Kind.DATETIME, help="defaults to the time of the import"),
    )

    def check(self, rows: list[Row], ctx: ImportContext) -> None:
        existing = {_fold(name) for name in Client.objects.values_list("name", flat=True)}
        in_file: dict[str, Row] = {}
        for row in rows:
            if not row.ok:
                continue
            name = _fold(row.values["name"])
            if name in existing:
                row.fail(_name_taken(row.values["name"], ctx))
            elif name in in_file:
                row.fail(f'name: "{row.values["name"]}" is also on line {in_file[name].line}.')
            else:
                in_file[name] = row
        for row in rows:
            if row.ok:
                self._check_row(row, ctx, in_file)

    def _check_row(self, row: Row, ctx: ImportContext, in_file: dict[str, Row]) -> None:
        values = row.values
        owner = ctx.user(row, "owner", active=True)
        partner_id = None
        partner_name = values["sourced_by_partner"]
        if partner_name and _fold(partner_name) in in_file:
            partner_row = in_file[_fold(partner_name)]
            if partner_row.values["relationship_type"] != RelationshipType.PARTNER:
                row.fail(f'sourced_by_partner: "{partner_name}" is not a partner.')
            row.refers_to = partner_row
        elif partner_name:
            partner = ctx.client(row, "sourced_by_partner", partner=True)
            partner_id = partner.pk if partner else None
        if not row.ok:
            return
        client = Client(
            name=values["name"],
            relationship_type=values["relationship_type"],
            relationship_started_on=values["relationship_started_on"],
            owner=owner,
            industry=values["industry"],
            website=values["website"],
            notes=values["notes"],
            sourced_by_partner_id=partner_id,
        )
        if values["created_at"] is not None:
            client.created_at = values["created_at"]
        clean_instance(row, client)
        row.instance = client

    def save(self, rows: list[Row], ctx: ImportContext) -> dict[str, int]:
        # Through the service, so each client gets the same history rows as one made by hand.
        for row in rows:
            draft = row.instance
            details = {"created_at": draft.created_at} if row.values["created_at"] else {}
            try:
                row.instance = client_create(
                    name=draft.name,
                    relationship_type=draft.relationship_type,
                    owner=draft.owner,
                    relationship_started_on=draft.relationship_started_on,
                    created_by=ctx.actor,
                    industry=draft.industry,
                    website=draft.website,
                    notes=draft.notes,
                    sourced_by_partner_id=draft.sourced_by_partner_id,
                    **details,
                )
            except ValidationError as error:
                for message in _error_messages(error):
                    row.fail(message)
        linked = [row for row in rows if row.refers_to is not None and row.ok]
        for row in linked:
            row.instance.sourced_by_partner_id = row.refers_to.instance.pk
        Client.objects.bulk_update(
            [row.instance for row in linked], ["sourced_by_partner"], batch_size=BATCH_SIZE
        )
        return {"clients": len(rows), "ownership rows": len(rows), "status rows": len(rows)}


class OwnershipHistoryFormat(RecordFormat):
    key = "ownership_history"
    label = "ownership rows"
    export_model = ClientOwnership
    sort_by = ("client.name", "client_id", "started_at", "pk")
    admin_only = True
    help = (
        "Replaces the whole ownership history of every client in the file, then re-credits all "
        "of those clients' events to the owner at each event's time. Spans of one client must "
        "follow on without gap or overlap, and the latest one stays open. Administrators only: "
        "it moves credit between BRMs."
    )
    columns = (
        Column("client", Kind.CLIENT, required=True, example="Acme Logistics"),
        Column("owner", Kind.USER, required=True, example="bea@example.com"),
        Column("started_at", Kind.DATETIME, required=True, example="2023-04-01T00:00:00+01:00"),
        Column(
            "ended_at",
            Kind.DATETIME,
            help="blank for the current owner; otherwise the next span's started_at",
            example="2024-01-15T09:00:00+00:00",
        ),
        Column("reason", example="Territory change"),
        Column("changed_by", Kind.USER, help="who made the change"),
    )

    def check(self, rows: list[Row], ctx: ImportContext) -> None:
        ctx.resolve_clients(rows, "client")
        for row in rows:
            if not row.ok:
                continue
            owner = ctx.user(row, "owner")
            changed_by = ctx.user(row, "changed_by")
            ended_at = row.values["ended_at"]
            if ended_at is not None and ended_at <= row.values["started_at"]:
                row.fail("ended_at must be after started_at.")
            if not row.ok:
                continue
            row.instance = ClientOwnership(
                client=row.client,
                owner=owner,
                started_at=row.values["started_at"],
                ended_at=ended_at,
                changed_by=changed_by,
                reason=row.values["reason"],
            )
            clean_instance(row, row.instance)
        for spans in _group_by_client([row for row in rows if row.ok]).values():
            self._check_spans(sorted(spans, key=lambda row: row.values["started_at"]))

    def _check_spans(self, spans: list[Row]) -> None:
        for previous, row in pairwise(spans):
            if previous.values["ended_at"] is None:
                previous.fail(
                    f"ended_at: only the latest ownership of {row.client} may be open; line "
                    f"{row.line} starts later."
                )
            elif previous.values["ended_at"] != row.values["started_at"]:
                row.fail(
                    f"started_at: must equal the ended_at of the previous ownership of "
                    f"{row.client} (line {previous.line}), so spans neither overlap nor leave "
                    "a gap."
                )
        latest = spans[-1]
        if latest.values["ended_at"] is not None:
            latest.fail(
                f"ended_at: the latest ownership of {latest.client} must be open (blank): a "
                "client always has a current owner."
            )
        elif not latest.instance.owner.is_active:
            latest.fail(f"owner: {latest.instance.owner.email} is not an active user.")

    def save(self, rows: list[Row], ctx: ImportContext) -> dict[str, int]:
        groups = _group_by_client(rows)
        ClientOwnership.objects.filter(client_id__in=groups).delete()
        ClientOwnership.objects.bulk_create([row.instance for row in rows], batch_size=BATCH_SIZE)
        restamped = 0
        for spans in groups.values():
            client = spans[0].client
            current = next(row.instance for row in spans if row.values["ended_at"] is None)
            if client.owner_id != current.owner_id:
                # As in a reassignment: the current owner takes over the open follow-ups.
                Client.objects.filter(pk=client.pk).update(owner_id=current.owner_id)
                FollowUp.objects.filter(client=client).open().update(owner_id=current.owner_id)
            restamped += restamp_client_events(client)
        return {"ownership rows": len(rows), "events re-credited": restamped}


class StatusHistoryFormat(RecordFormat):
    key = "status_history"
    label = "status rows"
    export_model = ClientStatusChange
    sort_by = ("client.name", "client_id", "effective_on", "pk")
    help = (
        "Replaces the whole lifecycle history of every client in the file. A client's rows, in "
        "date order, start with active and alternate between active and churned; a churn needs "
        "a reason. The client's current status becomes its latest row's."
    )
    columns = (
        Column("client", Kind.CLIENT, required=True, example="Acme Logistics"),
        Column(
            "status",
            Kind.CHOICE,
            required=True,
            choices=choice_values(LifecycleStatus),
            example="active",
        ),
        Column("effective_on", Kind.DATE, required=True, example="2023-04-01"),
        Column("reason", help="required for churned", example="Relationship started"),
        Column("recorded_by", Kind.USER),
    )

    def check(self, rows: list[Row], ctx: ImportContext) -> None:
        ctx.resolve_clients(rows, "client")
        for row in rows:
            if not row.ok:
                continue
            recorded_by = ctx.user(row, "recorded_by")
            if row.values["status"] == LifecycleStatus.CHURNED and not row.values["reason"]:
                row.fail("reason: say why the client churned.")
            row.instance = ClientStatusChange(
                client=row.client,
                status=row.values["status"],
                effective_on=row.values["effective_on"],
                reason=row.values["reason"],
                recorded_by=recorded_by,
            )
            clean_instance(row, row.instance)
        # A missing reason does not hide the row from the order checks: every line is reported.
        built = [row for row in rows if row.instance is not None]
        for changes in _group_by_client(built).values():
            changes.sort(key=lambda row: row.values["effective_on"])
            if changes[0].values["status"] != LifecycleStatus.ACTIVE:
                changes[0].fail(f"status: the history of {changes[0].client} must start active.")
            for previous, row in pairwise(changes):
                if previous.values["status"] == row.values["status"]:
                    row.fail(
                        f"status: {row.client} is already {row.values['status']} since line "
                        f"{previous.line}."
                    )

    def save(self, rows: list[Row], ctx: ImportContext) -> dict[str, int]:
        groups = _group_by_client(rows)
        ClientStatusChange.objects.filter(client_id__in=groups).delete()
        ordered = sorted(rows, key=lambda row: (row.client.pk, row.values["effective_on"]))
        ClientStatusChange.objects.bulk_create(
            [row.instance for row in ordered], batch_size=BATCH_SIZE
        )
        latest: dict[str, list[int]] = defaultdict(list)
        for client_id, changes in groups.items():
            final = max(changes, key=lambda row: row.values["effective_on"])
            latest[final.values["status"]].append(client_id)
        for status, client_ids in latest.items():
            Client.objects.filter(pk__in=client_ids).update(status=status)
        return {"status rows": len(rows)}


# --- Contacts and interactions ----------------------------------------------------------------


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
        Column("client", Kind.CLIENT, required=True, example="Acme Logistics"),
        Column("name", required=True, example="Dana Reyes"),
        Column("email", example="dana@acme.example"),
        Column("phone", example="+44 20 7946 0000"),
        Column("role", example="Head of Operations"),
        Column("created_at", Kind.DATETIME, help="defaults to the time of the import"),
        Column("opted_out_of_surveys", Kind.BOOLEAN, help="default false"),
        Column("opted_out_at", Kind.DATETIME),
    )

    def prepare(self, rows: list[Row], ctx: ImportContext) -> None:
        self._existing = ctx.contacts_by_name(row.client for row in rows)
        self._seen: dict[tuple[int, str], int] = {}
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
        key = (row.client.pk, _fold(values["name"]))
        if key in self._existing:
            row.fail(f'name: {row.client} already has a contact named "{values["name"]}".')
        elif key in self._seen:
            row.fail(f'name: "{values["name"]}" of {row.client} is also on line {self._seen[key]}.')
        self._seen.setdefault(key, row.line)
        opted_out = bool(values["opted_out_of_surveys"])
        if values["opted_out_at"] is not None and not opted_out:
            row.fail("opted_out_at is only for a contact with opted_out_of_surveys true.")
        contact = Contact(
            client=row.client,
            name=values["name"],
            email=values["email"],
            phone=values["phone"],
            role=values["role"],
            opted_out_of_surveys=opted_out,
            opted_out_at=values["opted_out_at"],
        )
        if values["created_at"] is not None:
            contact.created_at = values["created_at"]
        return contact


class InteractionsFormat(EventFormat):
    key = "interactions"
    label = "interactions"
    model = Interaction
    sort_by = ("client.name", "occurred_at")
    help = (
        "Meetings, calls, e-mails, messages, events and notes, credited to the owner at "
        "occurred_at. A reply names the outbound message it answers by that message's "
        "occurred_at (the message may be in the same file)."
    )
    columns = (
        Column("client", Kind.CLIENT, required=True, example="Acme Logistics"),
        Column("occurred_at", Kind.DATETIME, required=True, example="2025-03-04T10:30:00+00:00"),
        Column(
            "kind",
            Kind.CHOICE,
            required=True,
            choices=choice_values(Interaction.Kind),
            example="call",
        ),
        Column(
            "direction",
            Kind.CHOICE,
            choices=choice_values(Interaction.Direction),
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
        interaction = Interaction(
            client=row.client,
            owner_id=ctx.owner_id_at(row.client, values["occurred_at"]),
            logged_by=logged_by,
            kind=values["kind"],
            occurred_at=values["occurred_at"],
            topic=values["topic"],
            summary=values["summary"],
        )
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
        if len(messages) != 1:
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
            row.instance.in_reply_to_id = row.refers_to.instance.pk
        Interaction.objects.bulk_create([row.instance for row in replies], batch_size=BATCH_SIZE)
        through = Interaction.contacts.through
        links = [
            through(interaction_id=row.instance.pk, contact_id=contact)
            for row in rows
            for contact in dict.fromkeys(row.refs["contacts"])
        ]
        through.objects.bulk_create(links, batch_size=BATCH_SIZE)
        return {"interactions": len(rows), "contact links": len(links)}

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


class FollowUpsFormat(EventFormat):
    key = "follow_ups"
    label = "follow-ups"
    model = FollowUp
    sort_by = ("client.name", "due_on")
    help = "Follow-ups, open or done. The owner is the BRM who has to do it."
    columns = (
        Column("client", Kind.CLIENT, required=True, example="Acme Logistics"),
        Column("owner", Kind.USER, required=True, example="bea@example.com"),
        Column("title", required=True, example="Send the proposal"),
        Column("due_on", Kind.DATE, required=True, example="2025-03-10"),
        Column("done_at", Kind.DATETIME, help="blank while open"),
        Column("outcome"),
        Column(
            "origin",
            Kind.CHOICE,
            choices=choice_values(FollowUp.Origin),
            help="default import",
            example="import",
        ),
        Column("created_at", Kind.DATETIME, help="defaults to the time of the import"),
    )

    def build(self, row: Row, ctx: ImportContext) -> FollowUp:
        values = row.values
        follow_up = FollowUp(
            client=row.client,
            owner=ctx.user(row, "owner"),
            title=values["title"],
            due_on=values["due_on"],
            done_at=values["done_at"],
            outcome=values["outcome"],
            origin=values["origin"] or FollowUp.Origin.IMPORT,
        )
        if values["created_at"] is not None:
            follow_up.created_at = values["created_at"]
        return follow_up


class SupportIssuesFormat(EventFormat):
    key = "support_issues"
    label = "support issues"
    model = SupportIssue
    sort_by = ("client.name", "opened_at")
    help = (
        "Support issues, credited to the owner at opened_at. The status follows from the "
        "dates: resolved with resolved_at, answered with first_response_at, open otherwise."
    )
    columns = (
        Column("client", Kind.CLIENT, required=True, example="Acme Logistics"),
        Column("title", required=True, example="Invoices do not reconcile"),
        Column(
            "priority", Kind.CHOICE, required=True, choices=choice_values(Priority), example="high"
        ),
        Column("opened_at", Kind.DATETIME, required=True, example="2025-02-01T09:00:00+00:00"),
        Column("first_response_at", Kind.DATETIME, help="required when resolved_at is given"),
        Column("resolved_at", Kind.DATETIME),
        Column("contact", help="a contact of the client, by name", source="contact.name"),
        Column(
            "sla_hours",
            Kind.INTEGER,
            help="0 or more; default: the SLA configured today for the priority",
            example="24",
        ),
    )

    def prepare(self, rows: list[Row], ctx: ImportContext) -> None:
        self._contacts = ctx.contacts_by_name(row.client for row in rows)

    def build(self, row: Row, ctx: ImportContext) -> SupportIssue:
        values = row.values
        _not_before(row, "first_response_at", "opened_at")
        _not_before(row, "resolved_at", "opened_at")
        _not_before(row, "resolved_at", "first_response_at")
        if values["resolved_at"] is not None and values["first_response_at"] is None:
            row.fail(
                "first_response_at is required for a resolved issue (the resolution time if "
                "there was no earlier response)."
            )
        if values["resolved_at"] is not None:
            status = SupportIssue.Status.RESOLVED
        elif values["first_response_at"] is not None:
            status = SupportIssue.Status.ANSWERED
        else:
            status = SupportIssue.Status.OPEN
        sla_hours = values["sla_hours"]
        return SupportIssue(
            client=row.client,
            owner_id=ctx.owner_id_at(row.client, values["opened_at"]),
            title=values["title"],
            priority=values["priority"],
            sla_hours=settings.SUPPORT_SLA_HOURS[values["priority"]]
            if sla_hours is None
            else sla_hours,
            opened_at=values["opened_at"],
            first_response_at=values["first_response_at"],
            resolved_at=values["resolved_at"],
            status=status,
            contact_id=(
                contact_id(row, "contact", values["contact"], self._contacts)
                if values["contact"]
                else None
            ),
        )


# --- Revenue and deals ------------------------------------------------------------------------


def _deals_by_title(clients: Iterable[Client]) -> dict[tuple[int, str], list[int]]:
    index: dict[tuple[int, str], list[int]] = defaultdict(list)
    for deal_id, client_id, title in Deal.objects.filter(
        client__in={client.pk for client in clients}
    ).values_list("id", "client_id", "title"):
        index[(client_id, _fold(title))].append(deal_id)
    return index


class RevenueFormat(EventFormat):
    key = "revenue"
    label = "revenue lines"
    model = RevenueLine
    sort_by = ("client.name", "recognised_on", "product.name")
    help = (
        "Recognised revenue, credited to the owner on recognised_on. A product that does not "
        "exist yet is added to the product list (matched by name in any case)."
    )
    columns = (
        Column("client", Kind.CLIENT, required=True, example="Acme Logistics"),
        Column("product", required=True, example="Freight analytics", source="product.name"),
        Column("recognised_on", Kind.DATE, required=True, example="2025-01-31"),
        Column(
            "amount",
            Kind.DECIMAL,
            required=True,
            help="any sign: a negative amount is a credit or refund",
            example="12500.00",
        ),
        Column("cost_to_serve", Kind.DECIMAL, help="0 or more; default 0", example="4000.00"),
        Column(
            "deal",
            help="title of one of the client's deals",
            example="Analytics upsell",
            source="deal.title",
        ),
        Column("description"),
    )

    def prepare(self, rows: list[Row], ctx: ImportContext) -> None:
        self._products = {_fold(p.name): p for p in Product.objects.all()}
        self._deals = _deals_by_title(row.client for row in rows)

    def build(self, row: Row, ctx: ImportContext) -> RevenueLine:
        values = row.values
        product_field = Product._meta.get_field("name")
        if len(values["product"]) > product_field.max_length:
            row.fail(f"product: at most {product_field.max_length} characters.")
        deal_id = None
        if values["deal"]:
            deal_ids = self._deals.get((row.client.pk, _fold(values["deal"])), [])
            if len(deal_ids) == 1:
                deal_id = deal_ids[0]
            else:
                found = "no" if not deal_ids else str(len(deal_ids))
                row.fail(f'deal: {row.client} has {found} deals titled "{values["deal"]}".')
        return RevenueLine(
            client=row.client,
            owner_id=ctx.owner_id_at(row.client, values["recognised_on"]),
            recognised_on=values["recognised_on"],
            amount=values["amount"],
            cost_to_serve=(
                Decimal("0") if values["cost_to_serve"] is None else values["cost_to_serve"]
            ),
            deal_id=deal_id,
            description=values["description"],
        )

    def save(self, rows: list[Row], ctx: ImportContext) -> dict[str, int]:
        new_products: dict[str, Product] = {}
        for row in rows:
            name = _fold(row.values["product"])
            if name not in self._products and name not in new_products:
                new_products[name] = Product(name=row.values["product"])
        Product.objects.bulk_create(list(new_products.values()))
        self._products.update(new_products)
        for row in rows:
            row.instance.product = self._products[_fold(row.values["product"])]
        counts = super().save(rows, ctx)
        return {**counts, "new products": len(new_products)}


class DealsFormat(RecordFormat):
    key = "deals"
    label = "deals"
    # One line per stage change, the deal's columns repeated on each.
    export_model = DealStageChange
    export_scope = "deal__client"
    sort_by = (
        "deal.client.name",
        "deal.created_at",
        "deal.title",
        "deal.pk",
        "changed_at",
        "pk",
    )
    help = (
        "Deals with their whole stage history, one row per stage the deal entered. A deal is "
        "its client, title and created_at; its first row is its creation (changed_at equal to "
        "created_at, in an open stage) and the deal columns repeat on every row. Later rows "
        "move it on in time order; won and lost are final. Each move records when the deal "
        "entered and left the stage before, as crm.services.deal_move does."
    )
    columns = (
        _client_of("deal"),
        Column("title", required=True, example="Analytics upsell", source="deal.title"),
        Column(
            "kind",
            Kind.CHOICE,
            choices=choice_values(Deal.Kind),
            help="default new",
            example="new",
            source="deal.kind",
        ),
        Column(
            "value",
            Kind.DECIMAL,
            required=True,
            help="0 or more",
            example="40000.00",
            source="deal.value",
        ),
        Column(
            "created_at",
            Kind.DATETIME,
            required=True,
            example="2025-01-06T09:00:00+00:00",
            source="deal.created_at",
        ),
        Column(
            "partner",
            Kind.CLIENT,
            help="a partner client that sourced or influenced it",
            source="deal.partner.name",
        ),
        Column(
            "partner_role",
            Kind.CHOICE,
            choices=choice_values(Deal.PartnerRole),
            help="default sourced when a partner is given",
            source="deal.partner_role",
        ),
        Column(
            "stage",
            required=True,
            help="a pipeline stage, by name",
            example="Qualified",
            source="to_stage.name",
        ),
        Column("changed_at", Kind.DATETIME, required=True, example="2025-01-06T09:00:00+00:00"),
        Column("changed_by", Kind.USER),
    )
    deal_columns = ("kind", "value", "partner", "partner_role")

    def check(self, rows: list[Row], ctx: ImportContext) -> None:
        ctx.resolve_clients(rows, "client")
        stages = {_fold(stage.name): stage for stage in DealStage.objects.all()}
        stage_names = ", ".join(stage.name for stage in stages.values())
        for row in rows:
            if not row.ok:
                continue
            stage = stages.get(_fold(row.values["stage"]))
            if stage is None:
                row.fail(f'stage: "{row.values["stage"]}" is not one of: {stage_names}.')
            row.refs = {
                "stage": stage,
                "partner": ctx.client(row, "partner", partner=True),
                "changed_by": ctx.user(row, "changed_by"),
            }
        ok = [row for row in rows if row.ok]
        existing = {
            (client_id, _fold(title), created_at)
            for client_id, title, created_at in Deal.objects.filter(
                client__in={row.client.pk for row in ok}
            ).values_list("client_id", "title", "created_at")
        }
        deals: dict[tuple, list[Row]] = defaultdict(list)
        for row in ok:
            key = (row.client.pk, _fold(row.values["title"]), row.values["created_at"])
            deals[key].append(row)
        self._histories = list(deals.values())
        for key, history in deals.items():
            if key in existing:
                history[0].fail(
                    f'{history[0].client} already has the deal "{history[0].values["title"]}" '
                    "created at that time; a deals file brings whole new deals."
                )
            self._check_history(history)

    def _check_history(self, history: list[Row]) -> None:
        first = history[0]
        if first.values["changed_at"] != first.values["created_at"]:
            first.fail(
                "changed_at: the first row of a deal is its creation, so changed_at must equal "
                "created_at."
            )
        if first.refs["stage"].is_terminal:
            first.fail(f"stage: a deal starts in an open stage, not {first.refs['stage']}.")
        draft = Deal(
            title=first.values["title"],
            kind=first.values["kind"] or Deal.Kind.NEW,
            value=first.values["value"],
            created_at=first.values["created_at"],
            partner_role=first.values["partner_role"] or "",
        )
        clean_instance(first, draft)
        for previous, row in pairwise(history):
            for column in self.deal_columns:
                if row.values[column] != first.values[column]:
                    row.fail(f"{column}: differs from the deal's first row (line {first.line}).")
            stage, previous_stage = row.refs["stage"], previous.refs["stage"]
            if previous_stage.is_terminal:
                row.fail(f"stage: the deal was already {previous_stage} (line {previous.line}).")
            elif stage == previous_stage:
                row.fail(f"stage: the deal is already in {stage} (line {previous.line}).")
            if row.values["changed_at"] < previous.values["changed_at"]:
                row.fail(f"changed_at: before the previous stage change (line {previous.line}).")

    def save(self, rows: list[Row], ctx: ImportContext) -> dict[str, int]:
        # Through the services, so the stage history is exactly what moving the deal by hand
        # records: who owned it at each change, and when each stage was entered and left.
        for first, *moves in self._histories:
            row = first
            try:
                deal = deal_create(
                    client=first.client,
                    title=first.values["title"],
                    value=first.values["value"],
                    kind=first.values["kind"] or Deal.Kind.NEW,
                    stage=first.refs["stage"],
                    created_at=first.values["created_at"],
                    created_by=first.refs["changed_by"],
                    partner=first.refs["partner"],
                    partner_role=first.values["partner_role"] or "",
                )
                for row in moves:
                    deal_move(
                        deal=deal,
                        to_stage=row.refs["stage"],
                        at=row.values["changed_at"],
                        by=row.refs["changed_by"],
                    )
            except ValidationError as error:
                for message in _error_messages(error):
                    row.fail(message)
        return {"deals": len(self._histories), "stage changes": len(rows)}


# --- Delivery, goals, feedback ----------------------------------------------------------------


class ProjectsFormat(EventFormat):
    key = "projects"
    label = "projects"
    model = Project
    sort_by = ("client.name", "due_on")
    help = "Projects, credited to the owner on due_on."
    columns = (
        Column("client", Kind.CLIENT, required=True, example="Acme Logistics"),
        Column("name", required=True, example="Warehouse roll-out"),
        Column("due_on", Kind.DATE, required=True, example="2025-06-30"),
        Column("started_on", Kind.DATE, example="2025-01-15"),
        Column("completed_at", Kind.DATETIME, help="blank while not completed"),
    )

    def build(self, row: Row, ctx: ImportContext) -> Project:
        values = row.values
        return Project(
            client=row.client,
            owner_id=ctx.owner_id_at(row.client, values["due_on"]),
            name=values["name"],
            due_on=values["due_on"],
            started_on=values["started_on"],
            completed_at=values["completed_at"],
        )


class SharedGoalsFormat(EventFormat):
    key = "shared_goals"
    label = "shared goals"
    model = SharedGoal
    sort_by = ("client.name", "due_on", "title")
    help = (
        "Goals agreed with a client, credited to the owner on due_on. A goal that was assessed "
        "has both met and assessed_on. Reviews are a file of their own (goal_reviews)."
    )
    columns = (
        Column("client", Kind.CLIENT, required=True, example="Acme Logistics"),
        Column("title", required=True, example="Cut delivery claims by 20 %"),
        Column("due_on", Kind.DATE, required=True, example="2025-12-31"),
        Column("met", Kind.BOOLEAN, help="blank until assessed"),
        Column("assessed_on", Kind.DATE),
        Column("created_at", Kind.DATETIME, help="defaults to the time of the import"),
    )

    def build(self, row: Row, ctx: ImportContext) -> SharedGoal:
        values = row.values
        _both_or_neither(row, "met", "assessed_on")
        goal = SharedGoal(
            client=row.client,
            owner_id=ctx.owner_id_at(row.client, values["due_on"]),
            title=values["title"],
            due_on=values["due_on"],
            met=values["met"],
            assessed_on=values["assessed_on"],
        )
        if values["created_at"] is not None:
            goal.created_at = values["created_at"]
        return goal


class GoalReviewsFormat(EventFormat):
    key = "goal_reviews"
    label = "goal reviews"
    model = GoalReview
    export_scope = "goal__client"
    sort_by = ("goal.client.name", "goal.title", "reviewed_on")
    help = (
        "Reviews of shared goals; the goal is named by title within the client. Each goal's "
        "last review date moves forward to its latest review."
    )
    columns = (
        _client_of("goal"),
        Column("goal", required=True, example="Cut delivery claims by 20 %", source="goal.title"),
        Column("reviewed_on", Kind.DATE, required=True, example="2025-03-31"),
        Column("note"),
    )

    def prepare(self, rows: list[Row], ctx: ImportContext) -> None:
        self._goals: dict[tuple[int, str], list[SharedGoal]] = defaultdict(list)
        for goal in SharedGoal.objects.filter(client__in={row.client.pk for row in rows}).only(
            "id", "client_id", "title", "last_reviewed_on"
        ):
            self._goals[(goal.client_id, _fold(goal.title))].append(goal)

    def build(self, row: Row, ctx: ImportContext) -> GoalReview:
        goals = self._goals.get((row.client.pk, _fold(row.values["goal"])), [])
        if len(goals) != 1:
            found = "no" if not goals else str(len(goals))
            row.fail(f'goal: {row.client} has {found} shared goals titled "{row.values["goal"]}".')
        row.refs["goal"] = goals[0] if len(goals) == 1 else None
        return GoalReview(
            goal=row.refs["goal"], reviewed_on=row.values["reviewed_on"], note=row.values["note"]
        )

    def save(self, rows: list[Row], ctx: ImportContext) -> dict[str, int]:
        counts = super().save(rows, ctx)
        latest: dict[int, SharedGoal] = {}
        for row in rows:
            goal, on = row.refs["goal"], row.values["reviewed_on"]
            if goal.last_reviewed_on is None or on > goal.last_reviewed_on:
                goal.last_reviewed_on = on
                latest[goal.pk] = goal
        SharedGoal.objects.bulk_update(latest.values(), ["last_reviewed_on"], batch_size=BATCH_SIZE)
        return counts


class FeedbackFormat(EventFormat):
    key = "feedback"
    label = "feedback items"
    model = FeedbackItem
    sort_by = ("client.name", "received_on")
    help = (
        "Client feedback, credited to the owner on received_on. A closed item has both "
        "closed_on and outcome."
    )
    columns = (
        Column("client", Kind.CLIENT, required=True, example="Acme Logistics"),
        Column("summary", required=True, example="Wants a weekly claims report"),
        Column("received_on", Kind.DATE, required=True, example="2025-02-14"),
        Column("closed_on", Kind.DATE),
        Column("outcome", Kind.CHOICE, choices=choice_values(FeedbackItem.Outcome)),
    )

    def build(self, row: Row, ctx: ImportContext) -> FeedbackItem:
        values = row.values
        _both_or_neither(row, "closed_on", "outcome")
        _not_before(row, "closed_on", "received_on")
        return FeedbackItem(
            client=row.client,
            owner_id=ctx.owner_id_at(row.client, values["received_on"]),
            summary=values["summary"],
            received_on=values["received_on"],
            closed_on=values["closed_on"],
            outcome=values["outcome"] or "",
        )


# --- Partners ---------------------------------------------------------------------------------


class PartnerReferralsFormat(EventFormat):
    key = "partner_referrals"
    label = "partner referrals"
    model = PartnerReferral
    sort_by = ("partner.name", "received_on")
    client_column = "partner"
    partner_client = True
    help = "Leads a partner referred, credited to the partner's owner on received_on."
    columns = (
        Column("partner", Kind.CLIENT, required=True, example="Cobalt Partners"),
        Column("lead_name", required=True, example="Northwind Freight"),
        Column("received_on", Kind.DATE, required=True, example="2025-02-03"),
        Column("referred_client", Kind.CLIENT, help="the client the lead became, if any"),
    )

    def build(self, row: Row, ctx: ImportContext) -> PartnerReferral:
        values = row.values
        referred = ctx.client(row, "referred_client")
        return PartnerReferral(
            partner=row.client,
            owner_id=ctx.owner_id_at(row.client, values["received_on"]),
            lead_name=values["lead_name"],
            received_on=values["received_on"],
            referred_client=referred,
        )


class PartnerCertificationsFormat(EventFormat):
    key = "partner_certifications"
    label = "partner certifications"
    model = PartnerCertification
    sort_by = ("partner.name", "valid_from")
    client_column = "partner"
    partner_client = True
    help = "Trainings and certifications a partner holds, valid from one day until another."
    columns = (
        Column("partner", Kind.CLIENT, required=True, example="Cobalt Partners"),
        Column("name", required=True, example="Certified integrator"),
        Column("valid_from", Kind.DATE, required=True, example="2025-01-01"),
        Column("valid_until", Kind.DATE, required=True, example="2025-12-31"),
    )

    def build(self, row: Row, ctx: ImportContext) -> PartnerCertification:
        _not_before(row, "valid_until", "valid_from")
        return PartnerCertification(
            partner=row.client,
            name=row.values["name"],
            valid_from=row.values["valid_from"],
            valid_until=row.values["valid_until"],
        )


FORMATS: dict[str, type[RecordFormat]] = {
    fmt.key: fmt
    for fmt in (
        ClientsFormat,
        OwnershipHistoryFormat,
        StatusHistoryFormat,
        ContactsFormat,
        InteractionsFormat,
        FollowUpsFormat,
        SupportIssuesFormat,
        RevenueFormat,
        DealsFormat,
        ProjectsFormat,
        SharedGoalsFormat,
        GoalReviewsFormat,
        FeedbackFormat,
        PartnerReferralsFormat,
        PartnerCertificationsFormat,
    )
}


def register_format(fmt: type[RecordFormat]) -> None:
    """Offer ``fmt`` for import and export, after the book's own formats. A higher app
    registers its formats from its ``AppConfig.ready`` (surveys: survey answers), so the book
    does not import it."""
    if fmt.key in FORMATS:
        raise ImproperlyConfigured(f"Two import formats use the key {fmt.key!r}.")
    FORMATS[fmt.key] = fmt
