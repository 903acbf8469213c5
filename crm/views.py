"""Pages of the relationship book. Every write view has one shape: fetch the client through
crm.access, validate a form, make one service call, then redirect (htmx follows the redirect and
swaps in the part of the page it asked for) or return a partial."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.exceptions import TemplateDoesNotExist
from django.template.loader import select_template
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from crm import selectors, services
from crm.access import (
    can_reassign_client,
    can_write_client,
    client_for_user,
    follow_up_for_user,
    may_edit_interaction,
    starts_on_today,
)
from crm.forms import (
    ChurnForm,
    ClientPageForm,
    ContactForm,
    DealForm,
    FollowUpDoneForm,
    FollowUpForm,
    QuickLogForm,
    ReactivateForm,
    ReassignForm,
    ReplyForm,
    RevenueForm,
    SupportIssueForm,
)
from crm.health import run_checks
from crm.idempotency import once_per_form_token
from crm.list_exports import ExportColumn, csv_response, wants_csv
from crm.models import Client, Interaction, RelationshipType
from crm.pages.record_forms import (
    CertificationForm,
    FeedbackForm,
    ProjectForm,
    ReferralForm,
    SharedGoalForm,
)
from crm.record_selectors import client_records
from crm.redirects import redirect_back
from crm.refusals import refusal_as_message, refusal_on_form


def optional_template(name: str) -> str:
    """``name`` if another app has provided that template, else "" (the page omits it)."""
    try:
        select_template([name])
    except TemplateDoesNotExist:
        return ""
    return name


@login_required
def home(request):
    """BRMs start the day on Today; managers and admins on the book they oversee."""
    if starts_on_today(request.user):
        return today(request)
    return redirect("client_list")


@never_cache
def health(request):
    checks = run_checks()
    healthy = all(check.ok for check in checks if check.required)
    status = 200 if healthy else 503
    if request.GET.get("format") == "json" or "application/json" in request.headers.get(
        "Accept", ""
    ):
        return JsonResponse(
            {
                "healthy": healthy,
                "checks": {
                    c.name: {"ok": c.ok, "detail": c.detail, "required": c.required} for c in checks
                },
            },
            status=status,
        )
    return render(request, "health.html", {"checks": checks, "healthy": healthy}, status=status)


# --- The client page --------------------------------------------------------------------------


def _client_page(request, client: Client, bound: dict | None = None, status: int = 200):
    """Render a client's page; ``bound`` holds a submitted form to show with its errors."""
    bound = bound or {}
    user = request.user
    whole_history = request.GET.get("history") == "all"
    limit = selectors.TIMELINE_LIMIT
    timeline = selectors.client_timeline(client, limit=None if whole_history else limit)
    context = {
        "client": client,
        "facts": selectors.client_facts(client),
        "timeline": timeline,
        "editable_interaction_ids": {
            event.item.pk
            for event in timeline
            if event.kind == "interaction" and may_edit_interaction(user, event.item)
        },
        "timeline_cut": limit,
        "whole_history": whole_history,
        "history": selectors.client_history(client),
        "contacts": selectors.client_contacts(client),
        "open_follow_ups": selectors.open_follow_ups(client),
        "records": client_records(client),
        "can_write": can_write_client(user, client),
        "can_reassign": can_reassign_client(user, client),
        "survey_panel": optional_template("surveys/partials/client_panel.html"),
        "currency": settings.CURRENCY,
        # Messages get replies; a call or a meeting is a conversation in itself.
        "replyable_kinds": (Interaction.Kind.EMAIL, Interaction.Kind.MESSAGE),
    }
    # The forms are folded away; each is rendered when its section is opened (client_form),
    # except one that came back with errors, or one asked for without JavaScript (?form=).
    wanted = request.GET.get("form", "")
    context["actions"] = [
        action.context(_client_form(user, client, action.name, bound))
        if action.name in bound or action.name == wanted
        else action.context()
        for action in _client_actions(user, client, context["can_write"], context["can_reassign"])
    ]
    context["open_form"] = next(iter(bound), "") or wanted
    return render(request, "crm/client_detail.html", context, status=status)


