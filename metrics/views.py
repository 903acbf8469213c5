"""Scorecard pages, drill-downs, side-by-side matrices, CSV exports and the targets page.

Every page reads stored snapshots (``metrics.scorecard``, ``metrics.matrix``,
``metrics.drilldowns``) after one access check in ``metrics.subjects`` (a subject the viewer
may not see is a 404), so no view filters by owner itself.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from crm.access import (
    managed_teams_visible_to,
    may_compare_teams,
    may_see_organisation,
    may_set_targets,
)
from crm.formatting import format_plain
from crm.forms import add_service_error
from metrics import contract, exports, services
from metrics.drilldowns import drilldown
from metrics.forms import (
    DrilldownForm,
    MatrixSortForm,
    TargetForm,
    TargetHistoryFilter,
    period_from,
)
from metrics.links import (
    default_subject_url,
    period_links,
    period_query,
    related_links,
    subject_url,
    team_matrix_url,
)
from metrics.matrix import team_matrix as build_team_matrix
from metrics.matrix import teams_overview
from metrics.periods import Grain, Period
from metrics.registry import KPIS
from metrics.scorecard import scorecard as build_scorecard
from metrics.subjects import subject_for_user, team_for_manager
from metrics.targets import target_history, targets_in_force


def _period_nav(path: str, period: Period, **extra) -> dict:
    """Links to the previous, next and open period and to the other grains, keeping
    ``extra`` query parameters (a matrix's sort)."""
    near = period_links(period)

    def url(p: Period | None) -> str:
        return path + period_query(p, **extra) if p else ""

    grains = [
        {
            "label": label,
            "url": url(Period.containing(grain, period.start)),
            "active": grain == period.grain,
        }
        for grain, label in Grain.choices
    ]
    return {
        "period": period,
        "is_open": not period.is_closed(),
        "previous_url": url(near["previous"]),
        "previous": near["previous"],
        "next_url": url(near["next"]),
        "next": near["next"],
        "current_url": url(near["current"]),
        "grains": grains,
    }


@login_required
def scorecard_home(request):
    url = default_subject_url(request.user)
    if url is None:
        return render(request, "metrics/no_scorecard.html")
    return redirect(url + ("?" + request.GET.urlencode() if request.GET else ""))


@login_required
def scorecard(request, subject_type: str, subject_id: int):
    period, period_error = period_from(request.GET)
    subject = subject_for_user(request.user, subject_type, subject_id, period)
    card = build_scorecard(subject, period)
    return render(
        request,
        "metrics/scorecard.html",
        {
            "card": card,
            "subject": subject,
            "period_error": period_error,
            "nav": _period_nav(request.path, period),
            "links": related_links(request.user, subject, period),
            "export_url": subject_url("scorecard_export", subject.key, period=period),
        },
    )


@login_required
def scorecard_export(request, subject_type: str, subject_id: int):
    period, _ = period_from(request.GET)
    subject = subject_for_user(request.user, subject_type, subject_id, period)
    return exports.scorecard_csv(build_scorecard(subject, period))


@login_required
def kpi_records(request, subject_type: str, subject_id: int, kpi: str):
    period, period_error = period_from(request.GET)
    subject = subject_for_user(request.user, subject_type, subject_id, period)
    definition = KPIS.get(kpi)
    if definition is None:
        raise Http404("No such KPI.")
    breakdown, show, page = DrilldownForm(request.GET).choice()
    drill = drilldown(
        request.user, subject, definition, period, breakdown=breakdown, show=show, page=page
    )
    return render(
        request,
        "metrics/kpi_records.html",
        {
            "drill": drill,
            "subject": subject,
            "period_error": period_error,
            "nav": _period_nav(request.path, period, breakdown=breakdown, show=show),
            "scorecard_url": subject_url("scorecard", subject.key, period=period),
        },
    )


def _require_managing(user) -> None:
    if not may_compare_teams(user):
        raise Http404("No such page.")


@login_required
def team_overview(request):
    """Teams side by side (with the organisation for an admin). A manager of one team has
    nothing to compare it with, so goes straight to the team's BRMs side by side."""
    _require_managing(request.user)
    period, period_error = period_from(request.GET)
    if not may_see_organisation(request.user):
        teams = list(managed_teams_visible_to(request.user)[:2])
        if len(teams) == 1:
            return redirect(team_matrix_url(teams[0].pk, period))
    sort, order = MatrixSortForm(request.GET).choice()
    matrix = teams_overview(request.user, period, sort=sort, order=order)
    return render(
        request,
        "metrics/matrix.html",
        {
            "matrix": matrix,
            "title": "Teams side by side",
            "intro": "Each team's KPIs recomputed from all of its records (not averaged over "
            "its BRMs).",
            "period_error": period_error,
            "nav": _period_nav(request.path, period, sort=sort, order=order),
            "export_url": "",
        },
    )


@login_required
def team_matrix(request, team_id: int):
    team = team_for_manager(request.user, team_id)
    period, period_error = period_from(request.GET)
    sort, order = MatrixSortForm(request.GET).choice()
    matrix = build_team_matrix(team, period, sort=sort, order=order)
    return render(
        request,
        "metrics/matrix.html",
        {
            "matrix": matrix,
            "team": team,
            "title": f"{team.name}: BRMs side by side",
            "intro": "The team column is recomputed from all of the team's records, not "
            "averaged over its BRMs.",
            "period_error": period_error,
            "nav": _period_nav(request.path, period, sort=sort, order=order),
            "export_url": reverse("team_matrix_export", args=[team.id])
            + period_query(period, sort=sort, order=order),
        },
    )


@login_required
def team_matrix_export(request, team_id: int):
    team = team_for_manager(request.user, team_id)
    period, _ = period_from(request.GET)
    sort, order = MatrixSortForm(request.GET).choice()
    return exports.matrix_csv(build_team_matrix(team, period, sort=sort, order=order), team.name)


@login_required
@require_http_methods(["GET", "POST"])
def targets(request):
    """Admins set a KPI's target, globally or for a team, from a date; rows are history."""
    if not may_set_targets(request.user):
        raise Http404("No such page.")
    form = TargetForm(request.POST or None, initial={"kpi": request.GET.get("kpi")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            target = services.target_set(
                kpi=data["kpi"],
                value=data["value"],
                effective_from=data["effective_from"],
                team=data["team"],
                tolerance=data["tolerance"],
                by=request.user,
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            scope = target.team.name if target.team else "everyone"
            messages.success(
                request,
                f"{KPIS[target.kpi].label}: target {format_plain(target.value)} for {scope} from "
                f"{target.effective_from:%d %b %Y}. Snapshots taken from now on use it.",
            )
            return redirect(reverse("targets") + f"?kpi={target.kpi}")
    history_filter = TargetHistoryFilter(request.GET)
    chosen = history_filter.choice()
    return render(
        request,
        "metrics/targets.html",
        {
            "form": form,
            "lines": targets_in_force(),
            "history": [(row, KPIS.get(row.kpi)) for row in target_history(chosen)],
            "history_filter": history_filter,
            "chosen": KPIS.get(chosen),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def kpi_contract(request):
    """How every number is computed: the KPI contract shipped in ``docs/kpis.md``."""
    return render(request, "metrics/kpi_contract.html", {"contract": contract.contract_html()})
