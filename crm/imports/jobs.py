"""Import jobs: a file uploaded on the import page is stored and checked (a dry run) by a
background job, and imported by another once its owner confirms it. Writes only; what the
pages read of a job is ``import_job_progress`` and the job row itself.

Life of a job: ``queued`` when created (its task is queued after the commit), ``running`` once
a worker claims it, then ``done`` with the report (which may say the file was rejected), or
``failed`` if the job stopped on an unexpected error. Either way the import's own transaction
decides what is saved: all or nothing.

Progress goes to the cache, not the job row: the import holds one transaction open on the
worker's connection until the end, so a row written on it would be invisible to the pages
until then (and rolled back with a dry run). The cache (Redis, or the shared file cache) is
outside that transaction and shared by the web and the workers. A second connection would do
too, but would hold a database connection per running job for nothing.

The stored file: deleted when the job that reads it last is finished, that is after an import
(whatever its outcome) or a dry run that found problems. A file that passed its dry run waits
for its owner to confirm it, at most ``IMPORT_FILE_KEEP_HOURS``; ``import_files_prune`` (hourly)
deletes it after that.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from crm.access import may_confirm_import_job, require_importer
from crm.imports.services import ImportReport, LineError, records_import
from crm.input_rules import header_safe
from crm.models import ImportJob

logger = logging.getLogger(__name__)

# A running job's rows read, kept while a worker could still be on it.
_PROGRESS_SECONDS = 6 * 60 * 60


def _progress_key(job_id: int) -> str:
    return f"import-job-progress:{job_id}"


def import_job_progress(job: ImportJob) -> int:
    """Rows of ``job``'s file read so far: the worker's latest count while it runs."""
    if job.finished:
        return job.rows_done
    try:
        return int(cache.get(_progress_key(job.pk)) or 0)
    except Exception:
        # A cache that is down leaves the bar where it is; the job itself goes on.
        return job.rows_done


def _count_lines(upload: UploadedFile) -> int:
    lines = sum(chunk.count(b"\n") for chunk in upload.chunks())
    upload.seek(0)
    return lines


@transaction.atomic
def import_job_create(*, by: User, record_type: str, upload: UploadedFile) -> ImportJob:
    """Store ``upload`` and queue its dry run. Raises PermissionDenied for a user who may not
    import; the record type and the size are the upload form's to check."""
    require_importer(by)
    job = ImportJob(
        owner=by,
        record_type=record_type,
        file_name=header_safe(upload.name, limit=255),
        dry_run=True,
        rows_total=max(_count_lines(upload) - 1, 0),
    )
    # Stored under a name of ours: the storage makes it unique, and the user's name, shown on
    # the pages, never reaches the file system.
    job.file.save("upload.csv", upload, save=False)
    job.save()
    _queue(job)
    return job


@transaction.atomic
def import_job_confirm(*, job: ImportJob, by: User, again: bool = False) -> ImportJob:
    """Queue the import of the file ``job`` dry-ran, as its owner ``by``. Confirming twice
    gives the same import. Raises PermissionDenied for anyone but the owner, and
    ValidationError when the dry run did not pass, its file is gone, or it found the file
    imported before (``ImportReport.already_imported``) and ``again`` (the owner ticked
    "Import it again anyway") is not given. The import itself checks again for an earlier
    import, which may have happened since the dry run."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not may_confirm_import_job(by, job):
        raise PermissionDenied("Only the person who uploaded a file imports it.")
    existing = ImportJob.objects.filter(checked_by=job).first()
    if existing is not None:
        return existing
    report = ImportReport.from_json(job.report) if job.report else None
    if not job.dry_run or job.status != ImportJob.Status.DONE or report is None or not report.ok:
        raise ValidationError("Only a file whose dry run passed can be imported.")
    if report.already_imported and not again:
        raise ValidationError(
            f'{report.already_imported} Tick "Import it again anyway" to import it all the same.'
        )
    if not job.file:
        raise ValidationError(
            f"The checked file was kept for {settings.IMPORT_FILE_KEEP_HOURS} hours and has "
            "been deleted; upload it again."
        )
    confirmed = ImportJob.objects.create(
        owner=job.owner,
        record_type=job.record_type,
        file=job.file.name,
        file_name=job.file_name,
        dry_run=False,
        checked_by=job,
        rows_total=job.rows_total,
        import_again=again and bool(report.already_imported),
    )
    _queue(confirmed)
    return confirmed


def _queue(job: ImportJob) -> None:
    # Imported here: the task module imports this one to call the service.
    from crm.tasks import import_job_run as task

    transaction.on_commit(lambda: task.delay(job.pk))


def import_job_run(*, job_id: int) -> None:
    """Run job ``job_id`` unless it is finished or another delivery of the task is running it,
    so running this twice imports once.

    The job is marked running (committed, for its page), then its row is locked for the whole
    import, in the import's own transaction: a second delivery skips a locked job. If the
    worker dies, PostgreSQL rolls the import back and drops the lock, and the task, delivered
    again (``task_reject_on_worker_lost``), finds the job running but unlocked and runs it anew.
    The job's report and status commit with the import's records, or not at all."""
    ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now()
    )
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("owner")
            .filter(pk=job_id, status=ImportJob.Status.RUNNING)
            .first()
        )
        if job is None:
            return
        try:
            report = _run(job)
        except Exception:
            logger.exception("Import job %s stopped", job.pk)
            report = ImportReport(record_type=job.record_type, dry_run=job.dry_run)
            report.errors = [
                LineError(None, "The import stopped on an unexpected error; nothing was saved.")
            ]
            status = ImportJob.Status.FAILED
        else:
            status = ImportJob.Status.DONE
        job.status, job.report = status, report.as_json()
        job.rows_done, job.finished_at = report.row_count, timezone.now()
        job.save(update_fields=["status", "report", "rows_done", "finished_at"])
    if not (job.dry_run and report.ok):
        # Nothing will read this file again: imported, or refused by its dry run.
        _delete_file(job)
    cache.delete(_progress_key(job.pk))


def _run(job: ImportJob) -> ImportReport:
    def progress(rows: int) -> None:
        try:
            cache.set(_progress_key(job.pk), rows, timeout=_PROGRESS_SECONDS)
        except Exception:
            logger.warning("Progress of import job %s not recorded: the cache is down.", job.pk)

    try:
        with job.file.open("rb") as stream:
            return records_import(
                record_type=job.record_type,
                file=stream,
                by=job.owner,
                dry_run=job.dry_run,
                file_name=job.file_name,
                progress=progress,
                import_again=job.import_again,
            )
    except PermissionDenied as refused:
        report = ImportReport(record_type=job.record_type, dry_run=job.dry_run)
        report.errors = [LineError(None, str(refused))]
        return report


def _delete_file(job: ImportJob) -> None:
    """Delete ``job``'s stored file and forget it on every job that shares it."""
    name = job.file.name
    if name:
        job.file.storage.delete(name)
        ImportJob.objects.filter(file=name).update(file="")


def import_files_prune(*, now=None) -> int:
    """Delete the files of dry runs finished more than ``IMPORT_FILE_KEEP_HOURS`` ago that
    nobody imported; returns how many. Safe to run at any time, and twice."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.IMPORT_FILE_KEEP_HOURS)
    stale = ImportJob.objects.filter(
        dry_run=True, finished_at__lt=cutoff, confirmed_by__isnull=True
    ).exclude(file="")
    deleted = 0
    for job in stale:
        _delete_file(job)
        deleted += 1
    return deleted
