"""Every format offered for import and export, by key."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from crm.imports.formats.base import RecordFormat
from crm.imports.formats.clients import ClientsFormat, OwnershipHistoryFormat, StatusHistoryFormat
from crm.imports.formats.contacts import ContactsFormat, InteractionsFormat
from crm.imports.formats.delivery import (
    FeedbackFormat,
    FollowUpsFormat,
    GoalReviewsFormat,
    ProjectsFormat,
    SharedGoalsFormat,
    SupportIssuesFormat,
)
from crm.imports.formats.partners import PartnerCertificationsFormat, PartnerReferralsFormat
from crm.imports.formats.sales import DealsFormat, RevenueFormat

FORMATS: dict[str, type[RecordFormat]] = {
    fmt.key: fmt
    for fmt in (
        ClientsFormat,
        OwnershipHistoryFormat,
        StatusHistoryFormat,
        ContactsFormat,
        InteractionsFormat,
        FollowUpsFormat,
        SupportIssuesFormat,
        RevenueFormat,
        DealsFormat,
        ProjectsFormat,
        SharedGoalsFormat,
        GoalReviewsFormat,
        FeedbackFormat,
        PartnerReferralsFormat,
        PartnerCertificationsFormat,
    )
}


def register_format(fmt: type[RecordFormat]) -> None:
    """Offer ``fmt`` for import and export, after the book's own formats. A higher app
    registers its formats from its ``AppConfig.ready`` (surveys: survey answers), so the book
    does not import it."""
    if fmt.key in FORMATS:
        raise ImproperlyConfigured(f"Two import formats use the key {fmt.key!r}.")
    FORMATS[fmt.key] = fmt
