"""The address of the person behind a request, through the proxies we run in front of us.

Behind a reverse proxy or load balancer every connection comes from the proxy, so
``REMOTE_ADDR`` is the same for everyone and a per-address limit would throttle all of them
together. Each proxy appends the address it received the request from to ``X-Forwarded-For``;
the client's own address is therefore the ``TRUSTED_PROXY_COUNT``-th entry from the right.
Anything left of it was written by the client and can be forged, so it is never used.

python-ipware (the engine of django-ipware) parses the header: ports, IPv6 in brackets,
malformed entries. It is called directly, not through django-ipware's ``get_client_ip``, because
that one demands exactly the configured number of entries and would send every respondent
whose own network adds a forwarding proxy into one shared bucket. The same function serves the
survey pages' rate limit and django-axes (``AXES_CLIENT_IP_CALLABLE``).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from python_ipware import IpWare


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address: ``REMOTE_ADDR`` when ``TRUSTED_PROXY_COUNT`` is 0 (the default,
    no proxy), else the entry of ``X-Forwarded-For`` the outermost trusted proxy appended.
    A request that did not come through all the proxies (its header too short or missing)
    falls back to ``REMOTE_ADDR``. ``None`` only when the server gave no address at all."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        # ipware counts the proxies listed in the header; the last proxy is the connection
        # itself (REMOTE_ADDR) and does not list its own address.
        ipware = IpWare(precedence=("HTTP_X_FORWARDED_FOR",), proxy_count=proxies - 1)
        forwarded, _ = ipware.get_client_ip(request.META, strict=False)
        if forwarded is not None:
            return str(forwarded)
    return request.META.get("REMOTE_ADDR") or None
