from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from crm.calendar import add_business_days
from crm.services import client_churn, project_complete, project_create, support_issue_resolve
from surveys import tasks
from surveys.models import Invitation, OutboundEmail, SurveyQuestion
from surveys.services import invitation_send
from tests.factories import ContactFactory, SupportIssueFactory
from tests.surveys.factories import InvitationFactory, ResponseFactory, SurveyExclusionFactory


def _send(contact, kind="nps"):
    return invitation_send(contact=contact, kind=kind, trigger=Invitation.Trigger.MANUAL)


def test_no_contact_gets_a_second_survey_within_the_throttle_window(contact):
    _send(contact)
    with pytest.raises(ValidationError, match="was sent a survey in the last 30 days"):
        _send(contact, kind="ces")
    assert Invitation.objects.count() == 1


def test_a_contact_can_be_surveyed_again_once_the_window_has_passed(contact):
    InvitationFactory(contact=contact, created_at=timezone.now() - timedelta(days=31))
    _send(contact)
    assert Invitation.objects.count() == 2


def test_the_throttle_applies_whatever_the_trigger(contact, sent):
    _send(contact)
    issue = SupportIssueFactory(client=contact.client, contact=contact)
    with sent():
        support_issue_resolve(issue=issue)
    assert list(Invitation.objects.values_list("trigger", flat=True)) == ["manual"]


def test_an_invitation_whose_email_was_given_up_on_does_not_throttle(contact):
    InvitationFactory(contact=contact, status=Invitation.Status.FAILED, delivered_at=None)
    _send(contact)
    assert Invitation.objects.count() == 2


def test_opted_out_contacts_get_no_survey(contact):
    contact.opted_out_of_surveys = True
    contact.save()
    with pytest.raises(ValidationError, match="opted out"):
        _send(contact)


def test_contacts_of_churned_clients_get_no_survey(contact):
    client_churn(client=contact.client, reason="Moved to a competitor")
    with pytest.raises(ValidationError, match="churned client"):
        _send(contact)


def test_contacts_without_an_email_address_get_no_survey(alices_client):
    contact = ContactFactory(client=alices_client, email="")
    with pytest.raises(ValidationError, match="no e-mail address"):
        _send(contact)


def test_excluded_contacts_get_no_survey_until_the_exclusion_is_lifted(contact):
    exclusion = SurveyExclusionFactory(contact=contact)
    with pytest.raises(ValidationError, match="excluded"):
        _send(contact)
    exclusion.lifted_at = timezone.now()
    exclusion.save()
    _send(contact)


def test_nothing_is_written_when_a_survey_is_refused(contact):
    contact.opted_out_of_surveys = True
    contact.save()
    with pytest.raises(ValidationError):
        _send(contact)
    assert not Invitation.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_an_invitation_keeps_the_wording_it_was_sent_with(contact):
    invitation = _send(contact)
    SurveyQuestion.objects.filter(kind="nps").update(question="Would you recommend us?")
    invitation.refresh_from_db()
    assert invitation.question == "How likely are you to recommend us to a friend or colleague?"


def test_the_invitation_is_credited_to_the_brm_owning_the_client_when_sent(contact, alice):
    assert _send(contact).owner == alice


def test_resolving_a_support_issue_sends_csat_to_the_person_who_raised_it(contact, sent):
    issue = SupportIssueFactory(client=contact.client, contact=contact)
    with sent():
        support_issue_resolve(issue=issue)
    invitation = Invitation.objects.get()
    assert (invitation.kind, invitation.trigger) == ("csat", "issue_resolved")
    assert invitation.support_issue == issue
    assert invitation.status == Invitation.Status.DELIVERED


def test_the_survey_after_an_issue_can_be_ces_by_setting(contact, sent, settings):
    settings.SURVEY_ISSUE_RESOLVED_KIND = "ces"
    with sent():
        support_issue_resolve(issue=SupportIssueFactory(client=contact.client, contact=contact))
    assert Invitation.objects.get().kind == "ces"


