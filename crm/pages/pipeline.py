"""The pipeline: one column per stage with its deals, totals and weighted totals, filtered by
owner for managers and admins; a CSV of exactly the deals shown; moving a deal along."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from crm import selectors, services
from crm.access import can_write_client, client_for_user
from crm.forms import DealMoveForm, OwnerFilterForm
from crm.list_exports import ExportColumn, csv_response, wants_csv
from crm.models import Deal, StageKind
from crm.redirects import redirect_back
from crm.refusals import refusal_as_message

CSV_COLUMNS = [
    ExportColumn("stage", lambda d: d.stage.name),
    ExportColumn("deal", lambda d: d.title),
    ExportColumn("client", lambda d: d.client.name),
    ExportColumn("owner", lambda d: d.owner.email),
    ExportColumn("kind", lambda d: d.get_kind_display()),
    ExportColumn("value", lambda d: d.value),
    ExportColumn("probability", lambda d: d.probability),
    # The percent the weighted total counts: the deal's own, else its stage's default.
    ExportColumn("effective_probability", lambda d: d.effective_probability),
    ExportColumn("expected_close_on", lambda d: d.expected_close_on),
    ExportColumn("closed_at", lambda d: d.closed_at),
    ExportColumn("lost_reason", lambda d: d.lost_reason.name if d.lost_reason_id else ""),
]


@login_required
def pipeline(request):
    form = OwnerFilterForm(request.GET, user=request.user)
    owner = form.chosen_owner()
    columns = selectors.pipeline(request.user, owner=owner)
    if wants_csv(request):
        return csv_response("pipeline", CSV_COLUMNS, (d for c in columns for d in c.deals))
    for column, following in zip(columns, [*columns[1:], None], strict=True):
        for deal in column.deals:
            deal.writable = can_write_client(request.user, deal.client)
            # The move form offers the next stage first: moving forward is the usual step.
            deal.next_stage_id = following.stage.pk if following else None
    return render(
        request,
        "crm/pipeline.html",
        {
            "form": form,
            "columns": columns,
            "stages": [column.stage for column in columns],
            "closed_days": selectors.CLOSED_DEALS_SHOWN_DAYS,
            "currency": settings.CURRENCY,
        },
    )


@login_required
@require_POST
def deal_move(request, pk: int):
    deal = get_object_or_404(Deal.objects.only("id", "client_id", "closed_at"), pk=pk)
    client_for_user(request.user, deal.client_id, write=True)
    form = DealMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a stage to move the deal to.")
        return redirect("pipeline")
    if form.cleaned_data["to_stage"].kind == StageKind.LOST and deal.closed_at is None:
        # A lost deal needs a reason: its page asks for one.
        messages.error(request, "Say why it was lost: use “Mark lost” on the deal's page.")
        return redirect("record_edit", family="deal", pk=deal.pk)
    with refusal_as_message(request):
        change = services.deal_move(
            deal=deal, to_stage=form.cleaned_data["to_stage"], by=request.user
        )
        messages.success(request, f"{change.deal} moved to {change.to_stage}.")
    return redirect_back(request, reverse("pipeline"))
