"""The support queue: unresolved issues nearest SLA deadline first, a CSV of them, and the
respond and resolve buttons."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from crm import selectors, services
from crm.access import book_scope, can_write_client, client_for_user
from crm.list_exports import ExportColumn, csv_response, wants_csv
from crm.models import SupportIssue
from crm.redirects import redirect_back
from crm.refusals import refusal_as_message

# Rows are (issue, its SLA clock).
CSV_COLUMNS = [
    ExportColumn("issue", lambda row: row[0].title),
    ExportColumn("client", lambda row: row[0].client.name),
    ExportColumn("owner", lambda row: row[0].owner.email),
    ExportColumn("priority", lambda row: row[0].get_priority_display()),
    ExportColumn("opened_at", lambda row: row[0].opened_at),
    ExportColumn("first_response_at", lambda row: row[0].first_response_at),
    ExportColumn("sla_deadline", lambda row: row[0].sla_deadline),
    ExportColumn("sla_state", lambda row: row[1].state),
]


@login_required
def support_queue(request):
    now = timezone.now()
    issues = [
        (issue, selectors.sla_clock(issue, now)) for issue in selectors.support_queue(request.user)
    ]
    if wants_csv(request):
        return csv_response("support-queue", CSV_COLUMNS, issues)
    for issue, _clock in issues:
        issue.writable = can_write_client(request.user, issue.client)
    return render(
        request,
        "crm/support_queue.html",
        {"issues": issues, "book_scope": book_scope(request.user)},
    )


def _issue_action(request, pk: int, act: Callable[[SupportIssue], SupportIssue], done: str):
    issue = get_object_or_404(SupportIssue, pk=pk)
    client_for_user(request.user, issue.client_id, write=True)
    with refusal_as_message(request):
        act(issue)
        messages.success(request, f"{done}: {issue.title}")
    return redirect_back(request, reverse("support_queue"))


@login_required
@require_POST
def issue_respond(request, pk: int):
    return _issue_action(
        request, pk, lambda issue: services.support_issue_respond(issue=issue), "Responded"
    )


@login_required
@require_POST
def issue_resolve(request, pk: int):
    return _issue_action(
        request, pk, lambda issue: services.support_issue_resolve(issue=issue), "Resolved"
    )
