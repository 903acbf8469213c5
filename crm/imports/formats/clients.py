"""Clients and their two histories (ownership and lifecycle status)."""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise

from django.core.exceptions import ValidationError

from crm.access import may_import_into_any_book
from crm.attribution import restamp_client_events
from crm.imports.columns import Column, Kind
from crm.imports.context import ImportContext, Row, clean_instance
from crm.imports.formats.base import (
    BATCH_SIZE,
    CLIENT,
    CREATED_AT,
    RecordFormat,
    choice_column,
    error_messages,
    fold,
    group_by_client,
    with_created_at,
)
from crm.models import (
    Client,
    ClientOwnership,
    ClientStatusChange,
    FollowUp,
    LifecycleStatus,
    RelationshipType,
)
from crm.services import client_create


def _name_taken(name: str, ctx: ImportContext) -> str:
    """Why a client name already in use is refused, saying whose book it is in only to those
    who may read that book: the refusal must not reveal other books."""
    if may_import_into_any_book(ctx.actor) or ctx.client_named(name) is not None:
        return f'name: a client named "{name}" already exists.'
    return f'name: "{name}" cannot be used for a new client; choose another name.'


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
        choice_column("relationship_type", RelationshipType, required=True, example="strategic"),
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
        CREATED_AT,
    )

    def check(self, rows: list[Row], ctx: ImportContext) -> None:
        existing = {fold(name) for name in Client.objects.values_list("name", flat=True)}
        in_file: dict[str, Row] = {}
        for row in rows:
            if not row.ok:
                continue
            name = fold(row.values["name"])
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
        if partner_name and fold(partner_name) in in_file:
            partner_row = in_file[fold(partner_name)]
            if partner_row.values["relationship_type"] != RelationshipType.PARTNER:
                row.fail(f'sourced_by_partner: "{partner_name}" is not a partner.')
            row.refers_to = partner_row
        elif partner_name:
            partner = ctx.client(row, "sourced_by_partner", partner=True)
            partner_id = partner.pk if partner else None
        if not row.ok:
            return
        client = with_created_at(
            Client(
                name=values["name"],
                relationship_type=values["relationship_type"],
                relationship_started_on=values["relationship_started_on"],
                owner=owner,
                industry=values["industry"],
                website=values["website"],
                notes=values["notes"],
                sourced_by_partner_id=partner_id,
            ),
            row,
        )
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
                for message in error_messages(error):
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
        CLIENT,
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
        for row in ctx.resolve_clients(rows, "client"):
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
        for spans in group_by_client([row for row in rows if row.ok]).values():
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
        groups = group_by_client(rows)
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
        CLIENT,
        choice_column("status", LifecycleStatus, required=True, example="active"),
        Column("effective_on", Kind.DATE, required=True, example="2023-04-01"),
        Column("reason", help="required for churned", example="Relationship started"),
        Column("recorded_by", Kind.USER),
    )

    def check(self, rows: list[Row], ctx: ImportContext) -> None:
        for row in ctx.resolve_clients(rows, "client"):
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
        for changes in group_by_client(built).values():
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
        groups = group_by_client(rows)
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
