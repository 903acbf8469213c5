from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.services import follow_up_complete
from surveys.models import Invitation, Response, SurveyExclusion
from surveys.selectors import exclusions_per_brm
from surveys.services import response_record
from tests.factories import ClientFactory, ContactFactory
from tests.surveys.factories import InvitationFactory, ResponseFactory, SurveyExclusionFactory


def _send_url(client_record) -> str:
    return reverse("survey_send", args=[client_record.pk])


def test_the_owning_brm_sends_a_survey_from_the_client_page(client, alice, contact):
    client.force_login(alice)
    sent = client.post(
        _send_url(contact.client), {"contact": contact.pk, "kind": "csat"}, follow=True
    )
    assert "Survey queued for Dana Diaz" in sent.content.decode()
    invitation = Invitation.objects.get()
    assert (invitation.kind, invitation.trigger, invitation.owner) == ("csat", "manual", alice)


def test_a_refused_manual_send_says_why(client, alice, contact):
    InvitationFactory(contact=contact)
    client.force_login(alice)
    page = client.post(
        _send_url(contact.client), {"contact": contact.pk, "kind": "nps"}, follow=True
    )
    assert "was sent a survey in the last 30 days" in page.content.decode()
    assert Invitation.objects.count() == 1


@pytest.mark.parametrize(("who", "status"), [("bob", 404), ("maria", 403), ("carol", 404)])
def test_only_the_owner_or_an_admin_may_send_a_survey(client, request, contact, who, status):
    client.force_login(request.getfixturevalue(who))
    refused = client.post(_send_url(contact.client), {"contact": contact.pk, "kind": "nps"})
    assert refused.status_code == status
    assert not Invitation.objects.exists()


def test_an_admin_may_send_a_survey(client, admin_user, contact):
    client.force_login(admin_user)
    client.post(_send_url(contact.client), {"contact": contact.pk, "kind": "nps"})
    assert Invitation.objects.get().owner == contact.client.owner


def test_a_contact_of_another_client_cannot_be_surveyed_through_this_client(
    client, alice, alices_client
):
    stranger = ContactFactory()
    client.force_login(alice)
    client.post(_send_url(alices_client), {"contact": stranger.pk, "kind": "nps"})
    assert not Invitation.objects.exists()


def test_a_brm_excludes_a_contact_only_with_a_reason_and_it_is_counted(client, alice, contact):
    client.force_login(alice)
    url = reverse("survey_exclude", args=[contact.pk])
    client.post(url, {"reason": "   "})
    assert not SurveyExclusion.objects.exists()
    client.post(url, {"reason": "In a contract dispute"})
    exclusion = SurveyExclusion.objects.get()
    assert (exclusion.excluded_by, exclusion.reason) == (alice, "In a contract dispute")
    assert exclusions_per_brm() == {alice.pk: 1}
    page = client.get(reverse("survey_results")).content.decode()
    assert "In a contract dispute" in page
    assert "Alice Adams" in page


def test_the_brms_manager_cannot_exclude_a_contact_for_them(client, maria, contact):
    client.force_login(maria)
    refused = client.post(reverse("survey_exclude", args=[contact.pk]), {"reason": "Busy"})
    assert refused.status_code == 403
    assert not SurveyExclusion.objects.exists()


def test_lifting_an_exclusion_keeps_it_in_the_log(client, alice, contact):
    exclusion = SurveyExclusionFactory(contact=contact)
    client.force_login(alice)
    client.post(reverse("survey_exclusion_lift", args=[exclusion.pk]))
    exclusion.refresh_from_db()
    assert exclusion.lifted_by == alice
    assert exclusions_per_brm() == {alice.pk: 1}


def test_exclusions_are_counted_per_brm_for_a_period(alice, alices_client, bob):
    SurveyExclusionFactory(contact=ContactFactory(client=alices_client))
    old = SurveyExclusionFactory(contact=ContactFactory(client=alices_client))
    SurveyExclusion.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=60))
    SurveyExclusionFactory(contact=ContactFactory(client=ClientFactory(owner=bob)))
    since = timezone.now() - timedelta(days=30)
    assert exclusions_per_brm(start=since) == {alice.pk: 1, bob.pk: 1}
    assert exclusions_per_brm(start=since, brm_ids=[alice.pk]) == {alice.pk: 1}


def test_a_detractor_shows_on_today_and_on_the_client_page_until_the_loop_is_closed(
    client, alice, contact
):
    invitation = InvitationFactory(contact=contact)
    response = response_record(invitation=invitation, score=2, comment="Nobody answers the phone")
    client.force_login(alice)
    close_loop = f'action="{reverse("survey_close_loop", args=[response.pk])}"'
    today = client.get(reverse("today")).content.decode()
    assert "Nobody answers the phone" in today
    assert close_loop in today and f'id="today-outcome-{response.pk}"' in today
    client_page = client.get(reverse("client_detail", args=[contact.client.pk])).content.decode()
    assert "Close the loop" in client_page
    assert close_loop in client_page and f'id="outcome-{response.pk}"' in client_page

    closed = client.post(
        reverse("survey_close_loop", args=[response.pk]),
        {"outcome": "Called, fixed the routing", "next": reverse("today")},
    )
    assert closed["Location"] == reverse("today")
    response.follow_up.refresh_from_db()
    assert response.follow_up.is_done
    assert response.follow_up.outcome == "Called, fixed the routing"
    assert "Nobody answers the phone" not in client.get(reverse("today")).content.decode()


