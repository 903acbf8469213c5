"""Writes for surveys: invitations sent through the outbox, answers, exclusions, closing the loop.

E-mail is a transactional outbox: an ``OutboundEmail`` row is written in the same transaction as
the invitation (or alert) that needs it, a Celery task is queued on commit with its id, and a
periodic sweeper retries what is due. A guarded UPDATE claims each row before sending, so a task
that runs twice, or two workers racing, send it once.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from smtplib import SMTPRecipientsRefused
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.models import User, normalise_email
from crm.attribution import owner_id_at
from crm.calendar import add_business_days
from crm.input_rules import header_safe
from crm.models import (
    Contact,
    EmailSuppression,
    FollowUp,
    Project,
    SupportIssue,
    email_key,
)
from crm.services import email_suppress, follow_up_create
from surveys.models import (
    LINK_TOKEN_PLACEHOLDER,
    SCALES,
    Invitation,
    OutboundEmail,
    Response,
    SurveyExclusion,
    SurveyKind,
    SurveyQuestion,
    hash_token,
)
from surveys.selectors import (
    contact_survey_status,
    contacts_eligible_for_survey,
    survey_email_block,
)

logger = logging.getLogger(__name__)


class InvitationExpired(Exception):
    """The invitation's link is past its expiry: nothing can be answered through it."""


class AnswerLocked(Exception):
    """The answer is older than the window in which answering again updates it."""


def _save(instance):
    instance.full_clean()
    instance.save()
    return instance


def new_token() -> str:
    """256 random bits, URL-safe. Only its hash is kept (``hash_token``)."""
    return secrets.token_urlsafe(32)


def check_score(*, kind: str, score: int) -> None:
    low, high = SCALES[kind]
    if not low <= score <= high:
        raise ValidationError(
            {"score": f"Choose a score from {low} to {high}; {score} is not on this scale."}
        )


# --- The outbox -----------------------------------------------------------------------------------


def _queue_email(
    *,
    purpose: str,
    to: str,
    subject: str,
    text_body: str,
    html_body: str = "",
    headers: dict[str, str] | None = None,
    invitation: Invitation | None = None,
    link_token: str = "",
) -> OutboundEmail:
    """Write the e-mail to the outbox and queue its sending once the caller's transaction
    commits; if the transaction rolls back, neither the e-mail nor the task exists."""
    from surveys import tasks

    email = _save(
        OutboundEmail(
            purpose=purpose,
            invitation=invitation,
            to=to,
            subject=header_safe(subject),
            text_body=text_body,
            html_body=html_body,
            headers=headers or {},
            link_token=link_token,
        )
    )
    transaction.on_commit(lambda: _enqueue(tasks.send_outbound_email, email.pk))
    return email


def _enqueue(task, email_id: int) -> None:
    try:
        task.delay(email_id)
    except OperationalError:
        # The row is committed: the periodic sweeper sends it once the broker is back, so the
        # person's request must not fail over it.
        logger.exception("Could not queue e-mail %s; the outbox sweeper will send it.", email_id)


def _claim(email: OutboundEmail, now: datetime) -> bool:
    """Take ``email`` for sending: act only if this UPDATE changed exactly one row, i.e. nobody
    else claimed it since we read it. The claim is a lease: if our worker dies mid-send, the
    sweeper may claim it again once ``next_attempt_at`` passes."""
    claimable = (
        OutboundEmail.Status.QUEUED,
        OutboundEmail.Status.FAILED,
        OutboundEmail.Status.SENDING,
    )
    if email.status not in claimable or email.next_attempt_at > now:
        return False
    changed = OutboundEmail.objects.filter(
        pk=email.pk, status=email.status, attempts=email.attempts
    ).update(
        status=OutboundEmail.Status.SENDING,
        attempts=email.attempts + 1,
        next_attempt_at=now + timedelta(seconds=settings.SURVEY_EMAIL_LEASE_SECONDS),
    )
    if changed == 1:
        email.attempts += 1
        email.status = OutboundEmail.Status.SENDING
    return changed == 1


def _with_token(text: str, token: str) -> str:
    return text.replace(LINK_TOKEN_PLACEHOLDER, token) if token else text


