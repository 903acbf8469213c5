"""Where to send someone after a POST: the one helper every ``next=`` goes through."""

from __future__ import annotations

from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme

from crm.input_rules import text_problem


def safe_next(request, default: str) -> str:
    """The ``next`` the request names (POST first, then the query string) if it is a path on
    this site, else ``default``. Only an absolute path counts: a relative ``x`` or a pattern name
    would otherwise be resolved as a view name, and a line break would break the header."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target.startswith("/")
        and not text_problem(target, single_line=True)
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return default


def redirect_back(request, default: str) -> HttpResponseRedirect:
    """A redirect to ``safe_next(request, default)``."""
    return HttpResponseRedirect(safe_next(request, default))
