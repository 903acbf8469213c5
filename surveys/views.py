import logging
from datetime import datetime, timedelta
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from accounts.throttle import rate_limit_hit
from crm.access import (
    client_for_user,
    contact_for_user,
    mail_for_user,
    mail_visible_to,
    may_compare_teams,
    record_for_user,
)
from crm.client_ip import client_ip
from crm.models import Client
from crm.redirects import redirect_back
from crm.services import contact_opt_out, follow_up_complete
from surveys import selectors
from surveys.forms import AnswerForm, CloseLoopForm, ExclusionForm, SendSurveyForm, parse_score
from surveys.models import DevMail, Invitation, Response, SurveyExclusion, hash_token
from surveys.services import (
    AnswerLocked,
    InvitationExpired,
    invitation_open,
    invitation_send,
    response_record,
    survey_exclusion_create,
    survey_exclusion_lift,
)

logger = logging.getLogger(__name__)


# --- The public pages a surveyed contact sees (no login) ------------------------------------------


def _problem(request, status: int, title: str, message: str):
    return render(
        request,
        "surveys/public/problem.html",
        {"title": title, "message": message},
        status=status,
    )


def _too_many(key: str, limit: int) -> bool:
    return rate_limit_hit(
        key=key, limit=limit, window_seconds=settings.SURVEY_PAGE_RATE_WINDOW_SECONDS
    )


def public_survey_page(view):
    """Rate-limit per client address (through trusted proxies, ``crm.client_ip``) and per link,
    then resolve the link's token to its invitation (404 if unknown)."""

    @wraps(view)
    def wrapper(request, token: str):
        ip = client_ip(request) or "unknown"
        # Per link as well as per address: many addresses hammering one link are limited all
        # the same. Keyed by the token's hash so the cache never holds a working link.
        limits = [
            (
                f"ip:{ip}",
                settings.SURVEY_PAGE_RATE_LIMIT,
                "Survey pages rate limit hit by %s",
                "We received too many requests from your network.",
            ),
            (
                f"token:{hash_token(token)}",
                settings.SURVEY_TOKEN_RATE_LIMIT,
                "Survey link rate limit hit (last request from %s)",
                "This survey link was opened too many times in a short while.",
            ),
        ]
        for key, limit, log_line, why in limits:
            if _too_many(key, limit):
                logger.warning(log_line, ip)
                return _problem(
                    request, 429, "Too many requests", f"{why} Wait a minute and try again."
                )
        invitation = selectors.invitation_for_token(token)
        if invitation is None:
            logger.warning("Survey link with an unknown token from %s", ip)
            return _problem(
                request,
                404,
                "We do not recognise this link",
                "The survey link is incomplete or was changed. Open it again from the e-mail, "
                "or copy the whole address into your browser.",
            )
        return view(request, invitation, token)

    return wrapper


def _expired(request, invitation: Invitation):
    return _problem(
        request,
        410,
        "This survey has closed",
        f"The survey closed on {date_format(timezone.localtime(invitation.expires_at))}. "
        "Thank you for your time all the same.",
    )


def _locked(request):
    return _problem(
        request,
        409,
        "You already answered",
        "Your answer was recorded some time ago and can no longer be changed. Thank you!",
    )


def _existing_response(invitation: Invitation) -> Response | None:
    return Response.objects.filter(invitation=invitation).first()


def _is_locked(response: Response | None) -> bool:
    return response is not None and timezone.now() > response.answered_at + timedelta(
        days=settings.SURVEY_ANSWER_EDIT_DAYS
    )


def _answer_page(request, invitation, token, form, *, status=200, error="", response=None):
    return render(
        request,
        "surveys/public/answer.html",
        {
            "invitation": invitation,
            "token": token,
            "form": form,
            "error": error,
            "response": response,
        },
        status=status,
    )


