"""A BRM imports a file in a real browser: the upload shows a progress bar while a worker
checks it, the bar gives way to the report by itself, and the import of the checked file goes
the same way."""

import pytest
from playwright.sync_api import expect

from crm.imports import jobs
from crm.imports.services import records_import
from crm.models import ImportJob, Interaction
from tests.browser.conftest import log_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

CALLS = (
    "client,occurred_at,kind,logged_by,topic\n"
    "Acme Logistics,2025-01-06T10:00:00+00:00,call,alice@example.com,Renewal\n"
    "Acme Logistics,2025-01-07T10:00:00+00:00,meeting,alice@example.com,Kick-off\n"
)


@pytest.fixture
def worker(monkeypatch):
    """Jobs wait in the queue until the test, playing the worker, runs the latest one."""
    monkeypatch.setattr(jobs, "_queue", lambda job: None)
    return lambda: jobs.import_job_run(job_id=ImportJob.objects.latest("pk").pk)


def send_calls_to_be_checked(page, user) -> None:
    """Log in as ``user``, choose CALLS as interactions on the import page and ask for a check."""
    log_in(page, user.email, PASSWORD)
    page.goto("/import/")
    page.get_by_label("What the file holds").select_option("interactions")
    page.get_by_label("CSV file").set_input_files(
        {"name": "calls.csv", "mimeType": "text/csv", "buffer": CALLS.encode()}
    )
    page.get_by_role("button", name="Check the file").click()


def test_a_brm_watches_a_file_being_checked_then_imports_it(
    page, transactional_db, alice, alices_client, worker
):
    send_calls_to_be_checked(page, alice)

    bar = page.get_by_role("progressbar", name="Rows read")
    expect(bar).to_be_visible()
    expect(page.locator("#job-progress")).to_contain_text("Waiting for a worker")

    worker()

    # The bar polls; once the job is over the page reloads with the report.
    expect(page.get_by_test_id("import-counts")).to_contain_text("2 rows would import")
    expect(page.get_by_test_id("import-counts")).to_contain_text("2 interactions")
    assert not Interaction.objects.exists()

    page.get_by_role("button", name="Import 2 rows").click()
    expect(page.get_by_role("progressbar", name="Rows read")).to_be_visible()

    worker()

    expect(page.get_by_test_id("import-counts")).to_contain_text("was imported: 2 rows")
    assert Interaction.objects.filter(client=alices_client).count() == 2
    page.goto("/import/")
    expect(page.get_by_test_id("import-jobs")).to_contain_text("imported")


def test_a_brm_uploading_a_file_again_is_warned_and_must_tick_to_import_it_again(
    page, transactional_db, alice, alices_client, worker
):
    records_import(record_type="interactions", data=CALLS.encode(), by=alice, file_name="calls.csv")
    send_calls_to_be_checked(page, alice)
    worker()

    warning = page.get_by_test_id("import-already-imported")
    expect(warning).to_contain_text("This exact file was already imported on")
    expect(warning).to_contain_text("by Alice Adams (2 rows)")

    page.get_by_role("button", name="Import 2 rows").click()
    expect(page.get_by_role("alert").filter(has_text="Tick")).to_contain_text(
        "importing it again will add every row again"
    )
    assert Interaction.objects.count() == 2

    page.get_by_label("Import it again anyway").check()
    page.get_by_role("button", name="Import 2 rows").click()
    worker()

    expect(page.get_by_test_id("import-counts")).to_contain_text("was imported: 2 rows")
    assert Interaction.objects.count() == 4