def outbox_message_id(email: OutboundEmail) -> str:
    """The same Message-ID on every attempt to send one outbox row. Delivery is at-least-once
    (a worker can die after the mail server accepted a message and before the outcome is
    written); a repeat carries the same id, which mail clients and the dev mailbox collapse."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<outbox-{email.pk}.{int(email.created_at.timestamp())}@{domain}>"


def _deliver(email: OutboundEmail) -> None:
    # Headers are made safe here, where every e-mail passes: a client named with a line break
    # must not make Django refuse the message, or the alert dies and never reaches the BRM.
    headers = {
        header_safe(key): header_safe(_with_token(value, email.link_token), limit=998)
        for key, value in email.headers.items()
    }
    headers["Message-ID"] = outbox_message_id(email)
    message = EmailMultiAlternatives(
        subject=header_safe(email.subject),
        body=_with_token(email.text_body, email.link_token),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[header_safe(email.to)],
        headers=headers,
    )
    if email.html_body:
        message.attach_alternative(_with_token(email.html_body, email.link_token), "text/html")
    message.send()


def outbound_email_send(*, email_id: int) -> bool:
    """Send one outbox e-mail if it is due and nobody else is sending it. True if it went out.

    Not atomic on purpose: the claim commits before the slow network call, and the outcome is
    written after it, so a crash in between leaves a visible ``sending`` row with a lease.
    """
    now = timezone.now()
    email = OutboundEmail.objects.filter(pk=email_id).first()
    if email is None or not _claim(email, now):
        return False
    if email.purpose in _SURVEY_PURPOSES:
        # Checked on every attempt, not only when queued: the person may have opted out, been
        # excluded or lost their client to churn while the e-mail waited or was retried.
        block = survey_email_block(email, now=now)
        if block:
            _finish(email, OutboundEmail.Status.SUPPRESSED, error=block)
            return False
    try:
        _deliver(email)
    except SMTPRecipientsRefused as exc:
        # The server refused the address itself: retrying cannot help.
        _finish(email, OutboundEmail.Status.BOUNCED, error=str(exc))
        _suppress_bounced(email, str(exc))
        return False
    except Exception as exc:  # any backend failure is one failed attempt, retried with back-off
        if email.attempts >= settings.SURVEY_EMAIL_MAX_ATTEMPTS:
            _finish(email, OutboundEmail.Status.DEAD, error=repr(exc))
        else:
            delay = settings.SURVEY_EMAIL_RETRY_BASE_SECONDS * 2 ** (email.attempts - 1)
            OutboundEmail.objects.filter(pk=email.pk, status=OutboundEmail.Status.SENDING).update(
                status=OutboundEmail.Status.FAILED,
                next_attempt_at=timezone.now() + timedelta(seconds=delay),
                last_error=repr(exc),
            )
            logger.warning(
                "E-mail %s to %s failed (attempt %s), retrying in %ss: %r",
                email.pk,
                email.to,
                email.attempts,
                delay,
                exc,
            )
        return False
    _finish(email, OutboundEmail.Status.SENT)
    return True


_SURVEY_PURPOSES = (OutboundEmail.Purpose.INVITATION, OutboundEmail.Purpose.REMINDER)

_INVITATION_STATUS_AFTER = {
    OutboundEmail.Status.DEAD: Invitation.Status.FAILED,
    OutboundEmail.Status.BOUNCED: Invitation.Status.BOUNCED,
    OutboundEmail.Status.SUPPRESSED: Invitation.Status.SUPPRESSED,
}


def _suppress_bounced(email: OutboundEmail, reason: str) -> None:
    """A survey address that bounced is not tried again by any later survey."""
    if email.purpose in _SURVEY_PURPOSES:
        email_suppress(
            address=email.to, reason=EmailSuppression.Reason.BOUNCED, detail=reason or "Bounced"
        )


@transaction.atomic
def _finish(email: OutboundEmail, status: str, *, error: str = "") -> None:
    """Record a final outcome. The link token is erased: it is no longer needed to send."""
    now = timezone.now()
    fields = {"status": status, "link_token": ""}
    if status == OutboundEmail.Status.SENT:
        fields["sent_at"] = now
    if error:
        fields["last_error"] = error
        logger.warning("E-mail %s to %s ended %s: %s", email.pk, email.to, status, error)
    OutboundEmail.objects.filter(pk=email.pk).update(**fields)
    if email.invitation_id is None or email.purpose == OutboundEmail.Purpose.ALERT:
        return
    invitation = Invitation.objects.filter(pk=email.invitation_id)
    if status == OutboundEmail.Status.SENT:
        if email.purpose == OutboundEmail.Purpose.INVITATION:
            invitation.filter(status=Invitation.Status.QUEUED).update(
                status=Invitation.Status.DELIVERED, delivered_at=now
            )
    elif (
        status == OutboundEmail.Status.BOUNCED or email.purpose == OutboundEmail.Purpose.INVITATION
    ):
        # A bounced reminder also tells the BRM the address stopped working; a reminder given
        # up on or suppressed leaves the delivered invitation as it was.
        invitation.update(status=_INVITATION_STATUS_AFTER[status])


@transaction.atomic
def outbound_email_bounce(*, email: OutboundEmail, reason: str) -> OutboundEmail:
    """Record a bounce reported after sending (by the mail provider or an administrator)."""
    if email.status not in (OutboundEmail.Status.SENT, OutboundEmail.Status.BOUNCED):
        raise ValidationError("Only an e-mail that was sent can bounce.")
    _finish(email, OutboundEmail.Status.BOUNCED, error=reason or "Bounced")
    _suppress_bounced(email, reason)
    email.refresh_from_db()
    return email


# --- Invitations ----------------------------------------------------------------------------------


def _site_url(view_name: str, *args) -> str:
    return settings.SITE_URL + reverse(view_name, args=args)


def _survey_email(*, invitation: Invitation, reminder: bool) -> dict[str, object]:
    """Subject, bodies and headers of a survey e-mail, with the token left as a placeholder."""
    answer_url = _site_url("survey_answer", LINK_TOKEN_PLACEHOLDER)
    unsubscribe_url = _site_url("survey_unsubscribe", LINK_TOKEN_PLACEHOLDER)
    low, high = invitation.scale
    context = {
        "invitation": invitation,
        "reminder": reminder,
        "answer_url": answer_url,
        "unsubscribe_url": unsubscribe_url,
        "score_links": [(score, f"{answer_url}?score={score}") for score in range(low, high + 1)],
    }
    subject = ("Reminder: " if reminder else "") + f"One quick question from {invitation.owner}"
    return {
        "subject": subject,
        "text_body": render_to_string("surveys/email/invitation.txt", context),
        "html_body": render_to_string("surveys/email/invitation.html", context),
        "headers": {
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Reply-To": invitation.owner.email,
        },
    }


@transaction.atomic
def invitation_send(
    *,
    contact: Contact,
    kind: str,
    trigger: str,
    support_issue: SupportIssue | None = None,
    project: Project | None = None,
    now: datetime | None = None,
) -> Invitation:
    """Invite ``contact`` to answer a ``kind`` survey by e-mail.

    Raises ValidationError saying why when the contact may not be surveyed now (see
    ``contacts_with_survey_status``). The e-mail goes through the outbox.
    """
    now = now or timezone.now()
    if kind not in SCALES:
        raise ValidationError({"kind": f"Unknown survey kind {kind!r}."})
    # Lock every contact with this address (one person) so two triggers firing at once, for
    # the same contact or two spellings of one address, cannot both pass the throttle.
    list(
        Contact.objects.select_for_update()
        .annotate(address=email_key())
        .filter(Q(pk=contact.pk) | Q(address=normalise_email(contact.email)) & ~Q(address=""))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    status = contact_survey_status(pk=contact.pk, now=now)
    if status is None:
        raise ValidationError("That contact no longer exists.")
    if status.survey_block:
        raise ValidationError(f"No survey sent: {status.name} {status.survey_block}.")
    client = status.client
    wording = SurveyQuestion.objects.get(kind=kind)
    token = new_token()
    invitation = _save(
        Invitation(
            contact=status,
            client=client,
            owner=client.owner,
            kind=kind,
            trigger=trigger,
            question=wording.question,
            low_label=wording.low_label,
            high_label=wording.high_label,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + timedelta(days=settings.SURVEY_EXPIRY_DAYS),
            support_issue=support_issue,
            project=project,
        )
    )
    _queue_email(
        purpose=OutboundEmail.Purpose.INVITATION,
        invitation=invitation,
        to=status.email,
        link_token=token,
        **_survey_email(invitation=invitation, reminder=False),
    )
    logger.info("Survey %s (%s) queued for contact %s", invitation.pk, kind, status.pk)
    return invitation


def _send_if_allowed(*, contact: Contact, **kwargs) -> Invitation | None:
    """Automatic triggers skip contacts the rules keep out, without failing the trigger."""
    try:
        return invitation_send(contact=contact, **kwargs)
    except ValidationError as exc:
        logger.info("Trigger %s skipped contact %s: %s", kwargs["trigger"], contact.pk, exc)
        return None


def invitations_for_issue_resolved(*, issue_id: int) -> list[Invitation]:
    """Ask the person who raised a resolved issue how it went (CSAT, or CES by setting)."""
    issue = SupportIssue.objects.select_related("contact").filter(pk=issue_id).first()
    if issue is None or issue.contact is None:
        logger.info("Resolved issue %s has no contact to survey.", issue_id)
        return []
    if Invitation.objects.filter(support_issue=issue).exists():
        return []
    invitation = _send_if_allowed(
        contact=issue.contact,
        kind=settings.SURVEY_ISSUE_RESOLVED_KIND,
        trigger=Invitation.Trigger.ISSUE_RESOLVED,
        support_issue=issue,
    )
    return [invitation] if invitation else []


def invitations_for_project_completed(*, project_id: int) -> list[Invitation]:
    """Ask the client's contacts how easy the completed project was to work with (CES)."""
    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        return []
    sent = []
    for contact in contacts_eligible_for_survey().filter(client_id=project.client_id):
        invitation = _send_if_allowed(
            contact=contact,
            kind=SurveyKind.CES,
            trigger=Invitation.Trigger.PROJECT_COMPLETED,
            project=project,
        )
        if invitation:
            sent.append(invitation)
    return sent