def _any_writer(user, client: Client, can_write: bool, can_reassign: bool) -> bool:
    return can_write


def _partner_writer(user, client: Client, can_write: bool, can_reassign: bool) -> bool:
    return can_write and client.relationship_type == RelationshipType.PARTNER


@dataclass(frozen=True)
class ClientAction:
    """A form on the client page: what it is called, where it posts (``path`` under the
    client's URL, named ``url_name``), how its button looks, who is offered it (``offered``),
    the one service call it makes (``act(user, client, cleaned_data)``) and what it then says.

    Every action posts to ``client_action``: the client through ``crm.access`` (write access;
    ``reassign`` checks the reassignment rule instead), the form, the call, a redirect, or the
    page again with the errors and nothing saved. ``once``: a double submit acts once
    (``crm.idempotency``)."""

    name: str
    form_class: type[ClientPageForm]
    summary: str
    url_name: str
    button: str
    path: str
    act: Callable[[object, Client, dict], object]
    done: str
    button_class: str = "btn-primary"
    note: str = ""
    offered: Callable[..., bool] = _any_writer
    once: bool = True
    reassign: bool = False

    def context(self, form: ClientPageForm | None = None) -> dict:
        return {**vars(self), "form": form}


CLIENT_ACTIONS = [
    ClientAction(
        "follow_up_form",
        FollowUpForm,
        "Add a follow-up",
        "client_follow_up_add",
        "Add follow-up",
        "follow-ups",
        lambda user, client, d: services.follow_up_create(client=client, owner=client.owner, **d),
        "Follow-up added.",
    ),
    ClientAction(
        "contact_form",
        ContactForm,
        "Add a contact",
        "client_contact_add",
        "Add contact",
        "contacts",
        lambda user, client, d: services.contact_create(client=client, **d),
        "Contact added.",
    ),
    ClientAction(
        "issue_form",
        SupportIssueForm,
        "Open a support issue",
        "client_issue_open",
        "Open issue",
        "issues",
        lambda user, client, d: services.support_issue_open(client=client, **d),
        "Support issue opened.",
    ),
    ClientAction(
        "deal_form",
        DealForm,
        "Create a deal",
        "client_deal_create",
        "Create deal",
        "deals",
        lambda user, client, d: services.deal_create(client=client, created_by=user, **d),
        "Deal created.",
    ),
    ClientAction(
        "revenue_form",
        RevenueForm,
        "Record revenue",
        "client_revenue_record",
        "Record revenue",
        "revenue",
        lambda user, client, d: services.revenue_line_record(client=client, **d),
        "Revenue recorded.",
    ),
    ClientAction(
        "project_form",
        ProjectForm,
        "Add a project",
        "client_project_add",
        "Add project",
        "projects",
        lambda user, client, d: services.project_create(client=client, **d),
        "Project added.",
    ),
    ClientAction(
        "goal_form",
        SharedGoalForm,
        "Agree a shared goal",
        "client_goal_add",
        "Add shared goal",
        "goals",
        lambda user, client, d: services.shared_goal_create(client=client, **d),
        "Shared goal added.",
    ),
    ClientAction(
        "feedback_form",
        FeedbackForm,
        "Record feedback",
        "client_feedback_add",
        "Record feedback",
        "feedback",
        lambda user, client, d: services.feedback_item_record(client=client, **d),
        "Feedback recorded.",
    ),
    ClientAction(
        "referral_form",
        ReferralForm,
        "Record a referral from this partner",
        "client_referral_add",
        "Record referral",
        "referrals",
        lambda user, client, d: services.partner_referral_record(partner=client, **d),
        "Referral recorded.",
        offered=_partner_writer,
    ),
    ClientAction(
        "certification_form",
        CertificationForm,
        "Record a certification",
        "client_certification_add",
        "Record certification",
        "certifications",
        lambda user, client, d: services.partner_certification_record(partner=client, **d),
        "Certification recorded.",
        offered=_partner_writer,
    ),
    ClientAction(
        "churn_form",
        ChurnForm,
        "Mark as churned",
        "client_churn",
        "Mark churned",
        "churn",
        lambda user, client, d: services.client_churn(client=client, by=user, **d),
        "Marked as churned.",
        "btn-outline-danger",
        offered=lambda user, client, can_write, _: can_write and client.is_active,
        once=False,
    ),
    ClientAction(
        "reactivate_form",
        ReactivateForm,
        "Reactivate",
        "client_reactivate",
        "Reactivate",
        "reactivate",
        lambda user, client, d: services.client_reactivate(client=client, by=user, **d),
        "Welcome back: client is active.",
        "btn-outline-success",
        offered=lambda user, client, can_write, _: can_write and not client.is_active,
        once=False,
    ),
    # Reassigning is not writing: managers may do it to clients they otherwise only read.
    ClientAction(
        "reassign_form",
        ReassignForm,
        "Reassign to another BRM",
        "client_reassign",
        "Reassign",
        "reassign",
        lambda user, client, d: services.client_reassign(
            client=client, new_owner=d["new_owner"], by=user, reason=d["reason"]
        ),
        "Client reassigned.",
        "btn-warning",
        note="Past activity stays credited to the current owner; open follow-ups move to the "
        "new owner.",
        offered=lambda user, client, can_write, can_reassign: can_reassign,
        once=False,
        reassign=True,
    ),
]
CLIENT_FORMS = {action.name: action.form_class for action in CLIENT_ACTIONS}


