"""A manager's worklist: overdue follow-ups by BRM, unhappy answers with no closed loop (from
the surveys app, when installed) and support issues past their SLA, across their teams. Its
"Export CSV" (``?format=csv``) lists every one of them, a row each (``worklist.WorklistRow``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone

from crm import selectors, worklist
from crm.access import book_scope, may_compare_teams
from crm.list_exports import ExportColumn, csv_response, wants_csv
from crm.views import optional_template

CSV_COLUMNS = [
    ExportColumn(name, lambda row, name=name: getattr(row, name))
    for name in ("section", "brm", "client", "item", "since", "age_days", "detail")
]


@login_required
def worklist_page(request):
    if not may_compare_teams(request.user):
        raise PermissionDenied("The worklist is for managers and admins.")
    now = timezone.now()
    if wants_csv(request):
        return csv_response("worklist", CSV_COLUMNS, worklist.worklist_rows(request.user, now))
    return render(
        request,
        "crm/worklist.html",
        {
            "groups": worklist.overdue_by_owner(request.user),
            "issues": [
                (issue, selectors.sla_clock(issue, now))
                for issue in worklist.breached_issues(request.user, now)
            ],
            "detractors_panel": optional_template("surveys/partials/worklist_detractors.html"),
            "today": timezone.localdate(),
            "book_scope": book_scope(request.user),
        },
    )
