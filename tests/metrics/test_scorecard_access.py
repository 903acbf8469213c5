"""Who sees which scorecard: a BRM their own and their team's totals, a manager their teams and
every BRM in them, an admin everything. Anything else does not exist for the viewer (404)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

SCORECARD, RECORDS, MATRIX = "scorecard", "records", "matrix"


def status(client, user, page, kind, pk):
    client.force_login(user)
    if page == SCORECARD:
        url = reverse("scorecard", args=[kind, pk])
    elif page == RECORDS:
        url = reverse("kpi_records", args=[kind, pk, "nps"])
    else:
        url = reverse("team_matrix", args=[pk])
    return client.get(url + "?period=2026-03").status_code


@pytest.fixture
def people(alice, bob, carol, maria, oscar, admin_user, team, other_team):
    return {
        "alice": alice,
        "bob": bob,
        "carol": carol,
        "maria": maria,
        "oscar": oscar,
        "admin": admin_user,
        "team": team,
        "other_team": other_team,
    }


VIEWERS = ("alice", "maria", "oscar", "admin")
# Who among the viewers may open each page about each subject; every other viewer gets 404.
# Alice and Bob are BRMs of Maria's team, Carol of Oscar's.
OPENERS = {
    (SCORECARD, "brm", "alice"): {"alice", "maria", "admin"},
    (RECORDS, "brm", "alice"): {"alice", "maria", "admin"},
    (SCORECARD, "brm", "bob"): {"maria", "admin"},
    (RECORDS, "brm", "bob"): {"maria", "admin"},
    (SCORECARD, "brm", "carol"): {"oscar", "admin"},
    (SCORECARD, "team", "team"): {"alice", "maria", "admin"},
    (RECORDS, "team", "team"): {"maria", "admin"},
    (MATRIX, "team", "team"): {"maria", "admin"},
    (SCORECARD, "team", "other_team"): {"oscar", "admin"},
    (RECORDS, "team", "other_team"): {"oscar", "admin"},
    (MATRIX, "team", "other_team"): {"oscar", "admin"},
    (SCORECARD, "org", None): {"admin"},
    (RECORDS, "org", None): {"admin"},
}


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize(("page", "kind", "subject"), OPENERS)
def test_who_may_open_which_scorecard(client, people, viewer, page, kind, subject):
    pk = people[subject].pk if subject else 0
    expected = 200 if viewer in OPENERS[page, kind, subject] else 404
    assert status(client, people[viewer], page, kind, pk) == expected


def test_an_unknown_subject_kind_or_id_is_not_found(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("scorecard", args=["planet", 1])).status_code == 404
    assert client.get(reverse("scorecard", args=["brm", 999999])).status_code == 404
    assert client.get(reverse("scorecard", args=["org", 7])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, alice):
    response = client.get(reverse("scorecard", args=["brm", alice.pk]))
    assert response.status_code == 302 and "/login" in response.url


@pytest.mark.parametrize(
    ("who", "items"),
    [
        ("alice", ["Scorecard"]),
        ("maria", ["Scorecard", "Team"]),
        ("admin_user", ["Scorecard", "Team", "Targets"]),
    ],
)
def test_the_menu_offers_the_scorecard_pages_a_role_may_open(client, request, who, items, team):
    client.force_login(request.getfixturevalue(who))
    labels = [
        item["label"]
        for item in client.get(reverse("scorecard_home"), follow=True).context["nav_items"]
    ]
    assert [label for label in labels if label in ("Scorecard", "Team", "Targets")] == items


def test_brms_and_managers_cannot_open_the_team_overview_or_targets_they_do_not_have(
    client, alice, maria
):
    client.force_login(alice)
    assert client.get(reverse("team_overview")).status_code == 404
    assert client.get(reverse("targets")).status_code == 404
    client.force_login(maria)
    assert client.get(reverse("targets")).status_code == 404


def test_a_managers_past_scorecards_follow_the_team_as_it_was(client, alice, bob, maria, team):
    """Bob left Maria's team on 1 April 2026: he is in the team's March matrix, and Maria can
    open his March scorecard and its records; April on, he is not hers to read."""
    from datetime import date

    from accounts.models import TeamMembership
    from accounts.services import team_membership_end
    from metrics.periods import Period
    from metrics.services import snapshot_take
    from tests.factories import ClientFactory
    from tests.metrics.factories import ResponseFactory, local

    ResponseFactory(
        client=ClientFactory(owner=bob), kind="nps", score=9, answered_at=local(2026, 3, 4)
    )
    snapshot_take(period=Period.parse("2026-03"))
    membership = TeamMembership.objects.get(user=bob, team=team)
    team_membership_end(membership=membership, ended_on=date(2026, 4, 1))
    client.force_login(maria)
    matrix = client.get(reverse("team_matrix", args=[team.pk]) + "?period=2026-03")
    assert "Bob Brown" in [column.name for column in matrix.context["matrix"].columns]
    assert status(client, maria, SCORECARD, "brm", bob.pk) == 200  # March
    assert status(client, maria, RECORDS, "brm", bob.pk) == 200
    april = reverse("scorecard", args=["brm", bob.pk]) + "?period=2026-04"
    assert client.get(april).status_code == 404
    # His book today is no longer Maria's.
    assert client.get(reverse("scorecard", args=["brm", bob.pk])).status_code == 404
