"""Writes to the relationship book. Views, forms, tasks and commands call these."""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User, normalise_email
from crm.attribution import owner_id_at, restamp_client_events
from crm.models import (
    TWO_WAY_KINDS,
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
    FollowUpDueChange,
    GoalReview,
    Interaction,
    LifecycleStatus,
    LostReason,
    PartnerCertification,
    PartnerReferral,
    Product,
    Project,
    RelationshipType,
    RevenueLine,
    SharedGoal,
    StageKind,
    SupportIssue,
)


def _require_partner(client: Client) -> None:
    if client.relationship_type != RelationshipType.PARTNER:
        raise ValidationError({"partner": f"{client} is not a partner."})


def _save(instance):
    instance.full_clean()
    instance.save()
    return instance


def _save_credited(model, *, client: Client, at: date | datetime, client_field="client", **fields):
    """Validate and save a new ``model`` event of ``client`` (in ``client_field``), credited to
    the BRM who owned the client ``at`` the event's date or time."""
    return _save(model(**{client_field: client}, owner_id=owner_id_at(client, at), **fields))


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
    FollowUp.objects.filter(client=client).open().update(owner=new_owner)
    restamp_client_events(client)
    return ownership


@transaction.atomic
def clients_reassign(
    *, clients: list[Client], new_owner: User, by: User | None = None, reason: str = ""
) -> list[ClientOwnership]:
    """Hand every one of ``clients`` to ``new_owner`` at one instant, or none of them: the first
    refusal (an inactive owner, a reassignment before the current ownership began) rolls all
    back. Clients ``new_owner`` already owns are left as they are. Each change keeps its
    history (ownership span, edit-history row) as ``client_reassign`` does."""
    at = timezone.now()
    return [
        client_reassign(client=client, new_owner=new_owner, at=at, by=by, reason=reason)
        for client in clients
        if client.owner_id != new_owner.pk
    ]


def _client_status_change(
    *, client: Client, status: str, on: date, reason: str, by: User | None
) -> ClientStatusChange:
    if on > timezone.localdate():
        # The engine reads the status in force on each day: a churn dated ahead would count the
        # client active until then and make reactivating them now impossible.
        raise ValidationError("A status change cannot be dated in the future.")
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
    """Mark ``client`` churned from ``on``; emits ``client_churned`` after commit."""
    if not reason.strip():
        raise ValidationError("Say why the client churned.")
    change = _client_status_change(
        client=client,
        status=LifecycleStatus.CHURNED,
        on=on or timezone.localdate(),
        reason=reason,
        by=by,
    )
    from crm.signals import client_churned

    transaction.on_commit(
        lambda: client_churned.send(Client, client_id=change.client_id, status_change_id=change.pk)
    )
    return change


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
    """The person asked for no more surveys: the contact is marked and its address suppressed,
    so every other contact with the same address (any case, any client) is left alone too."""
    if not contact.opted_out_of_surveys:
        contact.opted_out_of_surveys = True
        contact.opted_out_at = timezone.now()
        contact.save(update_fields=["opted_out_of_surveys", "opted_out_at"])
    email_suppress(address=contact.email, reason=EmailSuppression.Reason.OPTED_OUT)
    return contact


def email_suppress(
    *, address: str, reason: str, detail: str = "", at: datetime | None = None
) -> EmailSuppression | None:
    """Put ``address`` (any case or spacing) on the suppression list; no survey goes to it
    again. An address already listed keeps its first reason and date. ``None`` for a blank
    address, which has nothing to suppress."""
    key = normalise_email(address)
    if not key:
        return None
    suppression, _ = EmailSuppression.objects.get_or_create(
        address=key,
        defaults={"reason": reason, "detail": detail[:300], "created_at": at or timezone.now()},
    )
    return suppression


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
    new_contact: str = "",
    in_reply_to: Interaction | None = None,
    follow_up_title: str = "",
    follow_up_due_on: date | None = None,
) -> Interaction:
    """Log an interaction, credited to whoever owned the client when it happened, optionally
    with a follow-up for the client's current owner. ``new_contact`` (a name) is added to the
    client's contacts and to the people involved."""
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
    interaction = _save_credited(
        Interaction,
        client=client,
        at=occurred_at,
        logged_by=logged_by,
        kind=kind,
        direction=direction,
        occurred_at=occurred_at,
        topic=topic,
        summary=summary,
        in_reply_to=in_reply_to,
    )
    contacts = list(contacts or [])
    if new_contact.strip():
        contacts.append(contact_create(client=client, name=new_contact.strip()))
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
    """The direction of an interaction logged without one: a note is internal, a meeting or
    an attended event two-way, anything else (a call, an e-mail, a message) outbound."""
    if kind == Interaction.Kind.NOTE:
        return Interaction.Direction.INTERNAL
    if kind in TWO_WAY_KINDS:
        return Interaction.Direction.TWO_WAY
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
    """A new open follow-up. Raises ValidationError when ``due_on`` is before the relationship
    started or more than five years away."""
    _check_due_on(client, due_on)
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


