"""A manager's worklist: overdue follow-ups by BRM with their age, unhappy answers with no closed
loop and support issues past their SLA, across the teams they manage; a fixed query count."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.crm.test_pages_lists import exported
from tests.factories import ClientFactory, ContactFactory, FollowUpFactory, SupportIssueFactory
from tests.surveys.factories import InvitationFactory, ResponseFactory

WORKLIST = reverse("worklist")


def overdue(client_, days):
    return FollowUpFactory(client=client_, due_on=timezone.localdate() - timedelta(days=days))


def breached(client_, hours_ago=100):
    return SupportIssueFactory(
        client=client_, sla_hours=24, opened_at=timezone.now() - timedelta(hours=hours_ago)
    )


def unhappy(client_, score=3):
    contact = ContactFactory(client=client_)
    answer = ResponseFactory(invitation=InvitationFactory(contact=contact), score=score)
    answer.follow_up = FollowUpFactory(client=client_, title="Call them back")
    answer.save()
    return answer


def test_a_manager_sees_overdue_follow_ups_grouped_by_brm_with_their_age(
    client, maria, alice, bob, carol
):
    alices, bobs = ClientFactory(owner=alice), ClientFactory(owner=bob)
    for days in (2, 9, 30, 31, 32, 40, 41):
        overdue(alices, days)
    overdue(bobs, 3)
    FollowUpFactory(client=bobs)  # not due yet
    overdue(ClientFactory(owner=carol), 50)  # another team's
    client.force_login(maria)

    response = client.get(WORKLIST)

    groups = response.context["groups"]
    assert [(g.owner, g.count, g.age_days()) for g in groups] == [(alice, 7, 41), (bob, 1, 3)]
    assert [f.days_overdue() for f in groups[0].oldest] == [41, 40, 32, 31, 30]
    page = response.content.decode()
    assert "and 2 more" in page
    assert "oldest 41 days" in page


def test_breached_slas_and_open_detractors_of_the_team_only(client, maria, alice, carol):
    alices = ClientFactory(owner=alice, name="Acme Logistics")
    late = breached(alices)
    SupportIssueFactory(client=alices, sla_hours=72)  # within its SLA
    breached(ClientFactory(owner=carol, name="Carols Cars"))
    answer = unhappy(alices)
    closed = unhappy(alices)
    closed.follow_up.done_at = timezone.now()
    closed.follow_up.save()
    unhappy(ClientFactory(owner=carol))
    client.force_login(maria)

    response = client.get(WORKLIST)

    assert [issue for issue, _clock in response.context["issues"]] == [late]
    page = response.content.decode()
    assert "Unhappy answers with no closed loop" in page
    assert page.count('id="worklist-detractors"') == 1
    assert f"{answer.get_kind_display()} {answer.score}" in page
    assert "Carols Cars" not in page


@pytest.mark.parametrize(("who", "status"), [("alice", 403), ("maria", 200), ("admin_user", 200)])
def test_only_managers_and_admins_open_the_worklist_and_see_it_in_the_nav(
    request, client, who, status
):
    client.force_login(request.getfixturevalue(who))
    response = client.get(WORKLIST)
    assert response.status_code == status
    nav = client.get(reverse("contact_list")).content.decode()
    assert (f'href="{WORKLIST}"' in nav) == (status == 200)


@pytest.mark.parametrize("who", ["maria", "admin_user"])
@pytest.mark.parametrize("export", [False, True], ids=["page", "csv"])
def test_the_worklist_and_its_export_cost_the_same_queries_for_3_or_30_rows(
    request, client, alice, bob, django_assert_num_queries, who, export
):
    def add(count):
        for n in range(count):
            book = ClientFactory(owner=alice if n % 2 else bob)
            overdue(book, n + 1)
            breached(book)
            unhappy(book)

    params = {"format": "csv"} if export else {}
    client.force_login(request.getfixturevalue(who))
    add(3)
    with CaptureQueriesContext(connection) as baseline:
        assert client.get(WORKLIST, params).status_code == 200
    add(27)
    with django_assert_num_queries(len(baseline)):
        response = client.get(WORKLIST, params)
    if export:
        # Every overdue follow-up, unhappy answer and breach: 30 of each.
        assert len(exported(response)) == 90
    else:
        assert sum(group.count for group in response.context["groups"]) == 30
        assert len(response.context["issues"]) == 30


def test_the_worklist_exports_every_overdue_follow_up_breach_and_open_detractor_of_the_team(
    client, maria, alice, bob, carol
):
    alices = ClientFactory(owner=alice, name="Acme Logistics")
    bobs = ClientFactory(owner=bob, name="Brightwell")
    for days in range(1, 8):  # more than the page lists for one BRM
        overdue(alices, days)
    overdue(bobs, 3)
    late = breached(alices, hours_ago=24 + 50)
    answer = unhappy(bobs)
    answer.comment = "=HYPERLINK(1)"
    answer.save()
    carols = ClientFactory(owner=carol, name="Carols Cars")
    overdue(carols, 9), breached(carols), unhappy(carols)  # another team's: never exported
    client.force_login(maria)

    page = client.get(WORKLIST).content.decode()
    rows = exported(client.get(WORKLIST, {"format": "csv"}))

    assert "format=csv" in page
    sections = [row["section"] for row in rows]
    assert sections == ["overdue follow-up"] * 8 + ["open detractor"] + ["SLA breach"]
    assert [(r["brm"], r["age_days"]) for r in rows[:7]] == [
        (alice.email, str(days)) for days in range(7, 0, -1)
    ]
    assert rows[7]["brm"] == bob.email and rows[7]["age_days"] == "3"
    detractor, sla = rows[8], rows[9]
    assert detractor["client"] == "Brightwell"
    assert detractor["item"] == f"{answer.get_kind_display()} {answer.score}"
    assert detractor["detail"].startswith("'=")  # formula-safe
    assert detractor["since"] == timezone.localdate(answer.answered_at).isoformat()
    assert (sla["client"], sla["item"], sla["brm"]) == ("Acme Logistics", late.title, alice.email)
    assert sla["age_days"] in ("2", "3")  # 50 hours past its deadline, in whole local days
    assert "Carols Cars" not in {row["client"] for row in rows}


@pytest.mark.parametrize(("who", "status"), [("alice", 403), ("maria", 200), ("admin_user", 200)])
def test_only_managers_and_admins_export_the_worklist(request, client, alices_client, who, status):
    overdue(alices_client, 4)
    client.force_login(request.getfixturevalue(who))
    response = client.get(WORKLIST, {"format": "csv"})
    assert response.status_code == status
    assert ("attachment" in response.get("Content-Disposition", "")) == (status == 200)