@public_survey_page
@require_http_methods(["GET", "POST"])
def survey_answer(request, invitation: Invitation, token: str):
    """GET (a link in the e-mail) shows the page and at most stores a provisional score; only a
    POST from the page, with its CSRF token, records an answer."""
    if invitation.is_expired:
        return _expired(request, invitation)
    response = _existing_response(invitation)
    if _is_locked(response):
        if request.method == "POST":
            return _locked(request)
        return redirect("survey_thanks", token=token)
    if request.method == "POST":
        form = AnswerForm(request.POST, kind=invitation.kind)
        if not form.is_valid():
            return _answer_page(request, invitation, token, form, status=400, response=response)
        try:
            response_record(invitation=invitation, **form.cleaned_data)
        except InvitationExpired:
            return _expired(request, invitation)
        except AnswerLocked:
            return _locked(request)
        return redirect("survey_thanks", token=token)
    initial = (
        {"score": response.score, "comment": response.comment, "may_quote": response.may_quote}
        if response
        else {}
    )
    raw = request.GET.get("score")
    try:
        score = parse_score(raw)
        invitation_open(invitation=invitation, score=score)
    except (ValueError, ValidationError):
        low, high = invitation.scale
        error = f"“{raw}” is not a score on this survey. Choose one from {low} to {high} below."
        form = AnswerForm(kind=invitation.kind, initial=initial)
        return _answer_page(
            request, invitation, token, form, status=400, error=error, response=response
        )
    except InvitationExpired:
        return _expired(request, invitation)
    if score is not None:
        initial["score"] = score
    form = AnswerForm(kind=invitation.kind, initial=initial)
    return _answer_page(request, invitation, token, form, response=response)


@public_survey_page
@require_http_methods(["GET"])
def survey_thanks(request, invitation: Invitation, token: str):
    response = _existing_response(invitation)
    if response is None:
        return redirect("survey_answer", token=token)
    return render(
        request,
        "surveys/public/thanks.html",
        {
            "invitation": invitation,
            "token": token,
            "response": response,
            "can_change": not _is_locked(response) and not invitation.is_expired,
        },
    )


# RFC 8058 one-click unsubscribe: mail providers POST to the List-Unsubscribe address without a
# CSRF token. The unguessable token in the address is the credential and there is no session to
# ride, so CSRF protection adds nothing here. A GET only shows the confirmation button, so mail
# scanners cannot unsubscribe anyone.
@csrf_exempt
@public_survey_page
@require_http_methods(["GET", "POST"])
def survey_unsubscribe(request, invitation: Invitation, token: str):
    if request.method == "POST":
        contact_opt_out(contact=invitation.contact)
        logger.info("Contact %s opted out of surveys", invitation.contact_id)
        return render(request, "surveys/public/unsubscribed.html", {"invitation": invitation})
    return render(
        request, "surveys/public/unsubscribe.html", {"invitation": invitation, "token": token}
    )


# --- Pages for BRMs, managers and admins ----------------------------------------------------------

PERIODS = {"30": 30, "90": 90, "365": 365, "all": None}


def _period(request) -> tuple[str, datetime | None]:
    key = request.GET.get("period", "90")
    if key not in PERIODS:
        key = "90"
    days = PERIODS[key]
    return key, (timezone.now() - timedelta(days=days) if days else None)


def _results_page(request, *, client: Client | None):
    period, start = _period(request)
    user = request.user
    if client is None:
        responses = selectors.responses_visible_to(user)
        invitations = selectors.invitations_visible_to(user)
        exclusions = selectors.exclusions_visible_to(user)
    else:
        responses = Response.objects.filter(client=client)
        invitations = Invitation.objects.filter(client=client)
        exclusions = selectors.exclusions_visible_to(user).filter(contact__client=client)
    if start is not None:
        responses = responses.filter(answered_at__gte=start)
        invitations = invitations.filter(created_at__gte=start)
    counts = selectors.exclusions_per_brm(exclusions=exclusions, start=start)
    context = {
        "client": client,
        "period": period,
        "periods": [("30", "30 days"), ("90", "90 days"), ("365", "12 months"), ("all", "All")],
        "results": selectors.survey_results(responses=responses, invitations=invitations),
        "by_owner": (
            selectors.results_by_owner(responses=responses) if may_compare_teams(user) else None
        ),
        "comments": selectors.comments(responses=responses),
        "exclusion_counts": [
            (brm, counts[brm.pk]) for brm in User.objects.filter(pk__in=counts.keys())
        ],
        "open_exclusions": exclusions.filter(lifted_at__isnull=True).order_by("-created_at"),
        "min_sample": settings.SURVEY_MIN_SAMPLE,
    }
    return render(request, "surveys/results.html", context)


