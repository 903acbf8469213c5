"""Import: upload a file, see a dry run (counts, first rows, every problem), then confirm.
Export: download a record type, scoped to the clients the user may see."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from crm.access import may_import, may_import_into_any_book
from crm.csvfiles import csv_attachment
from crm.imports.exporting import records_export
from crm.imports.formats import FORMATS
from crm.imports.forms import ImportConfirmForm, ImportUploadForm
from crm.imports.services import ImportReport, records_import

PENDING = "pending_import"


def _page(request, form, report: ImportReport | None = None, pending: dict | None = None):
    formats = [fmt() for fmt in FORMATS.values()]
    return render(
        request,
        "crm/imports/import.html",
        {
            "form": form,
            "report": report,
            "pending": pending,
            "formats": [
                fmt
                for fmt in formats
                if not fmt.admin_only or may_import_into_any_book(request.user)
            ],
            "time_zone": settings.TIME_ZONE,
        },
        status=200 if report is None or report.ok else 422,
    )


def _require_importer(user) -> None:
    if not may_import(user):
        raise PermissionDenied("Only administrators and BRMs import records.")


@login_required
def import_page(request):
    """GET: the upload form. POST: a dry run of the uploaded file, kept for confirmation."""
    _require_importer(request.user)
    if request.method != "POST":
        return _page(request, ImportUploadForm(user=request.user))
    form = ImportUploadForm(request.POST, request.FILES, user=request.user)
    if not form.is_valid():
        return _page(request, form)
    record_type = form.cleaned_data["record_type"]
    upload = form.cleaned_data["file"]
    data = upload.read()
    report = records_import(record_type=record_type, data=data, by=request.user, dry_run=True)
    pending = None
    request.session.pop(PENDING, None)
    if report.ok:
        # A dry run passed, so the bytes are valid UTF-8 and fit in the session as text.
        pending = {
            "token": uuid.uuid4().hex,
            "record_type": record_type,
            "name": upload.name,
            "text": data.decode("utf-8-sig"),
        }
        request.session[PENDING] = pending
    return _page(
        request,
        ImportUploadForm(initial={"record_type": record_type}, user=request.user),
        report,
        pending,
    )


@login_required
@require_POST
def import_confirm(request):
    """Import the file the user previewed; it is checked again, as the data may have changed."""
    _require_importer(request.user)
    form = ImportConfirmForm(request.POST)
    pending = request.session.get(PENDING)
    if not form.is_valid() or not pending or pending["token"] != form.cleaned_data["token"]:
        messages.error(request, "That preview has expired or was replaced. Upload the file again.")
        return redirect("imports:import")
    del request.session[PENDING]
    report = records_import(
        record_type=pending["record_type"],
        data=pending["text"].encode(),
        by=request.user,
        file_name=pending["name"],
    )
    if not report.ok:
        return _page(request, ImportUploadForm(user=request.user), report)
    messages.success(request, f"Imported {pending['name']}: {report.summary}.")
    return redirect("imports:import")


@login_required
@require_GET
def export_download(request, record_type: str):
    if record_type not in FORMATS:
        raise Http404("No such record type.")
    response = csv_attachment(f"{record_type}-{timezone.localdate():%Y-%m-%d}.csv")
    records_export(record_type=record_type, user=request.user, out=response, bom=True)
    return response
