"""Add a client, correct one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from crm import edits, services
from crm.access import client_for_user, may_keep_a_book
from crm.idempotency import once_per_form_token
from crm.pages.client_forms import ClientCreateForm, ClientEditForm
from crm.refusals import refusal_on_form
from crm.search import similar_clients


def _page(request, form, *, status: int = 200, **context):
    """The client form: ``creating`` a client (``similar``: clients whose name is close to the
    one given), or correcting ``client``."""
    return render(request, "crm/client_form.html", {"form": form, **context}, status=status)


@login_required
@once_per_form_token
def client_create(request):
    """New client: into the BRM's own book (an admin picks the owner). A name close to an
    existing client's is shown first, and created only once confirmed."""
    if not may_keep_a_book(request.user):
        raise PermissionDenied("Only BRMs and admins add clients.")
    similar = []
    if request.method != "POST":
        return _page(request, ClientCreateForm(user=request.user), creating=True)
    form = ClientCreateForm(request.POST, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        similar = similar_clients(request.user, data["name"])
        if similar and not data["confirm_similar"]:
            form.add_error("name", "A client with a similar name already exists (listed above).")
        else:
            with refusal_on_form(form):
                client = services.client_create(
                    name=data["name"].strip(),
                    relationship_type=data["relationship_type"],
                    owner=data["owner"],
                    relationship_started_on=data["relationship_started_on"],
                    industry=data["industry"].strip(),
                    created_by=request.user,
                )
                messages.success(request, f"{client} added to {client.owner}'s book.")
                return redirect("client_detail", pk=client.pk)
    return _page(request, form, creating=True, similar=similar, status=422)


@login_required
def client_edit(request, pk: int):
    client = client_for_user(request.user, pk, write=True)
    if request.method != "POST":
        form = ClientEditForm(
            initial={
                "name": client.name,
                "relationship_type": client.relationship_type,
                "industry": client.industry,
                "relationship_started_on": client.relationship_started_on,
            }
        )
        return _page(request, form, client=client)
    form = ClientEditForm(request.POST)
    if form.is_valid():
        with refusal_on_form(form):
            edits.client_update(client=client, by=request.user, **form.cleaned_data)
            messages.success(request, "Client saved.")
            return redirect("client_detail", pk=client.pk)
    return _page(request, form, client=client, status=422)
