"""Forms for the relationship book: they turn input into clean values; crm.services decides
what is allowed."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from crm.access import clients_writable_by, may_filter_by_owner
from crm.input_rules import CheckedForm
from crm.models import (
    TWO_WAY_KINDS,
    Client,
    Contact,
    Deal,
    DealStage,
    Interaction,
    LifecycleStatus,
    Priority,
    RelationshipType,
)
from crm.selectors import book_owners, book_sort_keys, reassign_candidates

# HTML date inputs take ISO values whatever the locale's display format.
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def add_service_error(form: forms.Form, error: ValidationError) -> None:
    """Show a service's refusal on the form: on the field it names if the form has that field,
    otherwise at the top, so no message is ever lost."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class OwnerFilterForm(CheckedForm):
    """A list's owner filter: the BRMs whose books the user reads (managers and admins; a BRM
    is offered none). An owner outside them, or not a number, is dropped: the whole list."""

    owner = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="Any owner",
        label="Owner",
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        if may_filter_by_owner(user):
            self.fields["owner"].queryset = book_owners(user)
        else:
            del self.fields["owner"]

    def chosen_owner(self) -> User | None:
        if "owner" not in self.fields or not self.is_valid():
            return None
        return self.cleaned_data["owner"]


class BookFilterForm(OwnerFilterForm):
    """The book's search, filters and sort. Invalid values are dropped, never an error page."""

    q = forms.CharField(required=False, label="Search")
    type = forms.ChoiceField(
        required=False, choices=[("", "Any type"), *RelationshipType.choices], label="Type"
    )
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *LifecycleStatus.choices], label="Status"
    )
    dormant = forms.BooleanField(required=False, label="Dormant only")
    # Checked against ``book_sort_keys()`` in ``filters``: the columns are known only once
    # every app has registered its own.
    sort = forms.CharField(required=False, max_length=40)

    def filters(self) -> dict:
        """Keyword arguments for ``crm.selectors.client_book`` from whatever was valid."""
        self.is_valid()
        data = {name: self.cleaned_data[name] for name in self.fields if name in self.cleaned_data}
        sort = data.get("sort") or "name"
        return {
            "search": (data.get("q") or "").strip(),
            "relationship_type": data.get("type") or "",
            "status": data.get("status") or "",
            "only_dormant": bool(data.get("dormant")),
            "owner": data.get("owner"),
            "sort": sort if sort in book_sort_keys() else "name",
        }


