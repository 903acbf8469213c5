"""What partners bring and hold: referrals and certifications."""

from __future__ import annotations

from crm.imports.columns import Column, Kind
from crm.imports.context import ImportContext, Row
from crm.imports.formats.base import PARTNER, EventFormat, not_before
from crm.models import PartnerCertification, PartnerReferral


class PartnerEventFormat(EventFormat):
    """A record of one partner client, named in the ``partner`` column."""

    client_column = "partner"
    partner_client = True


class PartnerReferralsFormat(PartnerEventFormat):
    key = "partner_referrals"
    label = "partner referrals"
    model = PartnerReferral
    same_as = ("partner_id", "received_on", "lead_name")
    same_as_words = "A referral by this partner on this day of this lead"
    sort_by = ("partner.name", "received_on")
    help = "Leads a partner referred, credited to the partner's owner on received_on."
    columns = (
        PARTNER,
        Column("lead_name", required=True, example="Northwind Freight"),
        Column("received_on", Kind.DATE, required=True, example="2025-02-03"),
        Column("referred_client", Kind.CLIENT, help="the client the lead became, if any"),
    )
    stored = ("lead_name", "received_on")
    credited_at = "received_on"

    def build(self, row: Row, ctx: ImportContext) -> PartnerReferral:
        return self.record(row, ctx, referred_client=ctx.client(row, "referred_client"))


class PartnerCertificationsFormat(PartnerEventFormat):
    key = "partner_certifications"
    label = "partner certifications"
    model = PartnerCertification
    sort_by = ("partner.name", "valid_from")
    help = "Trainings and certifications a partner holds, valid from one day until another."
    columns = (
        PARTNER,
        Column("name", required=True, example="Certified integrator"),
        Column("valid_from", Kind.DATE, required=True, example="2025-01-01"),
        Column("valid_until", Kind.DATE, required=True, example="2025-12-31"),
    )
    stored = ("name", "valid_from", "valid_until")

    def build(self, row: Row, ctx: ImportContext) -> PartnerCertification:
        not_before(row, "valid_until", "valid_from")
        return self.record(row, ctx)
