"""Forms for projects, shared goals and their reviews, feedback items, partner referrals and
certifications: one to add each from the client page, one to edit, one to close."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from crm.forms import DATE, ClientPageForm
from crm.input_rules import CheckedForm
from crm.models import Client, Deal, DealStage, FeedbackItem, LostReason, Priority


class ProjectForm(ClientPageForm):
    prefix = "project"
    name = forms.CharField(max_length=200)
    started_on = forms.DateField(widget=DATE, required=False, initial=timezone.localdate)
    due_on = forms.DateField(widget=DATE)


class SharedGoalForm(ClientPageForm):
    prefix = "goal"
    title = forms.CharField(max_length=200, label="Shared goal")
    due_on = forms.DateField(widget=DATE, label="Due")


class FeedbackForm(ClientPageForm):
    prefix = "feedback"
    summary = forms.CharField(max_length=300, label="What they asked for or told us")
    received_on = forms.DateField(widget=DATE, initial=timezone.localdate)


class ReferralForm(ClientPageForm):
    prefix = "referral"
    lead_name = forms.CharField(max_length=200, label="Lead referred")
    received_on = forms.DateField(widget=DATE, initial=timezone.localdate)


class CertificationForm(ClientPageForm):
    prefix = "certification"
    name = forms.CharField(max_length=150, label="Certification")
    valid_from = forms.DateField(widget=DATE, initial=timezone.localdate)
    valid_until = forms.DateField(widget=DATE)


# --- Editing and closing ------------------------------------------------------------------------


class ProjectEditForm(CheckedForm):
    name = forms.CharField(max_length=200)
    started_on = forms.DateField(widget=DATE, required=False)
    due_on = forms.DateField(widget=DATE)


class SharedGoalEditForm(CheckedForm):
    title = forms.CharField(max_length=200)
    due_on = forms.DateField(widget=DATE)


class FeedbackEditForm(CheckedForm):
    summary = forms.CharField(max_length=300)
    received_on = forms.DateField(widget=DATE)


class ReferralEditForm(CheckedForm):
    lead_name = forms.CharField(max_length=200)
    received_on = forms.DateField(widget=DATE)
    referred_client = forms.ModelChoiceField(
        queryset=Client.objects.none(), required=False, label="Became our client"
    )


class CertificationEditForm(CheckedForm):
    name = forms.CharField(max_length=150)
    valid_from = forms.DateField(widget=DATE)
    valid_until = forms.DateField(widget=DATE, help_text="Set it to today to end it now.")


class GoalReviewForm(CheckedForm):
    reviewed_on = forms.DateField(widget=DATE, initial=timezone.localdate, label="Reviewed on")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    met = forms.TypedChoiceField(
        required=False,
        label="Assessment",
        choices=[("", "Not assessed yet"), ("yes", "Met"), ("no", "Not met")],
        coerce=lambda value: value == "yes",
        empty_value=None,
    )


class FeedbackCloseForm(CheckedForm):
    outcome = forms.ChoiceField(choices=FeedbackItem.Outcome.choices)
    closed_on = forms.DateField(widget=DATE, initial=timezone.localdate)


class ProjectCompleteForm(CheckedForm):
    completed_on = forms.DateField(widget=DATE, initial=timezone.localdate, label="Completed on")


class DealEditForm(CheckedForm):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=Deal.Kind.choices)
    value = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    expected_close_on = forms.DateField(widget=DATE, required=False, label="Expected close")
    probability = forms.IntegerField(
        min_value=0, max_value=100, required=False, label="Probability (%)"
    )

    def show_stage_default(self, stage: DealStage) -> None:
        """Say what a blank probability means for a deal in ``stage``: its default (or 0)."""
        default = stage.default_probability
        field = self.fields["probability"]
        if default is None:
            field.help_text = f"Blank = 0 % ({stage.name} has no default)."
        else:
            field.help_text = f"Blank = the stage default, {default} % ({stage.name})."
            field.widget.attrs["placeholder"] = f"{default} (stage default)"


class DealLostForm(CheckedForm):
    """Moving a deal to lost asks why: one of the configured reasons, and a note."""

    lost_reason = forms.ModelChoiceField(
        queryset=LostReason.objects.filter(active=True), label="Why was it lost?"
    )
    lost_note = forms.CharField(max_length=300, required=False, label="Note")


class SupportIssueEditForm(CheckedForm):
    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    priority = forms.ChoiceField(
        choices=Priority.choices,
        help_text="The SLA stays the one fixed when the issue was opened.",
    )
