"""Celery's autodiscovery reads ``<app>.tasks``; the integrations' tasks live by job."""

from integrations.mail.tasks import poll_imap

__all__ = ["poll_imap"]
