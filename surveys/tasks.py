"""Celery tasks for surveys: thin, taking ids, safe to run twice (the services guard them)."""

from celery import shared_task

from surveys import selectors, services


def _fan_out(task, ids) -> None:
    """Queue ``task`` once per id, so each runs, fails and is retried on its own."""
    for pk in ids:
        task.delay(pk)


@shared_task(soft_time_limit=60, time_limit=90)
def send_outbound_email(email_id: int) -> None:
    services.outbound_email_send(email_id=email_id)


@shared_task(soft_time_limit=120, time_limit=150)
def sweep_outbox() -> None:
    """Queue every e-mail that is due: never sent, failed and due a retry, or stuck sending."""
    _fan_out(send_outbound_email, selectors.outbound_emails_due())


@shared_task(soft_time_limit=300, time_limit=330)
def send_relationship_nps() -> None:
    _fan_out(send_relationship_nps_to_contact, selectors.contacts_due_for_relationship_nps())


@shared_task(soft_time_limit=60, time_limit=90)
def send_relationship_nps_to_contact(contact_id: int) -> None:
    services.relationship_nps_send(contact_id=contact_id)


@shared_task(soft_time_limit=300, time_limit=330)
def send_reminders() -> None:
    _fan_out(send_reminder, selectors.invitations_due_for_reminder())


@shared_task(soft_time_limit=60, time_limit=90)
def send_reminder(invitation_id: int) -> None:
    services.invitation_remind(invitation_id=invitation_id)
