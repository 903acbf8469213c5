from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def mail_server_configured(app_configs, **kwargs):
    """In production, mail kept in the dev mailbox never reaches anyone."""
    if settings.EMAIL_BACKEND == "surveys.mailbox.DevMailboxBackend":
        return [
            Warning(
                "No mail server is configured: survey invitations, alerts and password resets "
                "would be stored in the dev mailbox and never delivered.",
                hint="Set EMAIL_HOST (and EMAIL_HOST_USER, EMAIL_HOST_PASSWORD) in production.",
                id="surveys.W001",
            )
        ]
    return []
