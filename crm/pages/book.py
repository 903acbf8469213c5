"""The book: the clients a user may read as a sortable, paged table with a CSV export of
exactly what its filters select, and (for managers and admins) bulk reassignment."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from crm import selectors, services
from crm.access import (
    all_for_user,
    book_scope,
    clients_reassignable_by,
    may_keep_a_book,
    may_reassign_clients,
)
from crm.forms import BookFilterForm, BulkReassignForm
from crm.input_rules import form_problems
from crm.list_exports import ExportColumn, csv_response, wants_csv
from crm.redirects import redirect_back
from crm.refusals import refusal_as_message

BOOK_PAGE_SIZE = 25


@dataclass(frozen=True)
class SortHeader:
    """A sortable column heading: its label, the link that sorts by it (first click in
    ``first`` order, the next click reversed) and its aria-sort state."""

    key: str
    label: str
    querystring: str
    direction: str  # "ascending", "descending" or ""
    numeric: bool = False


# (key, label, first click descending?, right-aligned number?) of the book's own columns;
# registered columns (``selectors.BOOK_COLUMNS``) follow "Open follow-ups", descending first.
OWN_HEADERS = {
    "name": ("Client", False, False),
    "last_touch": ("Last touch", True, False),
    "follow_ups": ("Follow-ups", True, True),
    "revenue": ("Revenue 12 mo", True, True),
    "renewal": ("Renewal", False, False),
}

CSV_COLUMNS = [
    ExportColumn("client", lambda c: c.name),
    ExportColumn("type", lambda c: c.get_relationship_type_display()),
    ExportColumn("industry", lambda c: c.industry),
    ExportColumn("status", lambda c: c.get_status_display()),
    ExportColumn("owner", lambda c: c.owner.email),
    ExportColumn("last_touch", lambda c: c.last_touch),
    ExportColumn("open_follow_ups", lambda c: c.open_follow_ups),
    ExportColumn("revenue_12m", lambda c: c.revenue_12m or settings.ZERO_MONEY),
    ExportColumn("renewal_on", lambda c: c.renewal_on),
]


def _headers(request, sort: str) -> dict[str, SortHeader]:
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("format", None)
    specs = [(key, *spec) for key, spec in OWN_HEADERS.items()]
    specs[3:3] = [(c.key, c.label, True, True) for c in selectors.BOOK_COLUMNS]
    headers = {}
    for key, label, descending_first, numeric in specs:
        first = f"-{key}" if descending_first else key
        reverse = first[1:] if first.startswith("-") else f"-{first}"
        params["sort"] = reverse if sort == first else first
        direction = ""
        if sort.lstrip("-") == key:
            direction = "descending" if sort.startswith("-") else "ascending"
        headers[key] = SortHeader(key, label, params.urlencode(), direction, numeric)
    return headers


def _export_columns() -> list[ExportColumn]:
    columns = list(CSV_COLUMNS)
    for column in selectors.BOOK_COLUMNS:
        columns += [
            ExportColumn(header, lambda c, i=i, column=column: column.csv_values(c)[i])
            for i, header in enumerate(column.csv_headers)
        ]
    return columns


@login_required
def client_list(request):
    form = BookFilterForm(request.GET, user=request.user)
    filters = form.filters()
    clients = selectors.client_book(user=request.user, **filters)
    if wants_csv(request):
        return csv_response("clients", _export_columns(), clients)
    page = Paginator(clients, BOOK_PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    if filters["sort"] == "name":
        params.pop("sort", None)
    else:
        params["sort"] = filters["sort"]
    headers = _headers(request, filters["sort"])
    return render(
        request,
        "crm/client_list.html",
        {
            "form": form,
            "page": page,
            "book_scope": book_scope(request.user),
            "may_keep_a_book": may_keep_a_book(request.user),
            "querystring": params.urlencode(),
            "headers": headers,
            "extra_columns": [(c, headers[c.key]) for c in selectors.BOOK_COLUMNS],
            "sort": filters["sort"],
            "dormant_cutoff": selectors.dormant_cutoff(),
            "currency": settings.CURRENCY,
            "bulk_form": BulkReassignForm(user=request.user)
            if may_reassign_clients(request.user)
            else None,
        },
    )


@login_required
@require_POST
def clients_bulk_reassign(request):
    """Hand the ticked clients to one BRM: managers for their teams' clients, admins any. Every
    id must be one the user may reassign (else a 403 saying so), and all move or none does."""
    if not may_reassign_clients(request.user):
        raise PermissionDenied("Only managers and admins reassign clients.")
    form = BulkReassignForm(request.POST, user=request.user)
    with refusal_as_message(request):
        clients = all_for_user(
            clients_reassignable_by(request.user),
            request.POST.getlist("client"),
            noun="clients",
        )
        if not form.is_valid():
            raise ValidationError(form_problems(form))
        moved = services.clients_reassign(
            clients=clients,
            new_owner=form.cleaned_data["new_owner"],
            by=request.user,
            reason=form.cleaned_data["reason"],
        )
        owner = form.cleaned_data["new_owner"]
        messages.success(
            request, f"{len(moved)} client{'s' if len(moved) != 1 else ''} reassigned to {owner}."
        )
    return redirect_back(request, reverse("client_list"))
