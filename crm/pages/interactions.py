"""Correct or delete a logged interaction: whoever logged it, or an admin."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from crm import edits
from crm.access import interaction_for_user
from crm.pages.interaction_forms import InteractionEditForm
from crm.refusals import refusal_on_form


@login_required
def interaction_edit(request, pk: int):
    interaction = interaction_for_user(request.user, pk, write=True)
    if request.method != "POST":
        form = InteractionEditForm(
            interaction=interaction,
            initial={
                "topic": interaction.topic,
                "summary": interaction.summary,
                "contacts": list(interaction.contacts.values_list("pk", flat=True)),
            },
        )
        return render(request, "crm/interaction_edit.html", {"form": form, "item": interaction})
    form = InteractionEditForm(request.POST, interaction=interaction)
    if form.is_valid():
        data = form.cleaned_data
        with refusal_on_form(form):
            edits.interaction_update(
                interaction=interaction,
                by=request.user,
                topic=data["topic"],
                summary=data["summary"],
                contacts=list(data["contacts"]),
            )
            messages.success(request, "Interaction saved.")
            return redirect("client_detail", pk=interaction.client_id)
    return render(
        request, "crm/interaction_edit.html", {"form": form, "item": interaction}, status=422
    )


@login_required
@require_POST
def interaction_delete(request, pk: int):
    interaction = interaction_for_user(request.user, pk, write=True)
    client_id = interaction.client_id
    edits.interaction_delete(interaction=interaction, by=request.user)
    messages.success(request, "Interaction deleted; its history keeps what it was.")
    return redirect("client_detail", pk=client_id)
