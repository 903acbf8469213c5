"""Contacts: correct one, and the list across the book (or one client)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render

from crm import edits
from crm.access import contact_for_user, contacts_visible_to
from crm.input_rules import CheckedForm
from crm.list_exports import ExportColumn, csv_response, wants_csv
from crm.refusals import refusal_on_form

CONTACTS_PAGE_SIZE = 50
CSV_COLUMNS = [
    ExportColumn("name", lambda c: c.name),
    ExportColumn("client", lambda c: c.client.name),
    ExportColumn("role", lambda c: c.role),
    ExportColumn("email", lambda c: c.email),
    ExportColumn("phone", lambda c: c.phone),
    ExportColumn("opted_out_of_surveys", lambda c: c.opted_out_of_surveys),
]


class ContactEditForm(CheckedForm):
    name = forms.CharField(max_length=150)
    email = forms.EmailField(required=False)
    phone = forms.CharField(max_length=40, required=False)
    role = forms.CharField(max_length=100, required=False)


@login_required
def contact_edit(request, pk: int):
    if request.method != "POST":
        contact = contact_for_user(request.user, pk, write=True)
        form = ContactEditForm(
            initial={n: getattr(contact, n) for n in ("name", "email", "phone", "role")}
        )
        return render(request, "crm/contact_edit.html", {"form": form, "contact": contact})
    contact = contact_for_user(request.user, pk, write=True)
    form = ContactEditForm(request.POST)
    if form.is_valid():
        with refusal_on_form(form):
            edits.contact_update(contact=contact, by=request.user, **form.cleaned_data)
            messages.success(request, "Contact saved.")
            return redirect("client_detail", pk=contact.client_id)
    return render(request, "crm/contact_edit.html", {"form": form, "contact": contact}, status=422)


class ContactSearchForm(CheckedForm):
    """The list's search box. Text the input rules refuse (a NUL byte) searches for nothing."""

    q = forms.CharField(required=False, max_length=100)

    def text(self) -> str:
        return self.cleaned_data["q"] if self.is_valid() else ""


@login_required
def contact_list(request):
    """Every contact the user may read, by name; ``q`` matches name, e-mail, role or client."""
    contacts = contacts_visible_to(request.user).select_related("client").order_by("name", "pk")
    q = ContactSearchForm({"q": (request.GET.get("q") or "")[:100]}).text()
    if q:
        contacts = contacts.filter(
            Q(name__icontains=q)
            | Q(email__icontains=q)
            | Q(role__icontains=q)
            | Q(client__name__icontains=q)
        )
    if wants_csv(request):
        return csv_response("contacts", CSV_COLUMNS, contacts)
    page = Paginator(contacts, CONTACTS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "crm/contact_list.html", {"page": page, "q": q})
