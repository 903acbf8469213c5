"""survey_answers can say which follow-up closed the loop on a detractor's answer, so imported
history shows the closed-loop rate it really had."""

from datetime import date

from crm.imports.services import records_import
from surveys.models import Response
from tests.factories import FollowUpFactory
from tests.surveys.factories import UninvitedResponseFactory

HEADER = "client,kind,score,answered_at,follow_up\n"


def run(rows: str):
    return records_import(record_type="survey_answers", data=(HEADER + rows).encode(), by=None)


def test_an_imported_detractor_is_linked_to_the_follow_up_that_closed_the_loop(alices_client):
    FollowUpFactory(client=alices_client, title="Call Dana back", due_on=date(2025, 2, 3))
    report = run("Acme Logistics,nps,3,2025-01-30T10:00:00+00:00,call dana back\n")
    assert report.saved, report.errors
    assert Response.objects.get().follow_up.title == "Call Dana back"


def test_a_follow_up_that_is_missing_taken_or_named_twice_is_an_error_on_its_line(alices_client):
    taken = FollowUpFactory(client=alices_client, title="Taken")
    UninvitedResponseFactory(
        client=alices_client, score=2, answered_at=taken.created_at, follow_up=taken
    )
    FollowUpFactory(client=alices_client, title="Once")
    report = run(
        "Acme Logistics,nps,3,2025-01-30T10:00:00+00:00,Nowhere\n"
        "Acme Logistics,nps,3,2025-01-30T10:00:00+00:00,Taken\n"
        "Acme Logistics,nps,3,2025-01-30T10:00:00+00:00,Once\n"
        "Acme Logistics,nps,4,2025-01-31T10:00:00+00:00,Once\n"
    )
    assert [(error.line, error.message) for error in report.errors] == [
        (2, 'follow_up: Acme Logistics has no follow-up titled "Nowhere".'),
        (3, 'follow_up: "Taken" already closes the loop on another answer.'),
        (5, 'follow_up: "Once" is also named on line 4.'),
    ]
    assert Response.objects.count() == 1