def _client_actions(user, client: Client, can_write: bool, can_reassign: bool):
    """The forms this user may use on this client's page, in page order."""
    return [a for a in CLIENT_ACTIONS if a.offered(user, client, can_write, can_reassign)]


def _client_form(user, client: Client, name: str, bound: dict):
    return bound.get(name) or CLIENT_FORMS[name](user=user, client=client)


@login_required
def client_detail(request, pk: int):
    client = client_for_user(request.user, pk)
    return _client_page(request, client)


@login_required
def client_form(request, pk: int, name: str):
    """One of the client page's forms, fetched by htmx when its section is opened."""
    client = client_for_user(request.user, pk)
    allowed = {
        action.name: action
        for action in _client_actions(
            request.user,
            client,
            can_write_client(request.user, client),
            can_reassign_client(request.user, client),
        )
    }
    if name not in allowed:
        raise Http404("No such form here.")
    if not request.htmx:
        return redirect(f"{reverse('client_detail', args=[client.pk])}?form={name}#actions")
    action = allowed[name]
    return render(
        request,
        "crm/partials/client_form.html",
        {
            "client": client,
            "action": action.context(_client_form(request.user, client, name, {})),
        },
    )


@require_POST
def _client_action(request, pk: int, action: ClientAction):
    """The one view behind every form of the client page (see ``ClientAction``)."""
    if action.reassign:
        client = client_for_user(request.user, pk)
        if not can_reassign_client(request.user, client):
            raise PermissionDenied("Only a manager of the owner's team or an admin can reassign.")
    else:
        client = client_for_user(request.user, pk, write=True)
    form = action.form_class(request.POST, user=request.user, client=client)
    if form.is_valid():
        with refusal_on_form(form):
            action.act(request.user, client, form.cleaned_data)
            messages.success(request, action.done)
            return redirect("client_detail", pk=client.pk)
    return _client_page(request, client, {action.name: form}, status=422)


def client_action_view(action: ClientAction):
    """The view function for ``action``'s URL."""

    def view(request, pk: int):
        return _client_action(request, pk, action)

    view.__name__ = action.url_name
    view = once_per_form_token(view) if action.once else view
    return login_required(view)


# --- Interactions -----------------------------------------------------------------------------


