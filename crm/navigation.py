"""The main navigation, by role. A page joins the menu with one line here."""

from dataclasses import dataclass

from django.urls import reverse

from accounts.models import Role

ALL_ROLES = (Role.BRM, Role.MANAGER, Role.ADMIN)


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: tuple[str, ...] = ALL_ROLES


# Who logs interactions (and so gets the quick-log button): the people who write books.
QUICK_LOG_ROLES = (Role.BRM, Role.ADMIN)

NAV_ITEMS = [
    NavItem("Today", "today", (Role.BRM, Role.ADMIN)),
    NavItem("Clients", "client_list"),
    NavItem("Contacts", "contact_list"),
    NavItem("Pipeline", "pipeline"),
    NavItem("Support", "support_queue"),
    NavItem("Surveys", "survey_results"),
    NavItem("Scorecard", "scorecard_home"),
    NavItem("Team", "team_overview", (Role.MANAGER, Role.ADMIN)),
    NavItem("Targets", "targets", (Role.ADMIN,)),
    NavItem("Import", "imports:import", (Role.BRM, Role.ADMIN)),
]


def nav_items(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    for item in NAV_ITEMS:
        if user.role not in item.roles:
            continue
        url = reverse(item.url_name)
        active = request.path == url or (url != "/" and request.path.startswith(url))
        items.append({"label": item.label, "url": url, "active": active})
    return {"nav_items": items, "can_quick_log": user.role in QUICK_LOG_ROLES}
