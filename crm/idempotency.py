"""A form sent twice saves once: every form that creates a record carries a one-time token
(``{% form_token %}``), and the view behind it is wrapped in ``once_per_form_token``.

The first POST with a token claims it in the shared cache (an atomic ``add``); a repeat with the
same token within ``FORM_TOKEN_SECONDS`` does not run the view again: it is sent where the first
one went, or told that the first one is still being saved. Each rendering of a form gets a new
token, so a form shown again with errors can be corrected and sent.
"""

from __future__ import annotations

import logging
import secrets
from functools import wraps

from django.contrib import messages
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseRedirect

logger = logging.getLogger(__name__)

FIELD = "form_token"
FORM_TOKEN_SECONDS = 15 * 60
_PENDING = "pending"


def new_form_token() -> str:
    return secrets.token_urlsafe(16)


def once_per_form_token(view):
    """Run ``view`` once per form token and user; a POST without a token runs as before."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        token = request.POST.get(FIELD, "")[:64] if request.method == "POST" else ""
        if not token:
            return view(request, *args, **kwargs)
        key = f"form-token:{request.user.pk}:{token}"
        try:
            claimed = cache.add(key, _PENDING, timeout=FORM_TOKEN_SECONDS)
            first_went_to = None if claimed else cache.get(key)
        except Exception:
            # The cache (Redis) is down: saving the form matters more than catching a repeat.
            logger.warning("Form token not checked: the cache is unreachable.")
            return view(request, *args, **kwargs)
        if not claimed:
            return _repeat(request, first_went_to)
        response = view(request, *args, **kwargs)
        if response.status_code in (301, 302, 303):
            try:
                cache.set(key, response["Location"], timeout=FORM_TOKEN_SECONDS)
            except Exception:
                logger.warning("Form token outcome not kept: the cache is unreachable.")
        return response

    return wrapper


def _repeat(request, first_went_to: str | None) -> HttpResponse:
    """The answer to a form sent again: the same place the first one led to, saving nothing."""
    if first_went_to and first_went_to != _PENDING:
        messages.info(request, "That form was sent twice; it was saved once.")
        return HttpResponseRedirect(first_went_to)
    if request.htmx:
        # The first request's answer (a fresh form) is on its way; leave the page as it is.
        return HttpResponse(status=204)
    return HttpResponse(
        "This form was sent twice; it was saved once. Go back and reload the page.",
        status=409,
        content_type="text/plain; charset=utf-8",
    )
