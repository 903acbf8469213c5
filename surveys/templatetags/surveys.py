"""Survey panels other apps' pages include: the client page and Today."""

from django import template
from django.utils import timezone

from crm.access import can_write_client, follow_ups_owned_by
from crm.models import Client
from surveys import selectors
from surveys.forms import SendSurveyForm
from surveys.models import SurveyKind

register = template.Library()


def _shared(context) -> dict:
    # An inclusion tag starts a fresh context: carry what its forms need.
    return {"request": context.get("request"), "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("surveys/partials/client_panel_body.html", takes_context=True)
def survey_client_panel(context, client: Client) -> dict:
    user = context["request"].user
    return {
        **_shared(context),
        "panel": selectors.client_survey_panel(client=client),
        "can_write": can_write_client(user, client),
        "send_form": SendSurveyForm(client=client),
    }


@register.inclusion_tag("surveys/partials/today_detractors_body.html", takes_context=True)
def survey_today_detractors(context) -> dict:
    own = follow_ups_owned_by(context["request"].user)
    return {
        **_shared(context),
        "detractors": list(selectors.open_detractor_responses(follow_ups=own)),
    }


@register.inclusion_tag("surveys/partials/worklist_detractors_body.html", takes_context=True)
def survey_worklist_detractors(context) -> dict:
    """A manager's worklist: the unhappy answers on their teams' clients with no closed loop,
    by who owes the follow-up."""
    return {
        **_shared(context),
        "detractors": list(selectors.worklist_detractors(context["request"].user)),
        "today": timezone.localdate(),
    }


@register.filter
def score_class(response) -> str:
    """Colour an answer by what it means: unhappy, neutral or happy (also given as text)."""
    if response.needs_closing_the_loop:
        return "badge-status-red"
    happy = {SurveyKind.NPS: 9, SurveyKind.CSAT: 4}.get(response.kind)
    if happy is not None and response.score >= happy:
        return "badge-status-green"
    if response.kind == SurveyKind.CES:
        return "badge-status-green" if response.score <= 3 else "badge-status-amber"
    return "badge-status-amber"
