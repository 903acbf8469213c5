"""What a file's rows are checked against: the importing user's scope, and the clients, users,
contacts and ownership spans the rows name. Clients, users and ownership spans are loaded once
per file (their number is the book's size, not the file's); contacts once per batch."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from accounts.models import User, normalise_email
from crm.access import (
    can_write_client,
    clients_visible_to_operator,
    may_act_as,
    may_import_into_any_book,
)
from crm.attribution import OwnershipTimeline
from crm.models import Client, ClientOwnership, Contact, EmailSuppression, RelationshipType


@dataclass
class Row:
    """One record of the file: its physical line, raw cells, parsed values and what is wrong."""

    line: int
    cells: list[str]
    values: dict[str, Any]
    errors: list[str] = field(default_factory=list)
    # Worth knowing but no reason to refuse the file (shown with the preview, line by line).
    warnings: list[str] = field(default_factory=list)
    client: Client | None = None
    # Other records the row names, resolved by column (a deal's stage, an interaction's contacts).
    refs: dict[str, Any] = field(default_factory=dict)
    instance: Any = None
    # Another row of the same file this one points at (a reply's message, a client's partner),
    # linked once both are saved.
    refers_to: Row | None = None
    # Not saved with its batch: it names a record that may come later in the file, so it is
    # checked again at the end (``EventFormat.finish``).
    waiting: bool = False

    def fail(self, message: str) -> None:
        self.errors.append(message)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    @property
    def ok(self) -> bool:
        return not self.errors


def relation_names(model: type[models.Model]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if f.is_relation]


def clean_instance(row: Row, instance: models.Model, labels: dict[str, str] | None = None) -> None:
    """Run the model's field validation and report failures on the row, named by column.

    Relations are resolved from already-loaded rows, and the table constraints are restated as
    readable checks by each format, so neither is re-queried here for every row.
    """
    try:
        instance.full_clean(
            exclude=relation_names(type(instance)),
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            label = (labels or {}).get(name, name)
            for message in messages:
                row.fail(f"{label}: {message}")


class ImportContext:
    """Lookups for one file, scoped to what ``actor`` may see (``None``: a command-line operator,
    who may import anything)."""

    def __init__(self, actor: User | None):
        self.actor = actor
        self._timelines: dict[int, OwnershipTimeline] = {}

    # --- clients ------------------------------------------------------------------------------

    @cached_property
    def _clients(self) -> dict[str, list[Client]]:
        scope = clients_visible_to_operator(self.actor)
        index: dict[str, list[Client]] = defaultdict(list)
        for client in scope.only("id", "name", "owner_id", "relationship_type", "status"):
            index[client.name.casefold()].append(client)
        return index

    def client_named(self, name: str) -> Client | None:
        """The one client the actor may read with this name (any case), if there is one."""
        matches = self._clients.get(name.casefold(), [])
        return matches[0] if len(matches) == 1 else None

    def client(
        self, row: Row, column: str, *, write: bool = False, partner: bool = False
    ) -> Client | None:
        """The client named in ``column`` (exact name, any case), or ``None`` with the reason
        recorded on the row. ``write`` also requires that the importer may change it."""
        name = row.values.get(column)
        if not name:
            return None
        matches = self._clients.get(name.casefold(), [])
        if not matches:
            where = "" if may_import_into_any_book(self.actor) else " in your book"
            row.fail(f'{column}: there is no client named "{name}"{where}.')
            return None
        if len(matches) > 1:
            row.fail(
                f'{column}: {len(matches)} clients are named "{name}"; rename them so each '
                "name identifies one client."
            )
            return None
        client = matches[0]
        if write and self.actor is not None and not can_write_client(self.actor, client):
            row.fail(f'{column}: you may not import records for "{name}", which you do not own.')
            return None
        if partner and client.relationship_type != RelationshipType.PARTNER:
            row.fail(f'{column}: "{name}" is not a partner (its relationship type is not partner).')
            return None
        return client

    def resolve_clients(self, rows: list[Row], column: str, *, partner: bool = False) -> list[Row]:
        """Set ``row.client`` from ``column`` on every row, requiring write access to it; the
        rows still without a problem, each with its client."""
        for row in rows:
            if row.ok:
                row.client = self.client(row, column, write=True, partner=partner)
        return [row for row in rows if row.ok]

    # --- users --------------------------------------------------------------------------------

    @cached_property
    def _users(self) -> dict[str, User]:
        return {
            user.email.casefold(): user
            for user in User.objects.only("id", "email", "is_active", "role", "full_name")
        }

    def user(self, row: Row, column: str, *, active: bool = False) -> User | None:
        """The user ``column`` names, or ``None`` with the reason recorded on the row.

        Every user column says who owns or did something (owner, logged_by, changed_by...).
        The page rule holds here too: anyone but an administrator acts only as themself, so
        a BRM's file naming anyone else is refused, and whether that address exists is not
        revealed.
        """
        email = row.values.get(column)
        if not email:
            return None
        if not may_import_into_any_book(self.actor) and not may_act_as(self.actor, email):
            row.fail(f"{column}: you may name only yourself ({self.actor.email}) here.")
            return None
        user = self._users.get(email.casefold())
        if user is None:
            row.fail(f'{column}: there is no user with the e-mail "{email}".')
            return None
        if active and not user.is_active:
            row.fail(f"{column}: {email} is not an active user.")
            return None
        return user

    # --- ownership spans, for crediting events ------------------------------------------------

    def load_timelines(self, clients: Iterable[Client]) -> None:
        ids = {client.pk for client in clients} - self._timelines.keys()
        spans: dict[int, list[ClientOwnership]] = defaultdict(list)
        for span in ClientOwnership.objects.filter(client_id__in=ids).only(
            "client_id", "owner_id", "started_at"
        ):
            spans[span.client_id].append(span)
        for client_id in ids:
            self._timelines[client_id] = OwnershipTimeline(spans[client_id])

    def owner_id_at(self, client: Client, when: date | datetime) -> int:
        """Who owned ``client`` at ``when``, as ``crm.attribution.owner_id_at`` answers it."""
        if client.pk not in self._timelines:
            self.load_timelines([client])
        owner_id = self._timelines[client.pk].owner_id_at(when)
        return owner_id if owner_id is not None else client.owner_id

    # --- the e-mail suppression list -----------------------------------------------------------

    def warn_if_suppressed(self, rows: Iterable[Row], column: str) -> None:
        """Warn on every row whose address in ``column`` is on the suppression list: the
        contact is imported, but no survey will be sent to it (an import never lifts it)."""
        keys = {normalise_email(row.values.get(column) or "") for row in rows} - {""}
        listed = {s.address: s for s in EmailSuppression.objects.filter(address__in=keys)}
        for row in rows:
            suppression = listed.get(normalise_email(row.values.get(column) or ""))
            if suppression is not None:
                row.warn(
                    f"{column}: {row.values[column]} is on the e-mail suppression list "
                    f"({suppression.explanation}); no survey will be sent to this contact."
                )

    # --- contacts -----------------------------------------------------------------------------

    def contacts_by_name(self, clients: Iterable[Client]) -> dict[tuple[int, str], list[int]]:
        """Contact ids of ``clients`` keyed by (client id, name folded to one case)."""
        index: dict[tuple[int, str], list[int]] = defaultdict(list)
        for contact_id, client_id, name in Contact.objects.filter(
            client__in={client.pk for client in clients}
        ).values_list("id", "client_id", "name"):
            index[(client_id, name.casefold())].append(contact_id)
        return index


def contact_id(
    row: Row, column: str, name: str, index: dict[tuple[int, str], list[int]]
) -> int | None:
    """The id of the row client's contact called ``name``; a missing or ambiguous one is an
    error on the row."""
    ids = index.get((row.client.pk, name.casefold()), [])
    if len(ids) == 1:
        return ids[0]
    if ids:
        row.fail(f'{column}: {row.client} has {len(ids)} contacts named "{name}".')
    else:
        row.fail(f'{column}: {row.client} has no contact named "{name}".')
    return None
