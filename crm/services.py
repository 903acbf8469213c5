"""Writes to the relationship book. Views, forms, tasks and commands call these."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from crm.attribution import owner_id_at, restamp_client_events
from crm.models import (
    Client,
    ClientOwnership,
    ClientStatusChange,
    Contact,
    FollowUp,
    Interaction,
    LifecycleStatus,
)


def _save(instance):
    instance.full_clean()
    instance.save()
    return instance


# --- Clients ----------------------------------------------------------------------------------


@transaction.atomic
def client_create(
    *,
    name: str,
    relationship_type: str,
    owner: User,
    relationship_started_on: date | None = None,
    created_by: User | None = None,
    **details,
) -> Client:
    """A new active client in ``owner``'s book, with its first ownership and status rows."""
    started_on = relationship_started_on or timezone.localdate()
    client = _save(
        Client(
            name=name,
            relationship_type=relationship_type,
            owner=owner,
            relationship_started_on=started_on,
            **details,
        )
    )
    start = timezone.make_aware(datetime.combine(started_on, datetime.min.time()))
    ClientOwnership.objects.create(
        client=client, owner=owner, started_at=start, changed_by=created_by
    )
    ClientStatusChange.objects.create(
        client=client,
        status=LifecycleStatus.ACTIVE,
        effective_on=started_on,
        reason="Relationship started",
        recorded_by=created_by,
    )
    return client


@transaction.atomic
def client_reassign(
    *,
    client: Client,
    new_owner: User,
    at: datetime | None = None,
    by: User | None = None,
    reason: str = "",
) -> ClientOwnership:
    """Hand ``client`` to ``new_owner`` from ``at`` on.

    Past events stay credited to the BRM who owned the client when they happened; open
    follow-ups move to the new owner, who now has to do them.
    """
    at = at or timezone.now()
    client = Client.objects.select_for_update().get(pk=client.pk)
    if client.owner_id == new_owner.pk:
        raise ValidationError(f"{client} is already owned by {new_owner}.")
    if not new_owner.is_active:
        raise ValidationError(f"{new_owner} is not an active user.")
    current = ClientOwnership.objects.filter(client=client, ended_at__isnull=True).first()
    if current is not None:
        if at <= current.started_at:
            raise ValidationError("A reassignment must come after the current ownership began.")
        current.ended_at = at
        current.save(update_fields=["ended_at"])
    ownership = ClientOwnership.objects.create(
        client=client, owner=new_owner, started_at=at, changed_by=by, reason=reason
    )
    client.owner = new_owner
    client.save(update_fields=["owner"])
    FollowUp.objects.filter(client=client, done_at__isnull=True).update(owner=new_owner)
    restamp_client_events(client)
    return ownership


def _client_status_change(
    *, client: Client, status: str, on: date, reason: str, by: User | None
) -> ClientStatusChange:
    client = Client.objects.select_for_update().get(pk=client.pk)
    if client.status == status:
        raise ValidationError(f"{client} is already {client.get_status_display().lower()}.")
    latest = client.status_changes.order_by("-effective_on", "-id").first()
    if latest is not None and on < latest.effective_on:
        raise ValidationError(
            f"The change must be dated on or after the last one ({latest.effective_on})."
        )
    change = _save(
        ClientStatusChange(
            client=client, status=status, effective_on=on, reason=reason, recorded_by=by
        )
    )
    client.status = status
    client.save(update_fields=["status"])
    return change


@transaction.atomic
def client_churn(
    *, client: Client, on: date | None = None, reason: str, by: User | None = None
) -> ClientStatusChange:
    if not reason.strip():
        raise ValidationError("Say why the client churned.")
    return _client_status_change(
        client=client,
        status=LifecycleStatus.CHURNED,
        on=on or timezone.localdate(),
        reason=reason,
        by=by,
    )


@transaction.atomic
def client_reactivate(
    *, client: Client, on: date | None = None, reason: str = "", by: User | None = None
) -> ClientStatusChange:
    return _client_status_change(
        client=client,
        status=LifecycleStatus.ACTIVE,
        on=on or timezone.localdate(),
        reason=reason or "Came back",
        by=by,
    )


