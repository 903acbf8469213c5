"""One rounding rule for every number the product shows or exports (crm/formatting.py): half
away from zero on the number as written in decimal, tested at the .5 edges on every path:
scorecard, drill-down, survey results page, client panel, CSV exports, e-mails."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.formatting import export_rounded, format_count, format_number, format_places
from surveys.models import SurveyKind
from tests.metrics.test_pages_scorecard import QUERY, snap
from tests.surveys.factories import ResponseFactory


@pytest.mark.parametrize(
    ("unit", "value", "shown"),
    [
        ("nps", 12.5, "13"),
        ("nps", -12.5, "−13"),
        ("nps", 13.5, "14"),
        ("ces", 4.25, "4.3"),
        ("ces", 4.35, "4.4"),
        ("percent", 2.675 * 10, "26.8 %"),
        ("ratio", 2.675, "2.68"),
        ("percent", -0.04, "0.0 %"),
    ],
)
def test_ties_round_away_from_zero_wherever_a_number_is_shown(unit, value, shown):
    assert format_number(unit, value) == shown


@pytest.mark.parametrize(
    ("value", "places", "shown"),
    [(12.5, 0, "13"), (4.25, 1, "4.3"), (-12.5, 0, "-13"), (1250.5, "0g", "1,251"), (None, 0, "")],
)
def test_the_template_filter_rounds_by_the_same_rule(value, places, shown):
    assert format_places(value, places) == shown


def test_exports_and_counts_round_by_the_same_rule():
    assert export_rounded(12.125) == 12.13
    assert export_rounded(-12.125) == -12.13
    assert format_count(2.5) == "3"


def test_a_change_that_rounds_to_a_tenth_is_shown_not_hidden():
    assert format_number("points", 0.05, signed=True) == "+0.1"


# --- Every page and file, with an NPS of exactly 12.5 and a CES of exactly 4.25 -------------


@pytest.fixture
def answers(alices_client):
    """8 NPS answers: 3 promoters, 3 passives, 2 detractors → NPS 12.5; CES 4, 4, 4, 5 → 4.25."""
    now = timezone.now() - timedelta(days=1)
    for score in (9, 10, 9, 7, 8, 7, 3, 5):
        ResponseFactory(client=alices_client, kind=SurveyKind.NPS, score=score, answered_at=now)
    for score in (4, 4, 4, 5):
        ResponseFactory(client=alices_client, kind=SurveyKind.CES, score=score, answered_at=now)
    return alices_client


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_survey_results_page_shows_nps_13_and_ces_4_3(client, alice, answers):
    client.force_login(alice)
    page = client.get(reverse("survey_results")).content.decode()
    nps = re.search(r'data-kind-value="nps"><span class="fs-3">([^<]+)<', page).group(1)
    ces = re.search(r'data-kind-value="ces"><span class="fs-3">([^<]+)<', page).group(1)
    assert (nps, ces) == ("13", "4.3")


def test_the_client_panel_shows_nps_13_and_ces_4_3(client, alice, answers):
    client.force_login(alice)
    text = _text(client.get(reverse("client_detail", args=[answers.pk])))
    assert "NPS 13 (n = 8)" in text
    assert "Effort (CES) 4.3 (n = 4)" in text


def test_the_scorecard_shows_nps_13_and_ces_4_3(client, alice):
    snap(alice, "nps", 12.5, numerator=1, denominator=8, sample=8, target=None)
    snap(alice, "ces", 4.25, numerator=17, denominator=4, sample=4, target=None)
    client.force_login(alice)
    text = _text(client.get(reverse("scorecard", args=["brm", alice.pk]) + QUERY))
    assert re.search(r"Net Promoter Score[^0-9−]*13\b", text), text
    assert " 4.3 " in text and " 4.2 " not in text


def test_the_drill_down_shows_the_same_rounding(client, alice):
    snap(alice, "nps", 12.5, numerator=1, denominator=8, sample=8, target=None)
    client.force_login(alice)
    page = client.get(reverse("kpi_records", args=["brm", alice.pk, "nps"]) + QUERY)
    text = _text(page)
    assert " 13 " in text and " 12 " not in text


def test_the_scorecard_csv_writes_the_stored_value_and_a_rounded_composite(client, alice):
    snap(alice, "nps", 12.5, numerator=1, denominator=8, sample=8, target=None)
    client.force_login(alice)
    response = client.get(reverse("scorecard_export", args=["brm", alice.pk]) + QUERY)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    nps = next(row for row in rows if row[1:2] == ["nps"])
    assert nps[4] == "12.5"