@login_required
def survey_results(request):
    return _results_page(request, client=None)


@login_required
def survey_client_results(request, pk: int):
    return _results_page(request, client=client_for_user(request.user, pk))


def _client_page_action(request, client, form, *, invalid: str, act) -> HttpResponse:
    """A survey action posted from the client page: the error ``invalid`` when ``form`` does
    not validate, else ``act(cleaned_data)``, one service call returning the message to show
    (a ValidationError it raises is shown instead). Back to the client page either way."""
    if not form.is_valid():
        messages.error(request, invalid)
    else:
        try:
            messages.success(request, act(form.cleaned_data))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return redirect("client_detail", pk=client.pk)


@login_required
@require_POST
def survey_send(request, pk: int):
    """The manual "send survey" on the client page: the owning BRM or an admin only."""
    client = client_for_user(request.user, pk, write=True)

    def send(data) -> str:
        invitation_send(
            contact=data["contact"], kind=data["kind"], trigger=Invitation.Trigger.MANUAL
        )
        return f"Survey queued for {data['contact']}."

    return _client_page_action(
        request,
        client,
        SendSurveyForm(request.POST, client=client),
        invalid="Choose one of this client's contacts and a kind of survey.",
        act=send,
    )


@login_required
@require_POST
def survey_exclude(request, pk: int):
    contact = contact_for_user(request.user, pk, write=True)

    def exclude(data) -> str:
        survey_exclusion_create(contact=contact, by=request.user, reason=data["reason"])
        return f"{contact} will not be surveyed. This is counted for you."

    return _client_page_action(
        request,
        contact.client,
        ExclusionForm(request.POST),
        invalid="Say why this contact should not be surveyed.",
        act=exclude,
    )


@login_required
@require_POST
def survey_exclusion_lift_view(request, pk: int):
    exclusion = record_for_user(
        request.user,
        SurveyExclusion.objects.select_related("contact"),
        pk,
        write=True,
        client_field="contact__client",
    )
    survey_exclusion_lift(exclusion=exclusion, by=request.user)
    messages.success(request, f"{exclusion.contact} can be surveyed again.")
    return redirect("client_detail", pk=exclusion.contact.client_id)


@login_required
@require_POST
def survey_close_loop(request, pk: int):
    """Complete the follow-up opened for an unhappy answer: this closes the loop."""
    response = record_for_user(
        request.user, Response.objects.select_related("follow_up", "contact"), pk, write=True
    )
    client = response.client
    if response.follow_up is None:
        raise Http404("This answer has no follow-up.")
    form = CloseLoopForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("outcome", ["Check the outcome."])))
    else:
        follow_up_complete(follow_up=response.follow_up, outcome=form.cleaned_data["outcome"])
        messages.success(request, f"Loop closed with {response.contact or client}.")
    return redirect_back(request, reverse("client_detail", args=[client.pk]))


# --- The dev mailbox ------------------------------------------------------------------------------


def _dev_mailbox_enabled() -> bool:
    """Only in development: the mailbox shows the e-mails the app sent, each to the user it
    was addressed to (admins see all), password-reset links included."""
    return settings.DEBUG and settings.EMAIL_BACKEND == "surveys.mailbox.DevMailboxBackend"


@login_required
def dev_mailbox(request):
    if not _dev_mailbox_enabled():
        raise Http404("The dev mailbox exists only in development (DEBUG=1, no EMAIL_HOST).")
    mails = mail_visible_to(request.user, DevMail.objects.all())
    page = Paginator(mails, 50).get_page(request.GET.get("page"))
    return render(request, "surveys/dev_mailbox.html", {"page": page})


@login_required
def dev_mail_detail(request, pk: int):
    if not _dev_mailbox_enabled():
        raise Http404("The dev mailbox exists only in development (DEBUG=1, no EMAIL_HOST).")
    mail = mail_for_user(request.user, DevMail.objects.all(), pk)
    return render(request, "surveys/dev_mail_detail.html", {"mail": mail})