# A due date further away than this is a typo, not a plan.
FOLLOW_UP_HORIZON_DAYS = 5 * 366


def _check_due_on(follow_up_client: Client, due_on: date, *, field: str = "due_on") -> None:
    """Refuse a due date before the relationship started or years away."""
    if due_on < follow_up_client.relationship_started_on:
        raise ValidationError(
            {
                field: "A follow-up cannot be due before the relationship started "
                f"({follow_up_client.relationship_started_on:%d %b %Y})."
            }
        )
    if due_on > timezone.localdate() + timezone.timedelta(days=FOLLOW_UP_HORIZON_DAYS):
        raise ValidationError({field: "A follow-up cannot be due more than five years away."})


def _locked_follow_up(follow_up: FollowUp) -> FollowUp:
    return FollowUp.objects.select_for_update().select_related("client").get(pk=follow_up.pk)


def _stamp(instance, by: User | None):
    """Credit the edit-history row this save writes to ``by`` (the request's user otherwise)."""
    if by is not None:
        instance._history_user = by
    return instance


@transaction.atomic
def follow_up_complete(
    *, follow_up: FollowUp, outcome: str = "", at: datetime | None = None, by: User | None = None
) -> FollowUp:
    """Mark a follow-up done. Completing it twice keeps the first completion time; a cancelled
    follow-up cannot be completed (reopen it first)."""
    locked = _locked_follow_up(follow_up)
    if locked.is_cancelled:
        raise ValidationError("This follow-up was cancelled; reopen it before completing it.")
    if locked.done_at is None:
        locked.done_at = at or timezone.now()
        locked.outcome = outcome
    elif outcome and not locked.outcome:
        locked.outcome = outcome
    else:
        return locked
    return _save(_stamp(locked, by))


@transaction.atomic
def follow_ups_complete(
    *, follow_ups: list[FollowUp], outcome: str = "", by: User | None = None
) -> list[FollowUp]:
    """Mark every one of ``follow_ups`` done at one instant, or none of them: a cancelled one
    refuses (ValidationError naming it) and rolls the others back."""
    at = timezone.now()
    done = []
    for follow_up in follow_ups:
        try:
            done.append(follow_up_complete(follow_up=follow_up, outcome=outcome, at=at, by=by))
        except ValidationError as error:
            raise ValidationError(f"“{follow_up.title}”: {' '.join(error.messages)}") from None
    return done


@transaction.atomic
def follow_up_reschedule(
    *,
    follow_up: FollowUp,
    due_on: date,
    by: User | None = None,
    at: datetime | None = None,
    reason: str = "",
) -> FollowUpDueChange:
    """Move an open follow-up's due date to ``due_on`` and record the move.

    Rescheduling is history, not a reset (docs/kpis.md ``follow_up_on_time_rate``): when the
    due date in force had already passed on the local date of ``at``, the follow-up keeps being
    judged against the first date it missed (``missed_due_on``). Snoozing is this service.

    Raises ValidationError when the follow-up is done or cancelled, the date is unchanged,
    before the relationship started, in the past, or more than five years away.
    """
    locked = _locked_follow_up(follow_up)
    if due_on == locked.due_on:
        raise ValidationError({"due_on": f"It is already due on {due_on:%d %b %Y}."})
    change = _move_due_on(locked, due_on, by=by, at=at or timezone.now(), reason=reason)
    _save(_stamp(locked, by))
    return change


