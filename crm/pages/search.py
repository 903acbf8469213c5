"""The navigation's search box: clients, contacts, deals and interactions the user may read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from crm.search import search_book


@login_required
def search(request):
    q = (request.GET.get("q") or "").strip()
    return render(request, "crm/search.html", {"q": q, "results": search_book(request.user, q)})