# --- Contacts ---------------------------------------------------------------------------------


@transaction.atomic
def contact_create(*, client: Client, name: str, **details) -> Contact:
    return _save(Contact(client=client, name=name, **details))


@transaction.atomic
def contact_opt_out(*, contact: Contact) -> Contact:
    if not contact.opted_out_of_surveys:
        contact.opted_out_of_surveys = True
        contact.opted_out_at = timezone.now()
        contact.save(update_fields=["opted_out_of_surveys", "opted_out_at"])
    return contact


# --- Interactions and follow-ups --------------------------------------------------------------


@transaction.atomic
def interaction_log(
    *,
    client: Client,
    logged_by: User,
    kind: str,
    direction: str | None = None,
    occurred_at: datetime | None = None,
    topic: str = "",
    summary: str = "",
    contacts: list[Contact] | None = None,
    in_reply_to: Interaction | None = None,
    follow_up_title: str = "",
    follow_up_due_on: date | None = None,
) -> Interaction:
    """Log an interaction, credited to whoever owned the client when it happened, optionally
    with a follow-up for the client's current owner."""
    occurred_at = occurred_at or timezone.now()
    if occurred_at > timezone.now() + timezone.timedelta(minutes=5):
        raise ValidationError({"occurred_at": "An interaction cannot be logged in the future."})
    if direction is None:
        direction = default_direction(kind)
    if in_reply_to is not None:
        if in_reply_to.client_id != client.pk:
            raise ValidationError("A reply must belong to the same client as its message.")
        if in_reply_to.direction != Interaction.Direction.OUTBOUND:
            raise ValidationError("Only an outbound message can be replied to.")
        if occurred_at < in_reply_to.occurred_at:
            raise ValidationError("A reply cannot come before the message it answers.")
        direction = Interaction.Direction.INBOUND
    interaction = _save(
        Interaction(
            client=client,
            owner_id=owner_id_at(client, occurred_at),
            logged_by=logged_by,
            kind=kind,
            direction=direction,
            occurred_at=occurred_at,
            topic=topic,
            summary=summary,
            in_reply_to=in_reply_to,
        )
    )
    if contacts:
        foreign = [c for c in contacts if c.client_id != client.pk]
        if foreign:
            raise ValidationError("Contacts must belong to the client.")
        interaction.contacts.set(contacts)
    if follow_up_title or follow_up_due_on:
        follow_up_create(
            client=client,
            owner=client.owner,
            title=follow_up_title or f"Follow up on {interaction.get_kind_display().lower()}",
            due_on=follow_up_due_on or timezone.localdate() + timezone.timedelta(days=7),
            origin=FollowUp.Origin.INTERACTION,
            interaction=interaction,
        )
    return interaction


def default_direction(kind: str) -> str:
    if kind == Interaction.Kind.NOTE:
        return Interaction.Direction.INTERNAL
    return Interaction.Direction.OUTBOUND


@transaction.atomic
def follow_up_create(
    *,
    client: Client,
    owner: User,
    title: str,
    due_on: date,
    origin: str = FollowUp.Origin.MANUAL,
    interaction: Interaction | None = None,
) -> FollowUp:
    return _save(
        FollowUp(
            client=client,
            owner=owner,
            title=title,
            due_on=due_on,
            origin=origin,
            interaction=interaction,
        )
    )


@transaction.atomic
def follow_up_complete(
    *, follow_up: FollowUp, outcome: str = "", at: datetime | None = None
) -> FollowUp:
    """Mark a follow-up done. Completing it twice keeps the first completion time."""
    updated = FollowUp.objects.filter(pk=follow_up.pk, done_at__isnull=True).update(
        done_at=at or timezone.now(), outcome=outcome
    )
    follow_up.refresh_from_db()
    if not updated and outcome and not follow_up.outcome:
        follow_up.outcome = outcome
        follow_up.save(update_fields=["outcome"])
    return follow_up
