"""Import: upload a file, watch its dry run (a background job) and read the report, then
confirm to import it by another job. Export: download a record type, scoped to the clients the
user may see."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from crm.access import (
    import_job_for_user,
    import_jobs_visible_to,
    may_confirm_import_job,
    may_import_into_any_book,
    require_importer,
)
from crm.csvfiles import csv_attachment
from crm.idempotency import once_per_form_token
from crm.imports.exporting import records_export
from crm.imports.formats import FORMATS
from crm.imports.forms import ImportConfirmForm, ImportUploadForm
from crm.imports.jobs import import_job_confirm, import_job_create, import_job_progress
from crm.imports.services import ImportReport
from crm.models import ImportJob
from crm.refusals import refusal_as_message

RECENT_JOBS = 10


def _page(request, form, status: int = 200):
    formats = [fmt() for fmt in FORMATS.values()]
    return render(
        request,
        "crm/imports/import.html",
        {
            "form": form,
            "jobs": import_jobs_visible_to(request.user).select_related("owner")[:RECENT_JOBS],
            "formats": [
                fmt
                for fmt in formats
                if not fmt.admin_only or may_import_into_any_book(request.user)
            ],
            "time_zone": settings.TIME_ZONE,
            "may_import_into_any_book": may_import_into_any_book(request.user),
        },
        status=status,
    )


@login_required
@once_per_form_token
def import_page(request):
    """GET: the upload form and the user's recent imports. POST: store the file and start its
    dry run, then show its progress."""
    require_importer(request.user)
    if request.method != "POST":
        return _page(request, ImportUploadForm(user=request.user))
    form = ImportUploadForm(request.POST, request.FILES, user=request.user)
    if not form.is_valid():
        return _page(request, form, status=422)
    job = import_job_create(
        by=request.user,
        record_type=form.cleaned_data["record_type"],
        upload=form.cleaned_data["file"],
    )
    return redirect("imports:job", pk=job.pk)


def _progress(job: ImportJob) -> dict:
    done = import_job_progress(job)
    total = max(job.rows_total, done, 1)
    return {"rows_done": done, "rows_total": total, "percent": round(100 * done / total)}


@login_required
@require_GET
def job_page(request, pk: int):
    """A job's progress while it runs; then its report and, after a dry run that passed, the
    button that imports the same file."""
    job = import_job_for_user(request.user, pk)
    report = ImportReport.from_json(job.report) if job.report else None
    confirmed = ImportJob.objects.filter(checked_by=job).first()
    return render(
        request,
        "crm/imports/job.html",
        {
            "job": job,
            # "follow-ups", not the format's key "follow_ups"
            "record_label": getattr(FORMATS.get(job.record_type), "label", job.record_type),
            "report": report,
            "progress": _progress(job),
            "confirmed": confirmed,
            "may_confirm": (
                report is not None
                and report.ok
                and job.dry_run
                and bool(job.file)
                and confirmed is None
                and may_confirm_import_job(request.user, job)
            ),
        },
        status=422 if report is not None and not report.ok else 200,
    )


@login_required
@require_GET
def job_progress(request, pk: int):
    """The progress bar alone, polled by the job page; once the job is over, the page
    reloads to show the report."""
    job = import_job_for_user(request.user, pk)
    if job.finished:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(
        request, "crm/imports/partials/job_progress.html", {"job": job, "progress": _progress(job)}
    )


@login_required
@require_POST
@once_per_form_token
def job_confirm(request, pk: int):
    """Import the file whose dry run is ``pk``; it is checked again, as the data may have
    changed since. A file imported before needs the tick "Import it again anyway"."""
    job = import_job_for_user(request.user, pk)
    form = ImportConfirmForm(request.POST)
    again = form.is_valid() and form.cleaned_data["import_again"]
    with refusal_as_message(request):
        confirmed = import_job_confirm(job=job, by=request.user, again=again)
        return redirect("imports:job", pk=confirmed.pk)
    return redirect("imports:job", pk=job.pk)


@login_required
@require_GET
def export_download(request, record_type: str):
    if record_type not in FORMATS:
        raise Http404("No such record type.")
    response = csv_attachment(f"{record_type}-{timezone.localdate():%Y-%m-%d}.csv")
    records_export(record_type=record_type, user=request.user, out=response, bom=True)
    return response
