from celery import shared_task

from crm.health import record_heartbeat


@shared_task
def heartbeat() -> None:
    record_heartbeat()