def test_an_issue_without_a_contact_sends_nothing(contact, sent):
    with sent():
        support_issue_resolve(issue=SupportIssueFactory(client=contact.client, contact=None))
    assert not Invitation.objects.exists()


def test_completing_a_project_sends_ces_to_each_contact_who_may_be_surveyed(contact, sent):
    opted_out = ContactFactory(client=contact.client, opted_out_of_surveys=True)
    project = project_create(
        client=contact.client, name="Warehouse move", due_on=timezone.localdate()
    )
    with sent():
        project_complete(project=project)
    invitation = Invitation.objects.get()
    assert (invitation.contact, invitation.kind, invitation.trigger) == (
        contact,
        "ces",
        "project_completed",
    )
    assert not opted_out.invitations.exists()


def test_the_relationship_cycle_surveys_every_contact_due_once(alices_client, celery_eager):
    due = ContactFactory(client=alices_client)
    recently = ContactFactory(client=alices_client)
    InvitationFactory(
        contact=recently,
        trigger=Invitation.Trigger.RELATIONSHIP_CYCLE,
        created_at=timezone.now() - timedelta(days=60),
    )
    long_ago = ContactFactory(client=alices_client)
    InvitationFactory(
        contact=long_ago,
        trigger=Invitation.Trigger.RELATIONSHIP_CYCLE,
        created_at=timezone.now() - timedelta(days=91),
    )
    tasks.send_relationship_nps.apply()
    tasks.send_relationship_nps.apply()
    cycle = Invitation.objects.filter(
        trigger=Invitation.Trigger.RELATIONSHIP_CYCLE,
        created_at__gte=timezone.now() - timedelta(days=1),
    )
    assert sorted(cycle.values_list("contact_id", flat=True)) == sorted([due.pk, long_ago.pk])
    assert all(invitation.kind == "nps" for invitation in cycle)


def test_one_reminder_goes_to_an_unanswered_invitation_after_a_week(
    contact, celery_eager, sent, mailoutbox
):
    invitation = InvitationFactory(contact=contact, created_at=timezone.now() - timedelta(days=8))
    with sent():
        tasks.send_reminders.apply()
    with sent():
        tasks.send_reminders.apply()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject.startswith("Reminder")
    invitation.refresh_from_db()
    assert invitation.reminder_sent_at is not None
    # The reminder's own link answers the same invitation.
    link = next(line for line in mailoutbox[0].body.splitlines() if "?score=" in line)
    token = link.split("/s/")[1].split("/")[0]
    assert Invitation.objects.get(reminder_token_hash__isnull=False).pk == invitation.pk
    assert token != invitation.token


def test_no_reminder_for_an_answered_or_recent_invitation(
    contact, alices_client, celery_eager, mailoutbox
):
    ResponseFactory(
        invitation=InvitationFactory(
            contact=contact,
            created_at=timezone.now() - timedelta(days=8),
            answered_at=timezone.now() - timedelta(days=7),
        )
    )
    InvitationFactory(contact=ContactFactory(client=alices_client))
    tasks.send_reminders.apply()
    assert not Invitation.objects.filter(reminder_sent_at__isnull=False).exists()


@pytest.mark.parametrize(
    ("answered_on", "due_on"),
    [
        (date(2026, 11, 23), date(2026, 11, 25)),  # Monday → Wednesday
        (date(2026, 11, 26), date(2026, 11, 30)),  # Thursday → Monday
        (date(2026, 11, 27), date(2026, 12, 1)),  # Friday → Tuesday
        (date(2026, 11, 28), date(2026, 12, 1)),  # Saturday → Tuesday
    ],
)
def test_a_detractor_follow_up_is_due_within_two_business_days(answered_on, due_on):
    assert add_business_days(answered_on, 2) == due_on
