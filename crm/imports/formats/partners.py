"""What partners bring and hold: referrals and certifications."""

from __future__ import annotations

from crm.imports.columns import Column, Kind
from crm.imports.context import ImportContext, Row
from crm.imports.formats.base import EventFormat, not_before
from crm.models import PartnerCertification, PartnerReferral


class PartnerReferralsFormat(EventFormat):
    key = "partner_referrals"
    label = "partner referrals"
    model = PartnerReferral
    same_as = ("partner_id", "received_on", "lead_name")
    same_as_words = "A referral by this partner on this day of this lead"
    sort_by = ("partner.name", "received_on")
    client_column = "partner"
    partner_client = True
    help = "Leads a partner referred, credited to the partner's owner on received_on."
    columns = (
        Column("partner", Kind.CLIENT, required=True, example="Cobalt Partners"),
        Column("lead_name", required=True, example="Northwind Freight"),
        Column("received_on", Kind.DATE, required=True, example="2025-02-03"),
        Column("referred_client", Kind.CLIENT, help="the client the lead became, if any"),
    )

    def build(self, row: Row, ctx: ImportContext) -> PartnerReferral:
        values = row.values
        referred = ctx.client(row, "referred_client")
        return PartnerReferral(
            partner=row.client,
            owner_id=ctx.owner_id_at(row.client, values["received_on"]),
            lead_name=values["lead_name"],
            received_on=values["received_on"],
            referred_client=referred,
        )


class PartnerCertificationsFormat(EventFormat):
    key = "partner_certifications"
    label = "partner certifications"
    model = PartnerCertification
    sort_by = ("partner.name", "valid_from")
    client_column = "partner"
    partner_client = True
    help = "Trainings and certifications a partner holds, valid from one day until another."
    columns = (
        Column("partner", Kind.CLIENT, required=True, example="Cobalt Partners"),
        Column("name", required=True, example="Certified integrator"),
        Column("valid_from", Kind.DATE, required=True, example="2025-01-01"),
        Column("valid_until", Kind.DATE, required=True, example="2025-12-31"),
    )

    def build(self, row: Row, ctx: ImportContext) -> PartnerCertification:
        not_before(row, "valid_until", "valid_from")
        return PartnerCertification(
            partner=row.client,
            name=row.values["name"],
            valid_from=row.values["valid_from"],
            valid_until=row.values["valid_until"],
        )
