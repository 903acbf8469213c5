"""Forms of the scorecard pages: which period, how a matrix is sorted, which records a
drill-down lists, and an admin's new target."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from accounts.models import Team
from crm.input_rules import CheckedForm, form_problems
from metrics.periods import Grain, Period
from metrics.registry import KPIS


class PeriodForm(CheckedForm):
    """``?grain=quarter&period=2026-Q1``. Without a period, the open period of the grain."""

    grain = forms.ChoiceField(choices=Grain.choices, required=False)
    period = forms.CharField(required=False, max_length=10)

    def clean(self):
        cleaned = super().clean()
        grain = cleaned.get("grain") or Grain.MONTH
        text = cleaned.get("period") or ""
        try:
            cleaned["chosen"] = Period.parse(text, grain) if text else Period.current(grain)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return cleaned


def period_from(params) -> tuple[Period, str]:
    """The period asked for, or the open month and why the request was not understood."""
    form = PeriodForm(params)
    if form.is_valid():
        return form.cleaned_data["chosen"], ""
    problems = " ".join(form_problems(form))
    return Period.current(Grain.MONTH), f"{problems} Showing the current month instead."


class MatrixSortForm(CheckedForm):
    """Sort a side-by-side matrix by one KPI, best or worst first. Unknown values are
    ignored: a stale bookmarked sort still shows the page."""

    sort = forms.ChoiceField(choices=[], required=False)
    order = forms.ChoiceField(choices=[("best", "best"), ("worst", "worst")], required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sort"].choices = [("", ""), *((key, key) for key in KPIS)]

    def choice(self) -> tuple[str, str]:
        if not self.is_valid():
            return "", "best"
        return self.cleaned_data["sort"], self.cleaned_data["order"] or "best"


class DrilldownForm(CheckedForm):
    breakdown = forms.CharField(required=False, max_length=120)
    show = forms.SlugField(required=False, max_length=20)
    page = forms.IntegerField(required=False, min_value=1)

    def choice(self) -> tuple[str, str, int]:
        if not self.is_valid():
            return "", "", 1
        data = self.cleaned_data
        return data["breakdown"] or "", data["show"] or "", data["page"] or 1


class TargetForm(CheckedForm):
    kpi = forms.ChoiceField(label="KPI")
    team = forms.ModelChoiceField(
        queryset=Team.objects.all(),
        required=False,
        empty_label="Everyone (global)",
        help_text="A team's target overrides the global one for that team and its BRMs.",
    )
    value = forms.FloatField(label="Target")
    tolerance = forms.FloatField(
        required=False,
        min_value=0,
        help_text="Width of the amber band; empty uses the KPI's default (10 % of its scale).",
    )
    effective_from = forms.DateField(
        label="Effective from",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Snapshots of periods ending on or after this day use it; earlier scorecards "
        "keep the target they were taken with.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kpi"].choices = [
            (key, f"{kpi.label} ({'higher' if kpi.direction == 'higher' else 'lower'} is better)")
            for key, kpi in KPIS.items()
        ]
        self.fields["effective_from"].initial = timezone.localdate()
        for name, field in self.fields.items():
            css = "form-select" if name in ("kpi", "team") else "form-control"
            field.widget.attrs.setdefault("class", css)


class TargetHistoryFilter(CheckedForm):
    kpi = forms.ChoiceField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kpi"].choices = [("", "Every KPI"), *((k, v.label) for k, v in KPIS.items())]

    def choice(self) -> str:
        return self.cleaned_data["kpi"] if self.is_valid() else ""
