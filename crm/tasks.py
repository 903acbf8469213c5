from celery import shared_task

from crm.health import record_heartbeat
from crm.imports import jobs


@shared_task
def heartbeat() -> None:
    record_heartbeat()


@shared_task
def import_job_run(job_id: int) -> None:
    """Check or import an uploaded file (a job queued by the import page); safe to run twice."""
    jobs.import_job_run(job_id=job_id)


@shared_task
def prune_import_files() -> None:
    jobs.import_files_prune()
