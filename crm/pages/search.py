"""The navigation's search box: clients, contacts, deals and interactions the user may read;
``?format=csv`` exports exactly the results shown, one row each with what it is."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from crm.list_exports import ExportColumn, csv_response, wants_csv
from crm.search import SearchResults, search_book

# Rows are (what it is, the record).
CSV_COLUMNS = [
    ExportColumn("kind", lambda row: row[0]),
    ExportColumn("name", lambda row: _name(row[1])),
    ExportColumn("client", lambda row: row[1].name if row[0] == "client" else row[1].client.name),
]


def _name(record) -> str:
    """A client's or contact's name, a deal's title, an interaction's topic (or kind)."""
    for field in ("name", "title", "topic"):
        if getattr(record, field, ""):
            return getattr(record, field)
    return record.get_kind_display()


def _rows(results: SearchResults):
    for kind, records in (
        ("client", results.clients),
        ("contact", results.contacts),
        ("deal", results.deals),
        ("interaction", results.interactions),
    ):
        yield from ((kind, record) for record in records)


@login_required
def search(request):
    q = (request.GET.get("q") or "").strip()
    results = search_book(request.user, q)
    if wants_csv(request):
        return csv_response("search", CSV_COLUMNS, _rows(results))
    return render(request, "crm/search.html", {"q": q, "results": results})