def relationship_nps_send(*, contact_id: int) -> Invitation | None:
    """The periodic relationship NPS for one contact; the throttle makes a re-run a no-op."""
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None:
        return None
    return _send_if_allowed(
        contact=contact, kind=SurveyKind.NPS, trigger=Invitation.Trigger.RELATIONSHIP_CYCLE
    )


@transaction.atomic
def invitation_remind(*, invitation_id: int, now: datetime | None = None) -> bool:
    """Send the one reminder of an unanswered invitation. A second call changes nothing."""
    now = now or timezone.now()
    token = new_token()
    claimed = Invitation.objects.filter(
        pk=invitation_id,
        status=Invitation.Status.DELIVERED,
        answered_at__isnull=True,
        reminder_sent_at__isnull=True,
        expires_at__gt=now,
        contact__opted_out_of_surveys=False,
    ).update(reminder_sent_at=now, reminder_token_hash=hash_token(token))
    if claimed != 1:
        return False
    invitation = Invitation.objects.select_related("contact", "owner").get(pk=invitation_id)
    _queue_email(
        purpose=OutboundEmail.Purpose.REMINDER,
        invitation=invitation,
        to=invitation.contact.email,
        link_token=token,
        **_survey_email(invitation=invitation, reminder=True),
    )
    return True