def _move_due_on(
    locked: FollowUp, due_on: date, *, by: User | None, at: datetime, reason: str = ""
) -> FollowUpDueChange:
    """Record the move of ``locked`` (a row-locked follow-up) to ``due_on`` and set its fields;
    the caller saves it."""
    if not locked.is_open:
        raise ValidationError("Only an open follow-up can be rescheduled.")
    _check_due_on(locked.client, due_on)
    moved_on = timezone.localdate(at)
    if due_on < moved_on:
        raise ValidationError({"due_on": "A follow-up cannot be rescheduled into the past."})
    was_overdue = moved_on > locked.due_on
    change = FollowUpDueChange.objects.create(
        follow_up=locked,
        from_due_on=locked.due_on,
        to_due_on=due_on,
        changed_at=at,
        changed_by=by,
        was_overdue=was_overdue,
        reason=reason,
    )
    if was_overdue and locked.missed_due_on is None:
        locked.missed_due_on = locked.due_on
    locked.due_on = due_on
    return change


@transaction.atomic
def follow_up_cancel(
    *, follow_up: FollowUp, reason: str, by: User | None = None, at: datetime | None = None
) -> FollowUp:
    """Cancel an open follow-up with a reason. It then counts in the on-time rate only if it was
    cancelled after it fell due, and then as missed.

    Raises ValidationError without a reason or when the follow-up is done or cancelled."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the follow-up is cancelled."})
    locked = _locked_follow_up(follow_up)
    if not locked.is_open:
        raise ValidationError("Only an open follow-up can be cancelled.")
    locked.cancelled_at = at or timezone.now()
    locked.cancel_reason = reason
    locked.cancelled_by = by
    return _save(_stamp(locked, by))


@transaction.atomic
def follow_up_reopen(*, follow_up: FollowUp, by: User | None = None) -> FollowUp:
    """Undo "done" (or a cancellation): the follow-up is open again with its due date, which
    may now be past (then it is overdue). Raises ValidationError when it is already open."""
    locked = _locked_follow_up(follow_up)
    if locked.is_open:
        raise ValidationError("This follow-up is already open.")
    locked.done_at = None
    locked.outcome = ""
    locked.cancelled_at = None
    locked.cancel_reason = ""
    locked.cancelled_by = None
    return _save(_stamp(locked, by))


@transaction.atomic
def follow_up_update(
    *,
    follow_up: FollowUp,
    title: str,
    due_on: date | None = None,
    outcome: str | None = None,
    by: User | None = None,
) -> FollowUp:
    """Edit a follow-up's title (and a done one's outcome). A different ``due_on`` is a
    reschedule and is recorded as one (see ``follow_up_reschedule``)."""
    locked = _locked_follow_up(follow_up)
    if due_on is not None and due_on != locked.due_on:
        _move_due_on(locked, due_on, by=by, at=timezone.now())
    locked.title = title
    if outcome is not None and locked.is_done:
        locked.outcome = outcome
    return _save(_stamp(locked, by))


# --- Support issues ---------------------------------------------------------------------------


def sla_hours_for(priority: str) -> int:
    return settings.SUPPORT_SLA_HOURS[priority]


@transaction.atomic
def support_issue_open(
    *,
    client: Client,
    title: str,
    priority: str,
    opened_at: datetime | None = None,
    contact: Contact | None = None,
) -> SupportIssue:
    """Open an issue with the SLA in force for its priority now, credited to the owner then."""
    opened_at = opened_at or timezone.now()
    return _save_credited(
        SupportIssue,
        client=client,
        at=opened_at,
        title=title,
        priority=priority,
        sla_hours=sla_hours_for(priority),
        opened_at=opened_at,
        contact=contact,
    )


@transaction.atomic
def support_issue_respond(*, issue: SupportIssue, at: datetime | None = None) -> SupportIssue:
    """Record the first response. Later responses do not move it."""
    at = at or timezone.now()
    if at < issue.opened_at:
        raise ValidationError("A response cannot come before the issue was opened.")
    SupportIssue.objects.filter(pk=issue.pk, first_response_at__isnull=True).update(
        first_response_at=at, status=SupportIssue.Status.ANSWERED
    )
    issue.refresh_from_db()
    return issue


@transaction.atomic
def support_issue_resolve(*, issue: SupportIssue, at: datetime | None = None) -> SupportIssue:
    """Resolve an issue; resolving without a prior response counts the resolution as the first
    response. Resolving twice keeps the first resolution. Emits ``issue_resolved`` after commit
    (surveys send CSAT on it)."""
    at = at or timezone.now()
    if at < issue.opened_at:
        raise ValidationError("An issue cannot be resolved before it was opened.")
    if issue.first_response_at is None:
        support_issue_respond(issue=issue, at=at)
    updated = SupportIssue.objects.filter(pk=issue.pk, resolved_at__isnull=True).update(
        resolved_at=at, status=SupportIssue.Status.RESOLVED
    )
    issue.refresh_from_db()
    if updated:
        from crm.signals import issue_resolved

        transaction.on_commit(lambda: issue_resolved.send(SupportIssue, issue_id=issue.pk))
    return issue


# --- Deals ------------------------------------------------------------------------------------


def first_open_stage() -> DealStage:
    stage = DealStage.objects.filter(kind=StageKind.OPEN).order_by("position").first()
    if stage is None:
        raise ValidationError("Configure at least one open pipeline stage first.")
    return stage


@transaction.atomic
def deal_create(
    *,
    client: Client,
    title: str,
    value,
    kind: str = Deal.Kind.NEW,
    stage: DealStage | None = None,
    created_at: datetime | None = None,
    created_by: User | None = None,
    partner: Client | None = None,
    partner_role: str = "",
    expected_close_on: date | None = None,
) -> Deal:
    created_at = created_at or timezone.now()
    stage = stage or first_open_stage()
    if stage.is_terminal:
        raise ValidationError("A new deal starts in an open stage.")
    if partner is not None:
        _require_partner(partner)
    owner_id = owner_id_at(client, created_at)
    deal = _save(
        Deal(
            client=client,
            owner_id=owner_id,
            title=title,
            kind=kind,
            value=value,
            created_at=created_at,
            stage=stage,
            partner=partner,
            partner_role=partner_role or (Deal.PartnerRole.SOURCED if partner else ""),
            expected_close_on=expected_close_on,
        )
    )
    DealStageChange.objects.create(
        deal=deal,
        owner_id=owner_id,
        from_stage=None,
        to_stage=stage,
        changed_at=created_at,
        changed_by=created_by,
    )
    return deal


@transaction.atomic
def deal_move(
    *,
    deal: Deal,
    to_stage: DealStage,
    at: datetime | None = None,
    by: User | None = None,
    lost_reason: LostReason | None = None,
    lost_note: str = "",
) -> DealStageChange:
    """Move a deal to another stage, recording when it entered and left the stage it was in.
    Won and lost are terminal: a closed deal does not move again. A move to a lost stage keeps
    ``lost_reason`` and ``lost_note`` (the pages ask for one; imports may have none)."""
    at = at or timezone.now()
    if (lost_reason or lost_note) and to_stage.kind != StageKind.LOST:
        raise ValidationError("Only a lost deal has a lost reason.")
    # Lock the deal row alone: with a join, PostgreSQL re-checks the join against the stage
    # read before the lock was granted, so a concurrent move made the deal vanish
    # (DoesNotExist on a double click). The stage is read after the lock, from the fresh row.
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    if deal.stage.is_terminal:
        raise ValidationError(f"{deal} is already {deal.stage.name.lower()}; it cannot move.")
    if to_stage.pk == deal.stage_id:
        raise ValidationError(f"{deal} is already in {to_stage}.")
    last = deal.stage_changes.order_by("-changed_at", "-id").first()
    if last is not None and at < last.changed_at:
        raise ValidationError("A stage change cannot be dated before the previous one.")
    change = DealStageChange.objects.create(
        deal=deal,
        owner_id=owner_id_at(deal.client, at),
        from_stage=deal.stage,
        to_stage=to_stage,
        entered_from_at=last.changed_at if last else deal.created_at,
        changed_at=at,
        changed_by=by,
    )
    deal.stage = to_stage
    deal.closed_at = at if to_stage.is_terminal else None
    deal.lost_reason = lost_reason
    deal.lost_note = lost_note.strip()
    if by is not None:
        deal._history_user = by
    deal.save(update_fields=["stage", "closed_at", "lost_reason", "lost_note"])
    return change


# --- Revenue ----------------------------------------------------------------------------------


@transaction.atomic
def revenue_line_record(
    *,
    client: Client,
    product_name: str,
    recognised_on: date,
    amount,
    cost_to_serve=0,
    deal: Deal | None = None,
    description: str = "",
) -> RevenueLine:
    product, _ = Product.objects.get_or_create(name=product_name.strip())
    return _save_credited(
        RevenueLine,
        client=client,
        at=recognised_on,
        product=product,
        recognised_on=recognised_on,
        amount=amount,
        cost_to_serve=cost_to_serve,
        deal=deal,
        description=description,
    )


# --- Delivery, goals, feedback, partners ------------------------------------------------------


@transaction.atomic
def project_create(
    *, client: Client, name: str, due_on: date, started_on: date | None = None
) -> Project:
    return _save_credited(
        Project, client=client, at=due_on, name=name, due_on=due_on, started_on=started_on
    )


@transaction.atomic
def project_complete(*, project: Project, at: datetime | None = None) -> Project:
    """Complete a project once; emits ``project_completed`` after commit (surveys send CES)."""
    updated = Project.objects.filter(pk=project.pk, completed_at__isnull=True).update(
        completed_at=at or timezone.now()
    )
    project.refresh_from_db()
    if updated:
        from crm.signals import project_completed

        transaction.on_commit(lambda: project_completed.send(Project, project_id=project.pk))
    return project


@transaction.atomic
def shared_goal_create(*, client: Client, title: str, due_on: date) -> SharedGoal:
    return _save_credited(SharedGoal, client=client, at=due_on, title=title, due_on=due_on)


@transaction.atomic
def shared_goal_review(*, goal: SharedGoal, on: date | None = None, note: str = "") -> GoalReview:
    on = on or timezone.localdate()
    review = _save(GoalReview(goal=goal, reviewed_on=on, note=note))
    if goal.last_reviewed_on is None or on > goal.last_reviewed_on:
        goal.last_reviewed_on = on
        goal.save(update_fields=["last_reviewed_on"])
    return review


@transaction.atomic
def shared_goal_assess(*, goal: SharedGoal, met: bool, on: date | None = None) -> SharedGoal:
    goal.met = met
    goal.assessed_on = on or timezone.localdate()
    goal.save(update_fields=["met", "assessed_on"])
    return goal


@transaction.atomic
def feedback_item_record(*, client: Client, summary: str, received_on: date) -> FeedbackItem:
    return _save_credited(
        FeedbackItem, client=client, at=received_on, summary=summary, received_on=received_on
    )


@transaction.atomic
def feedback_item_close(
    *, item: FeedbackItem, outcome: str, on: date | None = None
) -> FeedbackItem:
    on = on or timezone.localdate()
    if on < item.received_on:
        raise ValidationError("Feedback cannot be closed before it was received.")
    item.closed_on = on
    item.outcome = outcome
    return _save(item)


@transaction.atomic
def partner_referral_record(
    *, partner: Client, lead_name: str, received_on: date, referred_client: Client | None = None
) -> PartnerReferral:
    _require_partner(partner)
    return _save_credited(
        PartnerReferral,
        client=partner,
        client_field="partner",
        at=received_on,
        lead_name=lead_name,
        received_on=received_on,
        referred_client=referred_client,
    )


@transaction.atomic
def partner_certification_record(
    *, partner: Client, name: str, valid_from: date, valid_until: date
) -> PartnerCertification:
    _require_partner(partner)
    return _save(
        PartnerCertification(
            partner=partner, name=name, valid_from=valid_from, valid_until=valid_until
        )
    )
