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


# (viewer, page, subject kind, subject, expected status)
RULES = [
    ("alice", SCORECARD, "brm", "alice", 200),
    ("alice", RECORDS, "brm", "alice", 200),
    ("alice", SCORECARD, "brm", "bob", 404),
    ("alice", SCORECARD, "brm", "carol", 404),
    ("alice", SCORECARD, "team", "team", 200),
    ("alice", RECORDS, "team", "team", 404),
    ("alice", MATRIX, "team", "team", 404),
    ("alice", SCORECARD, "team", "other_team", 404),
    ("alice", SCORECARD, "org", None, 404),
    ("maria", SCORECARD, "brm", "alice", 200),
    ("maria", RECORDS, "brm", "bob", 200),
    ("maria", SCORECARD, "brm", "carol", 404),
    ("maria", SCORECARD, "team", "team", 200),
    ("maria", RECORDS, "team", "team", 200),
    ("maria", MATRIX, "team", "team", 200),
    ("maria", SCORECARD, "team", "other_team", 404),
    ("maria", MATRIX, "team", "other_team", 404),
    ("maria", SCORECARD, "org", None, 404),
    ("oscar", SCORECARD, "brm", "alice", 404),
    ("oscar", RECORDS, "brm", "alice", 404),
    ("oscar", SCORECARD, "brm", "carol", 200),
    ("admin", SCORECARD, "brm", "carol", 200),
    ("admin", RECORDS, "team", "other_team", 200),
    ("admin", MATRIX, "team", "other_team", 200),
    ("admin", SCORECARD, "org", None, 200),
    ("admin", RECORDS, "org", None, 200),
]


@pytest.mark.parametrize(("viewer", "page", "kind", "subject", "expected"), RULES)
def test_who_may_open_which_scorecard(client, people, viewer, page, kind, subject, expected):
    pk = people[subject].pk if subject else 0
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
