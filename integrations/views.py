"""The integrations page (API tokens, capture address and mail waiting for review, calendar
feed) and the API reference. Each action: access check, form, one service call, redirect."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from crm.access import (
    may_compare_teams,
    may_manage_webhooks,
    may_see_organisation,
    own_record_for_user,
)
from crm.input_rules import form_problems
from crm.refusals import refusal_as_message
from integrations import tokens
from integrations.calendar import (
    calendar_feed_create,
    calendar_feed_for_token,
    calendar_feed_revoke,
    feed_url,
    render_feed,
)
from integrations.forms import ApiTokenForm, ReviewAssignForm, WebhookSubscriptionForm
from integrations.mail.capture import (
    capture_address_for,
    captured_email_assign,
    captured_email_dismiss,
)
from integrations.models import ApiToken, CapturedEmail, WebhookSubscription
from integrations.webhooks.services import (
    webhook_subscription_create,
    webhook_subscription_resume,
)


@login_required
def api_reference(request):
    return render(request, "integrations/api_reference.html")


def _books_read_by(user) -> str:
    """What a token of ``user`` reads, in the words of the page: the access rules' reach."""
    if may_see_organisation(user):
        return "every book"
    return "your teams' books" if may_compare_teams(user) else "your book"


@login_required
def integrations_page(request):
    user = request.user
    review = CapturedEmail.objects.filter(user=user, status=CapturedEmail.Status.REVIEW)
    webhooks = {}
    if may_manage_webhooks(user):
        webhooks = {
            "webhook_form": WebhookSubscriptionForm(),
            "subscriptions": WebhookSubscription.objects.prefetch_related("deliveries"),
        }
    return render(
        request,
        "integrations/settings.html",
        {
            **webhooks,
            "api_reach": _books_read_by(user),
            "token_form": ApiTokenForm(),
            "api_tokens": user.api_tokens.all(),
            "new_token": request.session.pop("new_api_token", None),
            "new_feed_url": request.session.pop("new_feed_url", None),
            "has_feed": user.calendar_feeds.filter(revoked_at__isnull=True).exists(),
            "capture_address": capture_address_for(user).address,
            "review": review.order_by("-sent_at")[:50],
            "review_count": review.count(),
            "assign_form": ReviewAssignForm(user=user),
            "recent_captures": CapturedEmail.objects.filter(
                user=user, status=CapturedEmail.Status.LOGGED
            ).select_related("interaction__client")[:10],
        },
    )


@login_required
@require_POST
def api_token_create(request):
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        with refusal_as_message(request):
            token, raw = tokens.api_token_create(user=request.user, **form.cleaned_data)
            # Shown once, on the next page only; never stored anywhere but the session.
            request.session["new_api_token"] = {"name": token.name, "raw": raw}
    else:
        messages.error(request, "Name the token and choose its scope.")
    return redirect("integrations:settings")


@login_required
@require_POST
def api_token_revoke(request, pk: int):
    token = own_record_for_user(request.user, ApiToken.objects.all(), pk)
    tokens.api_token_revoke(token=token)
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("integrations:settings")


@login_required
@require_POST
def captured_email_review(request, pk: int):
    """Log a message from the review list with a client of the user's book, or dismiss it."""
    captured = own_record_for_user(request.user, CapturedEmail.objects.all(), pk)
    with refusal_as_message(request):
        if "dismiss" in request.POST:
            captured_email_dismiss(captured=captured)
            messages.success(request, "Message dismissed.")
        else:
            form = ReviewAssignForm(request.POST, user=request.user)
            if not form.is_valid():
                raise ValidationError("Choose a client of your book.")
            captured_email_assign(captured=captured, client=form.cleaned_data["client"])
            messages.success(request, f"Logged with {form.cleaned_data['client']}.")
    return redirect("integrations:settings")


def _admin_only(user) -> None:
    if not may_manage_webhooks(user):
        raise PermissionDenied("Only administrators manage webhooks.")


@login_required
@require_POST
def webhook_create(request):
    _admin_only(request.user)
    form = WebhookSubscriptionForm(request.POST)
    with refusal_as_message(request):
        if not form.is_valid():
            raise ValidationError(form_problems(form))
        subscription = webhook_subscription_create(created_by=request.user, **form.cleaned_data)
        messages.success(
            request,
            f"Subscribed. Signing secret (shown here and in the admin): {subscription.secret}",
        )
    return redirect("integrations:settings")


@login_required
@require_POST
def webhook_resume(request, pk: int):
    _admin_only(request.user)
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    webhook_subscription_resume(subscription=subscription)
    messages.success(request, f"{subscription.url} resumed; waiting deliveries are being sent.")
    return redirect("integrations:settings")


@login_required
@require_POST
def calendar_feed_new(request):
    _, raw = calendar_feed_create(user=request.user)
    # Shown once, like an API token: the address is the credential.
    request.session["new_feed_url"] = feed_url(raw)
    return redirect("integrations:settings")


@login_required
@require_POST
def calendar_feed_stop(request):
    calendar_feed_revoke(user=request.user)
    messages.success(request, "Calendar address revoked: calendars subscribed to it stop updating.")
    return redirect("integrations:settings")


def calendar_feed(request, token: str):
    """The feed itself: no session (calendar servers fetch it), the token is the credential."""
    feed = calendar_feed_for_token(token)
    if feed is None:
        raise Http404("No such calendar.")
    response = HttpResponse(render_feed(feed.user), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    response["Content-Disposition"] = 'inline; filename="crm.ics"'
    return response
