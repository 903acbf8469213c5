"""Forms to edit, reschedule, snooze and cancel a follow-up."""

from __future__ import annotations

from django import forms

from crm.forms import DATE
from crm.input_rules import CheckedForm

SNOOZE_CHOICES = [(1, "1 day"), (3, "3 days"), (7, "1 week"), (14, "2 weeks")]


class FollowUpEditForm(CheckedForm):
    title = forms.CharField(max_length=200)
    due_on = forms.DateField(
        widget=DATE,
        label="Due",
        help_text="Changing the date reschedules it; the change is kept in its history.",
    )
    outcome = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class FollowUpCancelForm(CheckedForm):
    reason = forms.CharField(max_length=300, label="Why cancel it?")


class FollowUpSnoozeForm(CheckedForm):
    """Snoozing is rescheduling: by a number of days from today, or from the due date when it
    is not due yet."""

    days = forms.TypedChoiceField(choices=SNOOZE_CHOICES, coerce=int)


class FollowUpBulkCompleteForm(CheckedForm):
    """Complete the ticked follow-ups (``follow_up``, one value per tick) with one outcome."""

    outcome = forms.CharField(max_length=300, required=False, label="Outcome for all of them")
