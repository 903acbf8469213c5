"""Form to correct a logged interaction."""

from __future__ import annotations

from django import forms

from crm.input_rules import CheckedForm
from crm.models import Contact, Interaction


class InteractionEditForm(CheckedForm):
    topic = forms.CharField(max_length=100, required=False)
    summary = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    contacts = forms.ModelMultipleChoiceField(
        queryset=Contact.objects.none(),
        required=False,
        label="Contacts involved",
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, interaction: Interaction, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contacts"].queryset = interaction.client.contacts.order_by("name")
