"""Forms to add a client and to correct one."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from accounts.models import User
from crm.access import client_owners_for_new_client, may_choose_owner
from crm.forms import DATE
from crm.input_rules import CheckedForm
from crm.models import RelationshipType


class ClientEditForm(CheckedForm):
    name = forms.CharField(max_length=200)
    relationship_type = forms.ChoiceField(choices=RelationshipType.choices, label="Type")
    industry = forms.CharField(max_length=100, required=False)
    relationship_started_on = forms.DateField(
        widget=DATE, initial=timezone.localdate, label="Relationship started"
    )


class ClientCreateForm(ClientEditForm):
    """A new client. When its name is close to one the user already has, the page warns and
    asks to tick ``confirm_similar`` before creating it anyway."""

    owner = forms.ModelChoiceField(queryset=User.objects.none(), label="Owner (BRM)")
    confirm_similar = forms.BooleanField(
        required=False, label="Yes, this is a different client: create it anyway"
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        owners = client_owners_for_new_client(user)
        self.fields["owner"].queryset = owners
        if not may_choose_owner(user):
            # A BRM's new client goes into their own book; no choice to offer.
            self.fields["owner"].initial = user.pk
            self.fields["owner"].widget = forms.HiddenInput()
