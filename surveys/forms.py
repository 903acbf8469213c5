from django import forms

from crm.input_rules import CheckedForm
from crm.models import Client
from surveys.models import SCALES, SurveyKind


class AnswerForm(CheckedForm):
    """The public answer page: the score (pre-chosen from the e-mail's link), a comment and
    permission to quote it."""

    score = forms.TypedChoiceField(coerce=int, widget=forms.RadioSelect, label="Your score")
    comment = forms.CharField(
        required=False,
        max_length=2000,
        label="Anything you would like to add? (optional)",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    may_quote = forms.BooleanField(required=False, label="You may quote me")

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        low, high = SCALES[kind]
        self.fields["score"].choices = [(score, str(score)) for score in range(low, high + 1)]
        self.fields["score"].error_messages["invalid_choice"] = (
            f"Choose a score from {low} to {high}; %(value)s is not on this scale."
        )


def parse_score(raw: str | None) -> int | None:
    """The ``?score=`` of a one-click link: None when absent, ValueError when not a number."""
    if raw is None or raw == "":
        return None
    return int(raw)


class SendSurveyForm(CheckedForm):
    contact = forms.ModelChoiceField(queryset=None, empty_label=None)
    kind = forms.ChoiceField(choices=SurveyKind.choices, initial=SurveyKind.NPS, label="Survey")

    def __init__(self, *args, client: Client, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = client.contacts.all()


class ExclusionForm(CheckedForm):
    reason = forms.CharField(
        max_length=300, label="Why should this contact not be surveyed?", strip=True
    )


class CloseLoopForm(CheckedForm):
    outcome = forms.CharField(max_length=2000, required=False, label="What did you do?", strip=True)
