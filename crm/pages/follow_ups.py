"""Follow-up pages: edit (a new date is a reschedule), snooze, cancel with a reason, undo done.

Every one of them goes through ``crm.access.follow_up_for_user`` (another BRM's follow-up is a
404) and one service in ``crm.services``; a refusal comes back as a readable error."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from crm import services
from crm.access import all_for_user, can_write_client, follow_up_for_user, follow_ups_writable_by
from crm.input_rules import form_problems
from crm.pages.follow_up_forms import (
    FollowUpBulkCompleteForm,
    FollowUpCancelForm,
    FollowUpEditForm,
    FollowUpSnoozeForm,
)
from crm.redirects import redirect_back
from crm.refusals import refusal_as_message, refusal_on_form


def _page(request, follow_up, *, form=None, cancel_form=None, status=200):
    return render(
        request,
        "crm/follow_up_edit.html",
        {
            "follow_up": follow_up,
            "form": form
            or FollowUpEditForm(
                initial={
                    "title": follow_up.title,
                    "due_on": follow_up.due_on,
                    "outcome": follow_up.outcome,
                }
            ),
            "cancel_form": cancel_form or FollowUpCancelForm(),
            "due_changes": follow_up.due_changes.select_related("changed_by").order_by(
                "changed_at", "pk"
            ),
            "can_write": can_write_client(request.user, follow_up.client),
            "today": timezone.localdate(),
        },
        status=status,
    )


@login_required
def follow_up_edit(request, pk: int):
    """Show a follow-up with its due-date history; POST edits its title, due date (a
    reschedule) and, once done, its outcome."""
    if request.method != "POST":
        return _page(request, follow_up_for_user(request.user, pk))
    follow_up = follow_up_for_user(request.user, pk, write=True)
    form = FollowUpEditForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        with refusal_on_form(form):
            services.follow_up_update(
                follow_up=follow_up,
                title=data["title"],
                due_on=data["due_on"] if follow_up.is_open else None,
                outcome=data["outcome"],
                by=request.user,
            )
            messages.success(request, "Follow-up saved.")
            return redirect("client_detail", pk=follow_up.client_id)
    return _page(request, follow_up, form=form, status=422)


@login_required
@require_POST
def follow_up_cancel(request, pk: int):
    follow_up = follow_up_for_user(request.user, pk, write=True)
    form = FollowUpCancelForm(request.POST)
    if form.is_valid():
        with refusal_on_form(form):
            services.follow_up_cancel(
                follow_up=follow_up, reason=form.cleaned_data["reason"], by=request.user
            )
            messages.success(request, f"Cancelled: {follow_up.title}")
            return redirect_back(request, reverse("client_detail", args=[follow_up.client_id]))
    return _page(request, follow_up, cancel_form=form, status=422)


@login_required
@require_POST
def follow_up_reopen(request, pk: int):
    """Undo "done" (or a cancellation)."""
    follow_up = follow_up_for_user(request.user, pk, write=True)
    with refusal_as_message(request):
        services.follow_up_reopen(follow_up=follow_up, by=request.user)
        messages.success(request, f"Open again: {follow_up.title}")
    return redirect_back(request, reverse("follow_up_edit", args=[follow_up.pk]))


@login_required
@require_POST
def follow_up_snooze(request, pk: int):
    """Snooze = reschedule by some days (from today when overdue), so an overdue follow-up
    stays judged against the date it missed."""
    follow_up = follow_up_for_user(request.user, pk, write=True)
    form = FollowUpSnoozeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose how long to snooze it for.")
    else:
        start = max(follow_up.due_on, timezone.localdate())
        due_on = start + timedelta(days=form.cleaned_data["days"])
        with refusal_as_message(request):
            services.follow_up_reschedule(follow_up=follow_up, due_on=due_on, by=request.user)
            messages.success(request, f"Snoozed to {due_on:%a %d %b}: {follow_up.title}")
    return redirect_back(request, reverse("today"))


@login_required
@require_POST
def follow_ups_complete(request):
    """Bulk "done": every ticked follow-up must be one the user may change (their own book; any
    for an admin; else a 403 saying so), and all are completed or none is."""
    form = FollowUpBulkCompleteForm(request.POST)
    with refusal_as_message(request):
        follow_ups = all_for_user(
            follow_ups_writable_by(request.user).select_related("client"),
            request.POST.getlist("follow_up"),
            noun="follow-ups",
        )
        if not form.is_valid():
            raise ValidationError(form_problems(form))
        done = services.follow_ups_complete(
            follow_ups=follow_ups, outcome=form.cleaned_data["outcome"], by=request.user
        )
        messages.success(request, f"{len(done)} follow-up{'s' if len(done) != 1 else ''} done.")
    return redirect_back(request, reverse("today"))