# --- Answers --------------------------------------------------------------------------------------


def invitation_open(*, invitation: Invitation, score: int | None = None) -> None:
    """Record a visit to the answer page and, from a score link, the score as provisional.

    Mail scanners follow every link in an e-mail, so a visit is never an answer.
    """
    now = timezone.now()
    if invitation.is_expired:
        raise InvitationExpired
    if score is not None:
        check_score(kind=invitation.kind, score=score)
    Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(opened_at=now)
    if score is not None:
        Invitation.objects.filter(pk=invitation.pk).update(
            provisional_score=score, provisional_at=now
        )


@transaction.atomic
def response_record(
    *, invitation: Invitation, score: int, comment: str = "", may_quote: bool = False
) -> Response:
    """Record the person's confirmed answer. Answering again within the edit window updates the
    same Response (it never counts twice); later, the answer is locked.

    Raises InvitationExpired, AnswerLocked, or ValidationError for a score off the scale.
    """
    now = timezone.now()
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("client__owner", "contact")
        .get(pk=invitation.pk)
    )
    if invitation.is_expired:
        raise InvitationExpired
    check_score(kind=invitation.kind, score=score)
    response = Response.objects.filter(invitation=invitation).first()
    if response is not None:
        if now > response.answered_at + timedelta(days=settings.SURVEY_ANSWER_EDIT_DAYS):
            raise AnswerLocked
        response.score, response.comment, response.may_quote = score, comment, may_quote
        response.updated_at = now
        response = _save(response)
    else:
        response = _save(
            Response(
                invitation=invitation,
                client=invitation.client,
                contact=invitation.contact,
                owner_id=owner_id_at(invitation.client, now),
                kind=invitation.kind,
                score=score,
                comment=comment,
                may_quote=may_quote,
                answered_at=now,
                updated_at=now,
                source=Response.Source.EMAIL,
            )
        )
        Invitation.objects.filter(pk=invitation.pk).update(answered_at=now)
    first_answer = response.answered_at == now
    if response.needs_closing_the_loop and response.follow_up_id is None:
        _open_the_loop(response=response, invitation=invitation, now=now)
    if first_answer:
        from surveys.signals import answer_recorded

        unhappy = response.needs_closing_the_loop
        transaction.on_commit(
            lambda: answer_recorded.send(
                Response, response_id=response.pk, needs_closing_the_loop=unhappy
            )
        )
    return response


