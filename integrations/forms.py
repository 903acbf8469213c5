from django import forms

from crm.access import clients_owned_by
from crm.input_rules import CheckedForm
from integrations.models import ApiToken, WebhookSubscription


class ApiTokenForm(CheckedForm):
    name = forms.CharField(max_length=100, help_text="What will use it, e.g. 'Outlook sync'.")
    scope = forms.ChoiceField(choices=ApiToken.Scope.choices, initial=ApiToken.Scope.READ)


class ReviewAssignForm(CheckedForm):
    """The client a captured message waiting for review belongs to: one of the user's own."""

    client = forms.ModelChoiceField(queryset=None, empty_label="Choose a client…")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients_owned_by(user).order_by("name")


class WebhookSubscriptionForm(CheckedForm):
    url = forms.URLField(max_length=500, label="Address (https://…)", assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=WebhookSubscription.Event.choices, widget=forms.CheckboxSelectMultiple
    )
    description = forms.CharField(max_length=200, required=False)
