import pytest
from django.urls import reverse

from surveys.models import OutboundEmail, SurveyQuestion
from tests.surveys.factories import (
    InvitationFactory,
    OutboundEmailFactory,
    ResponseFactory,
    SurveyExclusionFactory,
)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize(
    "model", ["surveyquestion", "invitation", "response", "surveyexclusion", "outboundemail"]
)
def test_the_admin_lists_and_opens_survey_records(admin_client, contact, model):
    ResponseFactory(invitation__contact=contact, comment="Helpful")
    SurveyExclusionFactory(contact=contact)
    OutboundEmailFactory()
    listing = admin_client.get(reverse(f"admin:surveys_{model}_changelist"))
    assert listing.status_code == 200
    first = listing.context["cl"].result_list[0]
    assert (
        admin_client.get(reverse(f"admin:surveys_{model}_change", args=[first.pk])).status_code
        == 200
    )


def test_an_admin_edits_the_wording_of_a_survey(admin_client):
    question = SurveyQuestion.objects.get(kind="csat")
    admin_client.post(
        reverse("admin:surveys_surveyquestion_change", args=[question.pk]),
        {
            "question": "How happy are you with our help?",
            "low_label": "Unhappy",
            "high_label": "Delighted",
        },
    )
    question.refresh_from_db()
    assert question.question == "How happy are you with our help?"


def test_the_admin_never_shows_a_link_token(admin_client, contact):
    email = OutboundEmailFactory(link_token="secret-token-value")
    page = admin_client.get(reverse("admin:surveys_outboundemail_change", args=[email.pk]))
    assert "secret-token-value" not in page.content.decode()


def test_the_admin_lists_failed_sends(admin_client, contact):
    invitation = InvitationFactory(contact=contact)
    OutboundEmailFactory(
        invitation=invitation,
        purpose=OutboundEmail.Purpose.INVITATION,
        status=OutboundEmail.Status.FAILED,
        last_error="ConnectionRefusedError('down')",
    )
    page = admin_client.get(
        reverse("admin:surveys_outboundemail_changelist"), {"status__exact": "failed"}
    )
    assert page.status_code == 200
    assert "ConnectionRefusedError" in page.content.decode()
