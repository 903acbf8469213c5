"""The integrations page (API tokens, capture address, calendar feed, mail waiting for review)
and the API reference. Each action: access check, form, one service call, redirect."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from integrations import tokens
from integrations.forms import ApiTokenForm
from integrations.models import ApiToken


@login_required
def api_reference(request):
    return render(request, "integrations/api_reference.html")


@login_required
def integrations_page(request):
    return render(
        request,
        "integrations/settings.html",
        {
            "token_form": ApiTokenForm(),
            "api_tokens": request.user.api_tokens.all(),
            "new_token": request.session.pop("new_api_token", None),
        },
    )


@login_required
@require_POST
def api_token_create(request):
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            token, raw = tokens.api_token_create(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            # Shown once, on the next page only; never stored anywhere but the session.
            request.session["new_api_token"] = {"name": token.name, "raw": raw}
    else:
        messages.error(request, "Name the token and choose its scope.")
    return redirect("integrations:settings")


@login_required
@require_POST
def api_token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    tokens.api_token_revoke(token=token)
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("integrations:settings")