def _open_the_loop(*, response: Response, invitation: Invitation, now: datetime) -> None:
    """An unhappy answer gets a follow-up for the client's current owner, due within the
    business-day allowance, and an e-mail alert through the outbox."""
    client = invitation.client
    owner = client.owner
    due_on = add_business_days(timezone.localdate(now), settings.CLOSE_LOOP_BUSINESS_DAYS)
    follow_up = follow_up_create(
        client=client,
        owner=owner,
        title=f"Call {invitation.contact} back about their {response.get_kind_display()} "
        f"answer of {response.score}",
        due_on=due_on,
        origin=FollowUp.Origin.SURVEY_DETRACTOR,
    )
    response.follow_up = follow_up
    response.save(update_fields=["follow_up"])
    context = {
        "response": response,
        "invitation": invitation,
        "owner": owner,
        "follow_up": follow_up,
        "client_url": _site_url("client_detail", client.pk),
    }
    _queue_email(
        purpose=OutboundEmail.Purpose.ALERT,
        invitation=invitation,
        to=owner.email,
        subject=f"Unhappy answer from {client}: {response.get_kind_display()} {response.score}",
        text_body=render_to_string("surveys/email/alert.txt", context),
    )
    logger.info("Detractor alert for response %s sent to user %s", response.pk, owner.pk)


# --- Exclusions -----------------------------------------------------------------------------------


@transaction.atomic
def survey_exclusion_create(*, contact: Contact, by: User, reason: str) -> SurveyExclusion:
    """Keep ``contact`` out of every survey until lifted. A reason is required; the row is the
    log, counted per BRM on the results page and the scorecard."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why this contact should not be surveyed."})
    Contact.objects.select_for_update().filter(pk=contact.pk).first()
    if SurveyExclusion.objects.filter(contact=contact, lifted_at__isnull=True).exists():
        raise ValidationError(f"{contact} is already excluded from surveys.")
    exclusion = _save(SurveyExclusion(contact=contact, excluded_by=by, reason=reason))
    logger.info("User %s excluded contact %s from surveys: %s", by.pk, contact.pk, reason)
    return exclusion


@transaction.atomic
def survey_exclusion_lift(*, exclusion: SurveyExclusion, by: User) -> SurveyExclusion:
    SurveyExclusion.objects.filter(pk=exclusion.pk, lifted_at__isnull=True).update(
        lifted_at=timezone.now(), lifted_by=by
    )
    exclusion.refresh_from_db()
    logger.info("User %s lifted survey exclusion %s", by.pk, exclusion.pk)
    return exclusion
