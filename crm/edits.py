"""Corrections to records already in the book: edit and delete, with who did it.

Each service validates the whole record (``full_clean``) before saving, so nothing is half
saved, and credits the edit-history row (django-simple-history, see ``crm.models``) to ``by``.
Fields that carry history of their own are not edited here: a follow-up's due date
(``crm.services.follow_up_reschedule``), a deal's stage (``deal_move``), a client's owner and
status (``client_reassign``, ``client_churn``). Views reach these after ``crm.access`` allowed
the write.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from crm.models import (
    Client,
    Contact,
    Deal,
    FeedbackItem,
    Interaction,
    PartnerCertification,
    PartnerReferral,
    Project,
    SharedGoal,
    SupportIssue,
)

# A date this far before today is a typo (records reach back at most this far).
OLDEST_YEARS = 30


def _apply(instance, by: User | None, **fields):
    """Set ``fields`` on ``instance``, validate the whole row, save it; the history row it
    leaves is credited to ``by``."""
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.full_clean()
    if by is not None:
        instance._history_user = by
    instance.save()
    return instance


def _check_day(day: date | None, field: str, *, not_after_today: bool = False) -> None:
    if day is None:
        return
    today = timezone.localdate()
    if day.year < today.year - OLDEST_YEARS or day.year > today.year + OLDEST_YEARS:
        raise ValidationError({field: f"{day:%d %b %Y} is too far from today to be right."})
    if not_after_today and day > today:
        raise ValidationError({field: "This date cannot be in the future."})


@transaction.atomic
def client_update(
    *,
    client: Client,
    by: User | None,
    name: str,
    relationship_type: str,
    industry: str = "",
    relationship_started_on: date,
) -> Client:
    """Correct a client's name, type, industry and relationship start. The start cannot move
    after the first recorded ownership or status (they begin with it)."""
    _check_day(relationship_started_on, "relationship_started_on", not_after_today=True)
    first_status = client.status_changes.order_by("effective_on").first()
    if first_status and relationship_started_on > first_status.effective_on:
        raise ValidationError(
            {
                "relationship_started_on": "The relationship cannot start after its first "
                f"status change ({first_status.effective_on:%d %b %Y})."
            }
        )
    return _apply(
        client,
        by,
        name=name.strip(),
        relationship_type=relationship_type,
        industry=industry.strip(),
        relationship_started_on=relationship_started_on,
    )


@transaction.atomic
def contact_update(
    *,
    contact: Contact,
    by: User | None,
    name: str,
    email: str = "",
    phone: str = "",
    role: str = "",
) -> Contact:
    return _apply(contact, by, name=name.strip(), email=email, phone=phone.strip(), role=role)


@transaction.atomic
def interaction_update(
    *,
    interaction: Interaction,
    by: User | None,
    topic: str,
    summary: str,
    contacts: list[Contact] | None = None,
) -> Interaction:
    """Correct what an interaction was about and who was involved. When it happened, and who
    it is credited to, stay as logged."""
    if not topic.strip() and not summary.strip():
        raise ValidationError("Give a topic or a summary, so you know later what this was.")
    if contacts is not None and any(c.client_id != interaction.client_id for c in contacts):
        raise ValidationError({"contacts": "Contacts must belong to the client."})
    _apply(interaction, by, topic=topic.strip(), summary=summary.strip())
    if contacts is not None:
        interaction.contacts.set(contacts)
    return interaction


@transaction.atomic
def interaction_delete(*, interaction: Interaction, by: User | None) -> None:
    """Delete a logged interaction; its history keeps what it was. Follow-ups logged with it
    stay (they lose the link); replies to it stop being replies."""
    if by is not None:
        interaction._history_user = by
    interaction.delete()


@transaction.atomic
def support_issue_update(
    *, issue: SupportIssue, by: User | None, title: str, priority: str, description: str = ""
) -> SupportIssue:
    """Edit title and priority. The SLA stays the one fixed when the issue was opened, as the
    engine expects: a later priority change never restates whether it was met."""
    return _apply(issue, by, title=title.strip(), priority=priority, description=description)


@transaction.atomic
def deal_update(
    *,
    deal: Deal,
    by: User | None,
    title: str,
    kind: str,
    value,
    expected_close_on: date | None = None,
    probability: int | None = None,
) -> Deal:
    """Edit a deal's value, kind, title, expected close date and probability (percent)."""
    _check_day(expected_close_on, "expected_close_on")
    return _apply(
        deal,
        by,
        title=title.strip(),
        kind=kind,
        value=value,
        expected_close_on=expected_close_on,
        probability=probability,
    )


@transaction.atomic
def project_update(
    *,
    project: Project,
    by: User | None,
    name: str,
    due_on: date,
    started_on: date | None = None,
) -> Project:
    _check_day(due_on, "due_on")
    _check_day(started_on, "started_on")
    if started_on and started_on > due_on:
        raise ValidationError({"due_on": "A project cannot be due before it started."})
    return _apply(project, by, name=name.strip(), due_on=due_on, started_on=started_on)


@transaction.atomic
def shared_goal_update(
    *, goal: SharedGoal, by: User | None, title: str, due_on: date
) -> SharedGoal:
    _check_day(due_on, "due_on")
    return _apply(goal, by, title=title.strip(), due_on=due_on)


@transaction.atomic
def feedback_item_update(
    *, item: FeedbackItem, by: User | None, summary: str, received_on: date
) -> FeedbackItem:
    _check_day(received_on, "received_on", not_after_today=True)
    if item.closed_on and received_on > item.closed_on:
        raise ValidationError({"received_on": "Feedback cannot be received after it was closed."})
    return _apply(item, by, summary=summary.strip(), received_on=received_on)


@transaction.atomic
def partner_referral_update(
    *,
    referral: PartnerReferral,
    by: User | None,
    lead_name: str,
    received_on: date,
    referred_client: Client | None = None,
) -> PartnerReferral:
    _check_day(received_on, "received_on", not_after_today=True)
    return _apply(
        referral,
        by,
        lead_name=lead_name.strip(),
        received_on=received_on,
        referred_client=referred_client,
    )


@transaction.atomic
def partner_certification_update(
    *,
    certification: PartnerCertification,
    by: User | None,
    name: str,
    valid_from: date,
    valid_until: date,
) -> PartnerCertification:
    _check_day(valid_from, "valid_from")
    _check_day(valid_until, "valid_until")
    if valid_until < valid_from:
        raise ValidationError({"valid_until": "A certification cannot end before it starts."})
    return _apply(
        certification, by, name=name.strip(), valid_from=valid_from, valid_until=valid_until
    )