class BulkReassignForm(CheckedForm):
    """Hand the ticked clients (``client``, one value per tick) to one BRM the user may
    choose (``crm.access.brms_visible_to``)."""

    new_owner = forms.ModelChoiceField(
        queryset=User.objects.none(),
        label="Reassign to",
        empty_label="Choose a BRM",
        widget=forms.Select(attrs={"class": "form-select form-select-sm w-auto"}),
    )
    reason = forms.CharField(
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_owner"].queryset = reassign_candidates(user)


class QuickLogForm(CheckedForm):
    """Log an interaction in seconds: client, kind, and a summary or topic are all it needs."""

    client = forms.ModelChoiceField(queryset=Client.objects.none())
    kind = forms.ChoiceField(choices=Interaction.Kind.choices)
    topic = forms.CharField(max_length=100, required=False)
    summary = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    direction = forms.ChoiceField(
        required=False,
        choices=[("", "Default for the kind"), *Interaction.Direction.choices],
        help_text="Meetings and events default to two-way, notes to internal, anything else "
        "to outbound.",
        # static/js/app.js preselects "Two-way" when one of these kinds is chosen.
        widget=forms.Select(attrs={"data-two-way-kinds": " ".join(TWO_WAY_KINDS)}),
    )
    occurred_at = forms.DateTimeField(
        required=False,
        label="When",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Leave empty for now.",
    )
    contacts = forms.ModelMultipleChoiceField(
        queryset=Contact.objects.none(),
        required=False,
        label="Contacts involved",
        widget=forms.CheckboxSelectMultiple,
    )
    new_contact = forms.CharField(
        max_length=150,
        required=False,
        label="Someone new was there",
        help_text="Their name; they are added to the client's contacts.",
    )
    follow_up_title = forms.CharField(max_length=200, required=False, label="Follow-up")
    follow_up_due_on = forms.DateField(required=False, label="Follow-up due", widget=DATE)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.initial.get("kind") in TWO_WAY_KINDS:
            self.initial.setdefault("direction", Interaction.Direction.TWO_WAY)
        clients = clients_writable_by(user)
        self.fields["client"].queryset = clients.order_by("name")
        # The picker offers the chosen client's contacts; the service refuses any other.
        chosen = self.data.get(self.add_prefix("client")) or self.initial.get("client")
        try:
            chosen = int(chosen)
        except (TypeError, ValueError):
            chosen = None
        self.fields["client"].widget.attrs.update(
            {
                # Choosing the client reloads the form with that client's contacts.
                "hx-get": reverse("interaction_log"),
                "hx-trigger": "change",
                "hx-target": "#quick-log-form",
                "hx-swap": "outerHTML",
                "hx-include": "[name=kind]",
            }
        )
        self.fields["contacts"].queryset = Contact.objects.filter(
            client__in=clients, client_id=chosen
        ).order_by("name")

    def clean(self):
        data = super().clean()
        if not (data.get("summary") or "").strip() and not (data.get("topic") or "").strip():
            raise ValidationError("Give a topic or a summary, so you know later what this was.")
        return data


class FollowUpDoneForm(CheckedForm):
    outcome = forms.CharField(required=False, max_length=2000, widget=forms.Textarea)


class ReplyForm(CheckedForm):
    summary = forms.CharField(required=False, max_length=2000)


class ClientPageForm(CheckedForm):
    """A form on a client's page. Each has a prefix so several can share the page."""

    def __init__(self, *args, user: User, client: Client, **kwargs):
        kwargs.setdefault("prefix", self.prefix)
        super().__init__(*args, **kwargs)
        self.user = user
        self.client = client


class ContactForm(ClientPageForm):
    prefix = "contact"
    name = forms.CharField(max_length=150)
    email = forms.EmailField(required=False)
    phone = forms.CharField(max_length=40, required=False)
    role = forms.CharField(max_length=100, required=False)


class FollowUpForm(ClientPageForm):
    prefix = "follow_up"
    title = forms.CharField(max_length=200)
    due_on = forms.DateField(widget=DATE)


class SupportIssueForm(ClientPageForm):
    prefix = "issue"
    title = forms.CharField(max_length=200)
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.NORMAL)
    contact = forms.ModelChoiceField(queryset=Contact.objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = self.client.contacts.order_by("name")


class DealForm(ClientPageForm):
    prefix = "deal"
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=Deal.Kind.choices)
    value = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0)


class RevenueForm(ClientPageForm):
    prefix = "revenue"
    product_name = forms.CharField(max_length=150, label="Product or service")
    recognised_on = forms.DateField(widget=DATE, initial=timezone.localdate)
    amount = forms.DecimalField(max_digits=14, decimal_places=2)
    cost_to_serve = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0, initial=0)
    deal = forms.ModelChoiceField(queryset=Deal.objects.none(), required=False)
    description = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deal"].queryset = self.client.deals.order_by("-created_at")


class ReassignForm(ClientPageForm):
    prefix = "reassign"
    new_owner = forms.ModelChoiceField(queryset=User.objects.none(), label="New owner")
    reason = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_owner"].queryset = reassign_candidates(self.user).exclude(
            pk=self.client.owner_id
        )


class ChurnForm(ClientPageForm):
    prefix = "churn"
    on = forms.DateField(widget=DATE, initial=timezone.localdate, label="Churned on")
    reason = forms.CharField(max_length=200)


class ReactivateForm(ClientPageForm):
    prefix = "reactivate"
    on = forms.DateField(widget=DATE, initial=timezone.localdate, label="Back on")
    reason = forms.CharField(max_length=200, required=False)


class DealMoveForm(CheckedForm):
    to_stage = forms.ModelChoiceField(queryset=DealStage.objects.all(), label="Move to")
