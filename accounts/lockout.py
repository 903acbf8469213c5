"""How django-axes names the login it counts failures against.

Sign-in accepts an e-mail in any case (``UserManager.get_by_natural_key``), so the lockout must
count every spelling as one login: five wrong passwords as ``bea@example.com`` also lock out
``BEA@example.com``. Configured as ``AXES_USERNAME_CALLABLE``; axes calls it for failures,
for the lockout check and for the reset after a successful log-in.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from accounts.models import normalise_email


def lockout_username(request: HttpRequest | None, credentials: dict | None = None) -> str | None:
    """The normalised login from the credentials, else from the posted form; ``None`` if the
    attempt named none (axes then counts the address alone)."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        login = credentials.get(field)
    else:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        login = data.get(field)
    return normalise_email(login) if isinstance(login, str) else None
