"""The main navigation. A page joins the menu with one line here, naming the rule of
``crm.access`` that decides who sees it (``None``: everyone signed in)."""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from accounts.models import User
from crm.access import (
    may_compare_teams,
    may_configure,
    may_import,
    may_keep_a_book,
    may_set_targets,
)


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    shown_to: Callable[[User], bool] | None = None


NAV_ITEMS = [
    NavItem("Today", "today", may_keep_a_book),
    NavItem("Worklist", "worklist", may_compare_teams),
    NavItem("Clients", "client_list"),
    NavItem("Contacts", "contact_list"),
    NavItem("Pipeline", "pipeline"),
    NavItem("Support", "support_queue"),
    NavItem("Surveys", "survey_results"),
    NavItem("Scorecard", "scorecard_home"),
    NavItem("Team", "team_overview", may_compare_teams),
    NavItem("Targets", "targets", may_set_targets),
    NavItem("Import", "imports:import", may_import),
]


def nav_items(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    for item in NAV_ITEMS:
        if item.shown_to is not None and not item.shown_to(user):
            continue
        url = reverse(item.url_name)
        active = request.path == url or (url != "/" and request.path.startswith(url))
        items.append({"label": item.label, "url": url, "active": active})
    # Who logs interactions (and so gets the quick-log button): the people who write books.
    return {
        "nav_items": items,
        "can_quick_log": may_keep_a_book(user),
        "can_configure": may_configure(user),
    }
