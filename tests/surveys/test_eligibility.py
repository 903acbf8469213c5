"""Who may be surveyed, picked from many contacts at once: the same people the rules name one by
one, found with anti-joins (``NOT EXISTS``) rather than a reason computed row by row."""

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from crm.models import EmailSuppression
from crm.services import client_churn
from demo.scale import DemoScale
from demo.seed import demo_seed
from surveys.models import Invitation
from surveys.selectors import (
    contacts_due_for_relationship_nps,
    contacts_eligible_for_survey,
    contacts_with_survey_status,
)
from surveys.services import survey_exclusion_create, survey_exclusion_lift
from tests.factories import ClientFactory, ContactFactory
from tests.surveys.factories import InvitationFactory


def _eligible(now=None) -> set[int]:
    return set(contacts_eligible_for_survey(now=now).values_list("pk", flat=True))


def _without_a_reason(now=None) -> set[int]:
    return {c.pk for c in contacts_with_survey_status(now=now) if not c.survey_block}


@pytest.fixture
def every_rule(alice, alices_client):
    """One contact per reason not to survey, and one that passes each rule narrowly."""
    make = ContactFactory
    churned = ClientFactory(name="Gone Ltd", owner=alice)
    client_churn(client=churned, reason="Left")
    for reason in EmailSuppression.Reason:
        EmailSuppression.objects.create(address=f"{reason}@acme.example", reason=reason)
        make(
            client=alices_client,
            name=f"Suppressed {reason}",
            email=f" {reason.upper()}@Acme.example",
        )
    make(client=alices_client, name="No address", email="")
    make(
        client=alices_client, name="Opted out", email="out@acme.example", opted_out_of_surveys=True
    )
    make(client=churned, name="Churned", email="gone@gone.example")
    excluded = make(client=alices_client, name="Excluded", email="ex@acme.example")
    survey_exclusion_create(contact=excluded, by=alice, reason="Asked not to be contacted")
    lifted = make(client=alices_client, name="Exclusion lifted", email="back@acme.example")
    survey_exclusion_lift(
        exclusion=survey_exclusion_create(contact=lifted, by=alice, reason="For a while"), by=alice
    )
    twin = make(client=alices_client, name="Twin surveyed", email="twin@acme.example")
    InvitationFactory(contact=twin, created_at=timezone.now() - timedelta(days=40))
    InvitationFactory(contact=make(client=alices_client, email="Twin@ACME.example"))
    failed = make(client=alices_client, name="Last survey failed", email="failed@acme.example")
    InvitationFactory(contact=failed, status=Invitation.Status.FAILED)
    make(client=alices_client, name="Plain", email="plain@acme.example")


def test_the_eligible_contacts_are_exactly_those_the_rules_give_no_reason_against(every_rule):
    eligible = contacts_eligible_for_survey().order_by("name")

    assert [contact.name for contact in eligible] == [
        "Exclusion lifted",
        "Last survey failed",
        "Plain",
    ]
    assert _eligible() == _without_a_reason()
    assert {contact.survey_block for contact in eligible} == {""}


def test_picking_eligible_contacts_is_one_set_based_statement_whatever_their_number(
    alices_client, django_assert_num_queries
):
    ContactFactory.create_batch(3, client=alices_client)
    with django_assert_num_queries(1):
        few = contacts_due_for_relationship_nps()
    ContactFactory.create_batch(12, client=alices_client)
    with django_assert_num_queries(1):
        many = contacts_due_for_relationship_nps()

    assert (len(few), len(many)) == (3, 15)
    sql = str(contacts_eligible_for_survey().query).upper()
    # A CASE in the WHERE clause turns each rule into a subquery re-run per contact (a scan of
    # every invitation per contact when the planner lacks statistics); NOT IN (SELECT ...)
    # turns into a per-row re-scan once its hash outgrows work_mem.
    assert "CASE" not in sql
    assert "NOT IN (SELECT" not in sql
    assert sql.count("NOT EXISTS") >= 5


def test_on_the_demo_data_both_readings_of_the_rules_pick_the_same_contacts(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    today = date(2026, 6, 17)
    demo_seed(scale=DemoScale(brms=5, teams=2, clients=40, months=6, seed=7), today=today)
    for day in (today - timedelta(days=45), today, today + timedelta(days=20)):
        now = timezone.make_aware(datetime.combine(day, time(12)))
        reasons = {c.survey_block for c in contacts_with_survey_status(now=now)}
        eligible = _eligible(now)

        assert eligible == _without_a_reason(now)
        assert eligible and "was sent a survey in the last 30 days" in reasons
        assert set(contacts_due_for_relationship_nps(now=now)) <= eligible
