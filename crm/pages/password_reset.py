"""The password-reset request page: same answer, same time, for every address, and throttled.

It lives above ``accounts`` because the client address comes through the trusted proxies
(``crm.client_ip``); the e-mail itself is ``accounts.tasks.send_password_reset``."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import render
from kombu.exceptions import OperationalError

from accounts import tasks
from accounts.throttle import rate_limit_hit
from crm.client_ip import client_ip

logger = logging.getLogger(__name__)


class PasswordResetRequestView(auth_views.PasswordResetView):
    """Django's reset page, except that the request only queues the e-mail (the lookup and the
    sending happen in ``accounts.tasks.send_password_reset``), and each client address and each
    e-mail address may ask ``PASSWORD_RESET_LIMIT`` times per window."""

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        window = settings.PASSWORD_RESET_WINDOW_SECONDS
        # Both counters are always counted, so which one refused says nothing about accounts.
        by_ip = rate_limit_hit(
            key=f"password-reset:ip:{client_ip(self.request) or 'unknown'}",
            limit=settings.PASSWORD_RESET_LIMIT_PER_IP,
            window_seconds=window,
        )
        by_address = rate_limit_hit(
            key=f"password-reset:email:{email}",
            limit=settings.PASSWORD_RESET_LIMIT_PER_ADDRESS,
            window_seconds=window,
        )
        if by_ip or by_address:
            logger.warning("Password reset throttled for %s", client_ip(self.request))
            return render(
                self.request,
                "registration/password_reset_throttled.html",
                {"minutes": max(1, window // 60)},
                status=429,
            )
        job = {
            "email": email,
            "domain": self.request.get_host(),
            "use_https": self.request.is_secure(),
        }
        transaction.on_commit(lambda: _queue(job))
        return HttpResponseRedirect(self.get_success_url())


def _queue(job: dict) -> None:
    try:
        tasks.send_password_reset.delay(**job)
    except OperationalError:
        # The broker is down: send now rather than lose the link (the timing then differs,
        # but only while the broker is down, and the page still answers the same).
        logger.exception("Could not queue a password reset; sending it in the request.")
        tasks.send_password_reset(**job)
