"""Background jobs of accounts: the password-reset e-mail, sent after the request answered."""

from celery import shared_task
from django.contrib.auth.forms import PasswordResetForm


@shared_task(acks_late=True)
def send_password_reset(*, email: str, domain: str, use_https: bool) -> None:
    """Mail a reset link to every active account with ``email``; nothing for an unknown one.

    Run outside the request so that the page answers in the same time whether or not the
    address has an account (looking it up and rendering the mail is what took longer). Safe to
    run twice: a second mail carries another valid link, as asking twice would."""
    form = PasswordResetForm({"email": email})
    if form.is_valid():
        form.save(domain_override=domain, use_https=use_https)