@login_required
@once_per_form_token
def interaction_log(request):
    """The quick log. Under htmx it answers with the form alone: errors in place, or a fresh
    form with a confirmation and an ``interactionLogged`` event for the page to refresh on."""
    template = "crm/partials/quick_log_form.html" if request.htmx else "crm/interaction_log.html"
    if request.method != "POST":
        form = QuickLogForm(
            user=request.user,
            initial={
                "client": request.GET.get("client"),
                "kind": request.GET.get("kind") or "call",
            },
        )
        return render(request, template, {"form": form})
    form = QuickLogForm(request.POST, user=request.user)
    if form.is_valid():
        data = dict(form.cleaned_data)
        client = client_for_user(request.user, data.pop("client").pk, write=True)
        with refusal_on_form(form):
            interaction = services.interaction_log(
                client=client,
                logged_by=request.user,
                **{**data, "direction": data["direction"] or None},
            )
            if not request.htmx:
                messages.success(request, "Interaction logged.")
                return redirect("client_detail", pk=client.pk)
            response = render(
                request,
                template,
                {
                    # Ready for the next one, often with the same client.
                    "form": QuickLogForm(
                        user=request.user, initial={"client": client.pk, "kind": data["kind"]}
                    ),
                    "logged": interaction,
                    "follow_up_added": bool(data["follow_up_title"] or data["follow_up_due_on"]),
                },
            )
            response["HX-Trigger"] = "interactionLogged"
            return response
    return render(request, template, {"form": form}, status=200 if request.htmx else 422)


@login_required
@require_POST
@once_per_form_token
def interaction_reply(request, pk: int):
    """Mark an outbound message as replied: log the client's answer linked to it."""
    message = get_object_or_404(Interaction, pk=pk)
    client = client_for_user(request.user, message.client_id, write=True)
    form = ReplyForm(request.POST)
    with refusal_as_message(request):
        if not form.is_valid():
            raise ValidationError(form.errors["summary"])
        services.interaction_log(
            client=client,
            logged_by=request.user,
            kind=message.kind,
            topic=message.topic,
            summary=form.cleaned_data["summary"],
            in_reply_to=message,
        )
        messages.success(request, "Reply logged.")
    return redirect("client_detail", pk=client.pk)


# --- Today ------------------------------------------------------------------------------------


TODAY_CSV_COLUMNS = [
    ExportColumn("title", lambda f: f.title),
    ExportColumn("client", lambda f: f.client.name),
    ExportColumn("due_on", lambda f: f.due_on),
    ExportColumn("first_due_on", lambda f: f.missed_due_on),
    ExportColumn("days_overdue", lambda f: f.days_overdue()),
]


@login_required
def today(request):
    """The day's follow-ups and the clients going cold; ``?format=csv``: every follow-up the
    page lists (all overdue ones, not one page of them)."""
    if wants_csv(request):
        return csv_response(
            "follow-ups", TODAY_CSV_COLUMNS, selectors.today_follow_ups(request.user)
        )
    return render(
        request,
        "crm/today.html",
        {
            "follow_ups": selectors.follow_ups_due(
                request.user, overdue_page=request.GET.get("overdue", 1)
            ),
            "dormant_clients": selectors.dormant_clients(request.user),
            "dormant_after_days": settings.DORMANT_AFTER_DAYS,
            "detractors_panel": optional_template("surveys/partials/today_detractors.html"),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def follow_up_done(request, pk: int):
    follow_up = follow_up_for_user(request.user, pk, write=True)
    form = FollowUpDoneForm(request.POST)
    if not form.is_valid():
        problem = " ".join(form.errors["outcome"])
        if request.htmx:
            return HttpResponse(problem, status=422)
        messages.error(request, problem)
        return redirect_back(request, reverse("today"))
    with refusal_as_message(request):
        follow_up = services.follow_up_complete(
            follow_up=follow_up, outcome=form.cleaned_data["outcome"], by=request.user
        )
        if request.htmx:
            return render(request, "crm/partials/follow_up_done.html", {"follow_up": follow_up})
        messages.success(request, f"Done: {follow_up.title}")
    return redirect_back(request, reverse("today"))
