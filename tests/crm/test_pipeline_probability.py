"""Each pipeline stage's default win probability: a deal without a probability of its own is
weighed by its stage's default on the board, in the CSV, in the API and on its edit form."""

import csv
import importlib
import io
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import Deal, DealStage
from tests.factories import ClientFactory, DealFactory

PIPELINE = reverse("pipeline")
STAGE_DEFAULTS = importlib.import_module("crm.migrations.0011_stage_default_probability")


def _deal(client_, value, probability=None, stage="Qualified"):
    deal = DealFactory(client=client_, value=Decimal(value))
    Deal.objects.filter(pk=deal.pk).update(
        probability=probability, stage=DealStage.objects.get(name=stage)
    )
    return deal


def _column(response, name):
    return next(c for c in response.context["columns"] if c.stage.name == name)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_the_default_stages_carry_win_probabilities_after_migrate(db):
    assert dict(DealStage.objects.values_list("name", "default_probability")) == {
        "Qualified": 25,
        "Proposal": 50,
        "Negotiation": 75,
        "Won": 100,
        "Lost": 0,
    }


def test_the_migration_reverses_and_leaves_renamed_or_edited_stages_alone(db):
    DealStage.objects.filter(name="Proposal").update(default_probability=40)
    DealStage.objects.create(name="Discovery", position=5)

    STAGE_DEFAULTS.clear_default_probabilities(apps, None)
    assert set(DealStage.objects.values_list("default_probability", flat=True)) == {None}

    DealStage.objects.filter(name="Proposal").update(default_probability=40)
    STAGE_DEFAULTS.set_default_probabilities(apps, None)
    defaults = dict(DealStage.objects.values_list("name", "default_probability"))
    assert defaults["Proposal"] == 40  # an admin's choice is kept
    assert defaults["Qualified"] == 25
    assert defaults["Discovery"] is None


def test_a_deal_without_a_probability_is_weighed_by_its_stage_default(client, alice, alices_client):
    _deal(alices_client, "1000", stage="Proposal")  # stage default 50 %
    _deal(alices_client, "2000", probability=10, stage="Proposal")  # its own 10 % wins
    client.force_login(alice)

    proposal = _column(client.get(PIPELINE), "Proposal")

    assert proposal.weighted == Decimal("700")  # 1000 × 50 % + 2000 × 10 %
    assert [d.effective_probability for d in proposal.deals] == [10, 50]


def test_a_deal_in_a_stage_without_a_default_counts_at_zero(client, alice, alices_client):
    DealStage.objects.filter(name="Qualified").update(default_probability=None)
    _deal(alices_client, "1000")
    client.force_login(alice)
    assert _column(client.get(PIPELINE), "Qualified").weighted == 0


def test_the_board_shows_the_weighted_total_rounded_half_away_and_marks_stage_defaults(
    client, alice, alices_client
):
    _deal(alices_client, "1002")  # Qualified, 25 % by default: 250.50
    client.force_login(alice)

    board = client.get(PIPELINE).content.decode()

    assert "weighted GBP 251" in board
    assert "25&nbsp;% (stage)</span>" in board


def test_the_pipeline_csv_says_the_probability_the_weighted_total_used(
    client, alice, alices_client
):
    _deal(alices_client, "1000", stage="Negotiation")
    _deal(alices_client, "500", probability=60, stage="Negotiation")
    client.force_login(alice)

    response = client.get(PIPELINE, {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode().lstrip("\ufeff"))))

    assert [(r["value"], r["probability"], r["effective_probability"]) for r in rows] == [
        ("1000.00", "", "75"),
        ("500.00", "60", "60"),
    ]


def test_the_deal_form_shows_the_stage_default_for_a_blank_probability(
    client, alice, alices_client
):
    deal = _deal(alices_client, "1000", stage="Proposal")
    client.force_login(alice)

    page = client.get(reverse("record_edit", args=["deal", deal.pk])).content.decode()

    assert "Blank = the stage default, 50 % (Proposal)." in page
    assert 'placeholder="50 (stage default)"' in page


def test_the_api_gives_each_deal_its_effective_probability_and_each_stage_its_default(
    client, alice, alices_client
):
    deal = _deal(alices_client, "1000", stage="Proposal")
    client.force_login(alice)

    got = client.get(f"/api/v1/deals/{deal.pk}/").json()
    stages = client.get("/api/v1/deal-stages/").json()

    assert (got["probability"], got["effective_probability"]) == (None, 50)
    results = stages["results"] if isinstance(stages, dict) else stages
    assert {s["name"]: s["default_probability"] for s in results}["Negotiation"] == 75


def test_an_admin_sets_a_stage_default_between_0_and_100(admin_client):
    stage = DealStage.objects.get(name="Proposal")
    url = reverse("admin:crm_dealstage_change", args=[stage.pk])
    form = {"name": "Proposal", "position": stage.position, "kind": "open"}

    refused = admin_client.post(url, {**form, "default_probability": "150"})
    saved = admin_client.post(url, {**form, "default_probability": "40"})

    assert refused.status_code == 200
    assert "less than or equal to 100" in refused.content.decode()
    assert saved.status_code == 302
    stage.refresh_from_db()
    assert stage.default_probability == 40


@pytest.mark.parametrize("who", ["alice", "maria"])
def test_stage_defaults_cost_the_board_no_extra_queries_for_3_or_30_deals(
    request, client, alice, who
):
    client.force_login(request.getfixturevalue(who))

    def add_deals(count):
        for n in range(count):
            _deal(ClientFactory(owner=alice), "1000", probability=None if n % 2 else 30)

    add_deals(3)
    with CaptureQueriesContext(connection) as three:
        assert client.get(PIPELINE).status_code == 200
    add_deals(27)
    with CaptureQueriesContext(connection) as thirty:
        assert client.get(PIPELINE).status_code == 200
    assert len(thirty) == len(three)
