"""Edit and close projects, shared goals (with reviews), feedback items, partner referrals and
certifications. One page shape for every family: the record (through ``crm.access``), its edit
form, and the form that closes it (complete a project, review or assess a goal, close
feedback). Adding them is on the client page (``crm.views.CLIENT_ACTIONS``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from crm import edits, services
from crm.access import book_record_for_user, can_write_client, clients_visible_to
from crm.models import (
    Deal,
    DealStage,
    FeedbackItem,
    PartnerCertification,
    PartnerReferral,
    Project,
    SharedGoal,
    StageKind,
    SupportIssue,
)
from crm.pages import record_forms as f
from crm.refusals import refusal_on_form


@dataclass(frozen=True)
class Family:
    """How one kind of record is edited and closed."""

    label: str
    model: type
    edit_form: type[forms.Form]
    fields: tuple[str, ...]
    edit: Callable  # (record, by, **cleaned_data) -> record
    close_form: type[forms.Form] | None = None
    close: Callable | None = None  # (record, by, **cleaned_data) -> object
    close_label: str = ""
    closed: Callable = lambda record: False

    def client_of(self, record):
        return getattr(record, "partner", None) or record.client


def _complete_project(record, by, completed_on):
    at = timezone.make_aware(datetime.combine(completed_on, time(12)))
    if completed_on > timezone.localdate():
        raise ValidationError({"completed_on": "A project cannot be completed in the future."})
    return services.project_complete(project=record, at=min(at, timezone.now()))


def _review_goal(record, by, reviewed_on, note, met):
    if reviewed_on > timezone.localdate():
        raise ValidationError({"reviewed_on": "A review cannot be dated in the future."})
    services.shared_goal_review(goal=record, on=reviewed_on, note=note)
    if met is not None:
        services.shared_goal_assess(goal=record, met=met, on=reviewed_on)


def _lose_deal(record, by, lost_reason, lost_note):
    stage = DealStage.objects.filter(kind=StageKind.LOST).order_by("position").first()
    if stage is None:
        raise ValidationError("Configure a lost stage in the pipeline first.")
    return services.deal_move(
        deal=record, to_stage=stage, by=by, lost_reason=lost_reason, lost_note=lost_note
    )


FAMILIES = {
    "project": Family(
        "Project",
        Project,
        f.ProjectEditForm,
        ("name", "started_on", "due_on"),
        lambda r, by, **d: edits.project_update(project=r, by=by, **d),
        f.ProjectCompleteForm,
        _complete_project,
        "Mark completed",
        lambda r: r.completed_at is not None,
    ),
    "goal": Family(
        "Shared goal",
        SharedGoal,
        f.SharedGoalEditForm,
        ("title", "due_on"),
        lambda r, by, **d: edits.shared_goal_update(goal=r, by=by, **d),
        f.GoalReviewForm,
        _review_goal,
        "Record a review",
    ),
    "feedback": Family(
        "Feedback",
        FeedbackItem,
        f.FeedbackEditForm,
        ("summary", "received_on"),
        lambda r, by, **d: edits.feedback_item_update(item=r, by=by, **d),
        f.FeedbackCloseForm,
        lambda r, by, outcome, closed_on: services.feedback_item_close(
            item=r, outcome=outcome, on=closed_on
        ),
        "Close",
        lambda r: r.closed_on is not None,
    ),
    "referral": Family(
        "Partner referral",
        PartnerReferral,
        f.ReferralEditForm,
        ("lead_name", "received_on", "referred_client"),
        lambda r, by, **d: edits.partner_referral_update(referral=r, by=by, **d),
    ),
    "deal": Family(
        "Deal",
        Deal,
        f.DealEditForm,
        ("title", "kind", "value", "expected_close_on", "probability"),
        lambda r, by, **d: edits.deal_update(deal=r, by=by, **d),
        f.DealLostForm,
        _lose_deal,
        "Mark lost",
        lambda r: r.is_closed,
    ),
    "issue": Family(
        "Support issue",
        SupportIssue,
        f.SupportIssueEditForm,
        ("title", "description", "priority"),
        lambda r, by, **d: edits.support_issue_update(issue=r, by=by, **d),
    ),
    "certification": Family(
        "Certification",
        PartnerCertification,
        f.CertificationEditForm,
        ("name", "valid_from", "valid_until"),
        lambda r, by, **d: edits.partner_certification_update(certification=r, by=by, **d),
    ),
}


def _family(name: str) -> Family:
    family = FAMILIES.get(name)
    if family is None:
        raise Http404("No such kind of record.")
    return family


def _edit_form(family: Family, user, record, data=None):
    form = family.edit_form(
        data, initial=None if data else {n: getattr(record, n) for n in family.fields}
    )
    if "referred_client" in form.fields:
        form.fields["referred_client"].queryset = clients_visible_to(user).order_by("name")
    if isinstance(form, f.DealEditForm):
        form.show_stage_default(record.stage)
    return form


def _page(request, family_name, record, *, form=None, close_form=None, status=200):
    family = _family(family_name)
    client = family.client_of(record)
    return render(
        request,
        "crm/record_edit.html",
        {
            "family": family,
            "family_name": family_name,
            "record": record,
            "client": client,
            "can_write": can_write_client(request.user, client),
            "form": form or _edit_form(family, request.user, record),
            "close_form": close_form
            or (family.close_form() if family.close_form and not family.closed(record) else None),
            "reviews": record.reviews.all() if family_name == "goal" else (),
        },
        status=status,
    )


@login_required
def record_edit(request, family: str, pk: int):
    spec = _family(family)
    if request.method != "POST":
        return _page(request, family, book_record_for_user(request.user, spec.model, pk))
    record = book_record_for_user(request.user, spec.model, pk, write=True)
    form = _edit_form(spec, request.user, record, request.POST)
    if form.is_valid():
        with refusal_on_form(form):
            spec.edit(record, request.user, **form.cleaned_data)
            messages.success(request, f"{spec.label} saved.")
            return redirect("client_detail", pk=spec.client_of(record).pk)
    return _page(request, family, record, form=form, status=422)


@login_required
@require_POST
def record_close(request, family: str, pk: int):
    spec = _family(family)
    if spec.close_form is None:
        raise Http404("This kind of record is not closed.")
    record = book_record_for_user(request.user, spec.model, pk, write=True)
    form = spec.close_form(request.POST)
    if form.is_valid():
        with refusal_on_form(form):
            spec.close(record, request.user, **form.cleaned_data)
            messages.success(request, f"{spec.label}: {spec.close_label.lower()} done.")
            return redirect("client_detail", pk=spec.client_of(record).pk)
    return _page(request, family, record, close_form=form, status=422)
