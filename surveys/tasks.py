"""Celery tasks for surveys: thin, taking ids, safe to run twice (the services guard them)."""

from celery import shared_task

from surveys import selectors, services


@shared_task(soft_time_limit=60, time_limit=90)
def send_outbound_email(email_id: int) -> None:
    services.outbound_email_send(email_id=email_id)


@shared_task(soft_time_limit=120, time_limit=150)
def sweep_outbox() -> None:
    """Queue every e-mail that is due: never sent, failed and due a retry, or stuck sending."""
    for email_id in selectors.outbound_emails_due():
        send_outbound_email.delay(email_id)


@shared_task(soft_time_limit=300, time_limit=330)
def send_relationship_nps() -> None:
    for contact_id in selectors.contacts_due_for_relationship_nps():
        send_relationship_nps_to_contact.delay(contact_id)


@shared_task(soft_time_limit=60, time_limit=90)
def send_relationship_nps_to_contact(contact_id: int) -> None:
    services.relationship_nps_send(contact_id=contact_id)


@shared_task(soft_time_limit=300, time_limit=330)
def send_reminders() -> None:
    for invitation_id in selectors.invitations_due_for_reminder():
        send_reminder.delay(invitation_id)


@shared_task(soft_time_limit=60, time_limit=90)
def send_reminder(invitation_id: int) -> None:
    services.invitation_remind(invitation_id=invitation_id)
