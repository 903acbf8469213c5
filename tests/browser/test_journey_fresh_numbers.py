"""Fresh within a minute, in a real browser: a BRM ticks a follow-up done and, with no manual
command, the scorecard and its drill-down show it on reload; a new target applies to the open
period at once. Tasks queued on commit run as a worker would pick them up (``celery_eager``)."""

import re
import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crm.services import follow_up_create
from metrics.periods import Grain, Period
from metrics.services import snapshot_take, target_set
from tests.browser.conftest import log_in
from tests.factories import PASSWORD
from tests.metrics.factories import stored_snapshot

pytestmark = pytest.mark.browser

WITHIN_SECONDS = 60


def reload_until(page, url: str, locator, text: str) -> float:
    """Reload ``url`` until ``locator`` shows ``text``; the seconds it took (fails after a
    minute)."""
    started = time.monotonic()
    while True:
        page.goto(url)
        if text in locator.inner_text():
            return time.monotonic() - started
        if time.monotonic() - started > WITHIN_SECONDS:
            raise AssertionError(f"{url} did not show {text!r} within a minute")
        time.sleep(2)


def test_a_ticked_follow_up_and_a_new_target_reach_the_scorecard_within_a_minute(
    page, transactional_db, settings, celery_eager, alice, alices_client
):
    settings.KPI_REFRESH_AFTER_WRITES = True
    # Eager tasks run at once instead of after the countdown, so the pending mark (which lives
    # as long as the countdown) must not outlive the run it stands for.
    settings.KPI_REFRESH_DELAY_SECONDS = 1
    today = timezone.localdate()
    title = "Send the renewal quote"
    follow_up_create(client=alices_client, owner=alice, title=title, due_on=today)
    snapshot_take(period=Period.current(Grain.MONTH))

    log_in(page, alice.email, PASSWORD)
    scorecard = f"/scorecard/brm/{alice.pk}/"
    page.goto(scorecard)
    completed = page.locator("#kpi-follow_ups_completed .sc-value")
    expect(completed).to_contain_text("0")
    expect(page.locator(".sc-as-of")).to_contain_text(re.compile(r"as of \d\d:\d\d"))

    page.goto("/today/")
    row = page.get_by_role("listitem").filter(has_text="Send the renewal quote")
    row.get_by_role("button", name=re.compile("Mark .* done")).click()
    expect(page.get_by_role("status").first).to_contain_text("done on time")

    seconds = reload_until(page, scorecard, completed, "1")
    assert seconds < WITHIN_SECONDS
    # The drill-down lists the follow-up and reproduces the number.
    completed.get_by_role("link").click()
    expect(page.get_by_text("This list reproduces the number.")).to_be_visible()
    expect(page.locator("table.sc-records tbody tr")).to_have_count(1)
    expect(page.locator("table.sc-records")).to_contain_text("Send the renewal quote")
    # The on-time rate of the month, 1 of 1, and its quarter agree too.
    page.goto(scorecard)
    expect(page.locator("#kpi-follow_up_on_time_rate .sc-value")).to_contain_text("100")
    # The quarter and the year did not lag the month.
    for grain in (Grain.QUARTER, Grain.YEAR):
        stored = stored_snapshot(alice, "follow_ups_completed", Period.current(grain))
        assert stored.value == 1, grain

    # An administrator raises the target: the open period is judged against it at once.
    target_set(kpi="follow_ups_completed", value=5, effective_from=today)
    target_cell = page.locator("#kpi-follow_ups_completed td").nth(2)
    reload_until(page, scorecard, target_cell, "5")
    expect(page.locator("#kpi-follow_ups_completed")).to_contain_text("Off target")
