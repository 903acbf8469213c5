"""A manager reviews the team in a real browser: opens the BRMs side by side, sorts by a KPI,
and drills into one number to the records behind it."""

import pytest
from playwright.sync_api import expect

from metrics.periods import Grain, Period
from metrics.services import snapshot_take
from surveys.models import SurveyKind
from tests.browser.conftest import log_in
from tests.factories import PASSWORD, ClientFactory
from tests.metrics.factories import ResponseFactory

pytestmark = pytest.mark.browser


def test_a_manager_sorts_the_team_by_nps_and_drills_into_a_brms_detractors(
    page, transactional_db, team, alice, bob, maria
):
    acme = ClientFactory(owner=alice, name="Acme Logistics")
    bolt = ClientFactory(owner=bob, name="Bolt Freight")
    for client, score in [(acme, 3), (acme, 5), (acme, 9), (bolt, 10), (bolt, 9)]:
        ResponseFactory(client=client, kind=SurveyKind.NPS, score=score)
    snapshot_take(period=Period.current(Grain.MONTH))

    log_in(page, maria.email, PASSWORD)
    page.get_by_role("link", name="Team", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{team.name}: BRMs side by side")

    def brm_columns() -> list[str]:
        header = page.locator("table.sc-matrix thead tr").first
        return [name.strip() for name in header.locator("th a").all_inner_texts()]

    page.get_by_role("link", name="Sort by Net Promoter Score").click()
    expect(page.get_by_text("Sorted by Net Promoter Score, best first.")).to_be_visible()
    columns = brm_columns()
    assert columns.index(bob.full_name) < columns.index(alice.full_name)

    page.get_by_role("link", name="Sort by Net Promoter Score").click()
    expect(page.get_by_text("Sorted by Net Promoter Score, worst first.")).to_be_visible()
    columns = brm_columns()
    assert columns.index(alice.full_name) < columns.index(bob.full_name)

    # Alice's NPS: 1 promoter and 2 detractors of 3 answers is −33 (typeset with a minus sign).
    nps_row = page.locator("table.sc-matrix tbody tr", has_text="Net Promoter Score")
    alices_cell = nps_row.locator("td.sc-cell").nth(columns.index(alice.full_name))
    expect(alices_cell).to_contain_text("\u221233")
    alices_cell.get_by_role("link").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Net Promoter Score")
    expect(page.get_by_role("heading", level=1)).to_contain_text(alice.full_name)
    expect(page.get_by_text("This list reproduces the number.")).to_be_visible()
    records = page.locator("table.sc-records tbody tr")
    expect(records).to_have_count(3)
    expect(records.filter(has_text="Acme Logistics")).to_have_count(3)
    expect(page.get_by_text("Bolt Freight")).to_have_count(0)

    page.get_by_role("link", name="Detractors").click()
    expect(page.locator("table.sc-records tbody tr")).to_have_count(2)