def test_today_shows_only_my_own_open_detractor_answers(client, alice, bob, contact):
    response_record(invitation=InvitationFactory(contact=contact), score=2, comment="Mine")
    theirs = ContactFactory(client=ClientFactory(owner=bob))
    response_record(invitation=InvitationFactory(contact=theirs), score=1, comment="Not mine")
    client.force_login(alice)
    page = client.get(reverse("today")).content.decode()
    assert "Mine" in page and "Not mine" not in page


def test_completing_the_follow_up_anywhere_closes_the_loop(client, alice, contact):
    response = response_record(invitation=InvitationFactory(contact=contact), score=0)
    follow_up_complete(follow_up=response.follow_up, outcome="Visited them")
    client.force_login(alice)
    assert (
        "Close the loop"
        not in client.get(reverse("client_detail", args=[contact.client.pk])).content.decode()
    )


def test_a_teammate_cannot_close_someone_elses_loop(client, bob, contact):
    response = response_record(invitation=InvitationFactory(contact=contact), score=1)
    client.force_login(bob)
    refused = client.post(reverse("survey_close_loop", args=[response.pk]))
    assert refused.status_code == 404
    response.follow_up.refresh_from_db()
    assert not response.follow_up.is_done


def _answers_for(owner, scores):
    contact = ContactFactory(client=ClientFactory(owner=owner))
    for score in scores:
        ResponseFactory(invitation=InvitationFactory(contact=contact), score=score)


def test_the_results_page_shows_nps_with_its_parts_and_the_provisional_count(client, alice):
    _answers_for(alice, [10, 9, 8, 3])
    InvitationFactory(
        contact=ContactFactory(client=ClientFactory(owner=alice)), provisional_score=7
    )
    client.force_login(alice)
    page = client.get(reverse("survey_results"))
    results = page.context["results"]
    assert (results.nps.promoters, results.nps.passives, results.nps.detractors) == (2, 1, 1)
    assert results.nps.value == 25
    assert results.nps.low_sample
    assert results.csat.value is None
    assert (results.response_rate.answered, results.response_rate.delivered) == (4, 5)
    assert results.response_rate.provisional == 1
    body = page.content.decode()
    assert "1 unconfirmed score" in body
    assert "low sample" in body


def test_csat_and_ces_are_computed_on_their_scales(client, alice):
    contact = ContactFactory(client=ClientFactory(owner=alice))
    for kind, score in [("csat", 5), ("csat", 4), ("csat", 2), ("ces", 2), ("ces", 5)]:
        ResponseFactory(invitation=InvitationFactory(contact=contact, kind=kind), score=score)
    client.force_login(alice)
    results = client.get(reverse("survey_results")).context["results"]
    assert round(results.csat.value, 1) == 66.7
    assert results.ces.value == 3.5


@pytest.mark.parametrize(
    ("who", "seen"), [("alice", 1), ("bob", 1), ("maria", 2), ("oscar", 1), ("admin_user", 3)]
)
def test_results_are_scoped_to_the_clients_a_user_may_see(
    client, request, alice, bob, carol, who, seen
):
    _answers_for(alice, [9])
    _answers_for(bob, [9])
    _answers_for(carol, [9])
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("survey_results")).context["results"].nps.n == seen


def test_comments_show_whether_they_may_be_quoted(client, alice, contact):
    ResponseFactory(
        invitation=InvitationFactory(contact=contact), comment="Great team", may_quote=True
    )
    client.force_login(alice)
    page = client.get(reverse("survey_client_results", args=[contact.client.pk])).content.decode()
    assert "Great team" in page
    assert "may be quoted" in page


def test_a_client_results_page_is_404_for_someone_who_cannot_see_the_client(client, carol, contact):
    client.force_login(carol)
    assert client.get(reverse("survey_client_results", args=[contact.client.pk])).status_code == 404


def test_the_surveys_page_is_in_the_navigation(client, alice):
    client.force_login(alice)
    assert reverse("survey_results") in client.get(reverse("today")).content.decode()


def test_the_client_panel_counts_its_queries_independently_of_the_number_of_invitations(
    client, alice, contact, django_assert_max_num_queries
):
    client.force_login(alice)
    url = reverse("client_detail", args=[contact.client.pk])
    for _ in range(3):
        InvitationFactory(contact=ContactFactory(client=contact.client))
    client.get(url)
    with django_assert_max_num_queries(60) as few:
        client.get(url)
    for _ in range(6):
        ResponseFactory(invitation=InvitationFactory(contact=ContactFactory(client=contact.client)))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)
    assert Response.objects.count() == 6
