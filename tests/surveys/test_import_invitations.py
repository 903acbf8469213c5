"""survey_invitations: historic invitations give imported periods a response rate, all or
nothing, and their links answer nothing."""

from crm.imports.services import records_import
from surveys.models import Invitation, Response
from surveys.selectors import survey_results
from tests.factories import ContactFactory

HEADER = "client,contact,kind,sent_at,status,answered_at\n"


def run(rows: str):
    return records_import(record_type="survey_invitations", data=(HEADER + rows).encode(), by=None)


def test_imported_invitations_give_the_response_rate_its_denominator(alices_client):
    ContactFactory(client=alices_client, name="Dana Reyes")
    report = run(
        "Acme Logistics,Dana Reyes,nps,2024-11-18T09:00:00+00:00,delivered,"
        "2024-11-20T14:05:00+00:00\n"
        "Acme Logistics,Dana Reyes,nps,2024-12-18T09:00:00+00:00,delivered,\n"
        "Acme Logistics,Dana Reyes,nps,2025-01-06T09:00:00+00:00,bounced,\n"
        "Acme Logistics,Dana Reyes,csat,2025-02-06T09:00:00+00:00,delivered,\n"
    )
    assert report.saved, report.errors
    assert report.counts == {"survey invitations": 4}
    rate = survey_results(
        responses=Response.objects.all(), invitations=Invitation.objects.all()
    ).response_rate
    assert (rate.answered, rate.delivered, rate.percent) == (1, 3, 100 / 3)


def test_one_bad_row_saves_none_and_is_named_by_line(alices_client):
    ContactFactory(client=alices_client, name="Dana Reyes")
    report = run(
        "Acme Logistics,Dana Reyes,nps,2024-11-18T09:00:00+00:00,delivered,\n"
        "Acme Logistics,Dana Reyes,nps,2024-11-18T09:00:00+00:00,bounced,2024-11-19\n"
        "Acme Logistics,Nobody,nps,2024-11-18T09:00:00+00:00,queued,\n"
    )
    assert [(error.line, error.message) for error in report.errors] == [
        (3, "answered_at is only for a delivered invitation."),
        (4, 'status "queued" is not one of: delivered, bounced, failed, suppressed.'),
    ]
    assert not Invitation.objects.exists()
