"""The KPI contract ships with the product: docs/kpis.md, rendered at /kpis/how/, one anchor per
KPI, linked from every scorecard page."""

import re

import pytest
from django.urls import reverse

from metrics.contract import CONTRACT_FILE
from metrics.registry import KPIS

pytestmark = pytest.mark.django_db


def test_every_kpi_of_the_engine_has_its_formula_in_the_shipped_contract():
    anchors = set(re.findall(r"\{#([a-z_]+)\}", CONTRACT_FILE.read_text(encoding="utf-8")))
    assert set(KPIS) - anchors == set()


def test_the_contract_page_shows_each_formula_at_its_anchor(client, alice):
    client.force_login(alice)
    page = client.get(reverse("kpi_contract")).content.decode()
    assert 'id="arpc"' in page
    assert "min(1 / annual churn, 10 years)" in page
    assert 'id="follow_up_on_time_rate"' in page


def test_scorecard_matrix_and_drilldown_link_to_how_it_is_computed(
    client, alice, maria, team, book_client
):
    from metrics.periods import Period
    from metrics.services import snapshot_take

    book_client(alice)
    snapshot_take(period=Period.current("month"))
    contract = reverse("kpi_contract")
    client.force_login(maria)
    pages = [
        reverse("scorecard", args=["brm", alice.pk]),
        reverse("team_matrix", args=[team.pk]),
        reverse("kpi_records", args=["brm", alice.pk, "arpc"]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert contract in response.content.decode(), url
    assert f"{contract}#arpc" in client.get(pages[2]).content.decode()
