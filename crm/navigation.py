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


NAV_ITEMS = [
    NavItem("Home", "home"),
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
    return {"nav_items": items}
