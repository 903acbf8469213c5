"""Import jobs: a file is checked and imported in the background, its page shows the progress
and then the report, only its owner (and admins) see it, and a job runs once however often it
is sent or delivered."""

import re
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from crm.imports import jobs
from crm.imports.services import BATCH_ROWS
from crm.management.commands.bench_import import interactions_file
from crm.models import ImportJob, Interaction
from tests.crm.test_import_web import CALLS, upload
from tests.markers import ROW_LOCKS

pytestmark = pytest.mark.django_db


def _job(alice, text: str = CALLS, name: str = "calls.csv") -> ImportJob:
    """A queued dry run of ``text`` by Alice, not run yet."""
    return jobs.import_job_create(
        by=alice, record_type="interactions", upload=SimpleUploadedFile(name, text.encode())
    )


def test_a_job_goes_from_queued_to_done_and_its_progress_reaches_the_total(
    alice, alices_client, monkeypatch
):
    rows = 2 * BATCH_ROWS + 5
    text = interactions_file(rows, client=alices_client.name, email=alice.email).decode()
    job = _job(alice, text)
    assert (job.status, job.rows_total, jobs.import_job_progress(job)) == ("queued", rows, 0)
    seen = []
    real_import = jobs.records_import

    def watched(**kwargs):
        def progress(rows: int) -> None:
            kwargs_progress(rows)
            # What the job's page reads, while the import's transaction is still open.
            seen.append(jobs.import_job_progress(ImportJob.objects.get(pk=job.pk)))

        kwargs_progress = kwargs["progress"]
        return real_import(**{**kwargs, "progress": progress})

    monkeypatch.setattr(jobs, "records_import", watched)

    jobs.import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert seen == [BATCH_ROWS, 2 * BATCH_ROWS, rows]
    assert (job.status, job.rows_done, jobs.import_job_progress(job)) == ("done", rows, rows)
    assert job.report["counts"] == {"interactions": rows, "contact links": 0}
    assert job.started_at <= job.finished_at
    assert not Interaction.objects.exists()


def test_the_page_of_a_running_job_polls_its_progress_bar(client, alice, alices_client):
    job = _job(alice)
    ImportJob.objects.filter(pk=job.pk).update(status="running")
    cache.set(f"import-job-progress:{job.pk}", 1)
    client.force_login(alice)

    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    bar = client.get(reverse("imports:job_progress", args=[job.pk]))

    assert 'hx-trigger="every 1s"' in page
    assert "Checking row 1 of about 2" in bar.content.decode()
    assert 'aria-valuenow="50"' in bar.content.decode()


def test_the_progress_bar_reloads_the_page_once_the_job_is_done(client, alice, alices_client):
    job = _job(alice)
    jobs.import_job_run(job_id=job.pk)
    client.force_login(alice)

    response = client.get(reverse("imports:job_progress", args=[job.pk]))

    assert (response.status_code, response["HX-Refresh"]) == (204, "true")


def test_running_a_job_twice_imports_once(alice, alices_client):
    job = _job(alice)
    jobs.import_job_run(job_id=job.pk)
    imported = jobs.import_job_confirm(job=job, by=alice)

    jobs.import_job_run(job_id=imported.pk)
    jobs.import_job_run(job_id=imported.pk)

    assert Interaction.objects.count() == 2
    assert jobs.import_job_confirm(job=job, by=alice) == imported


def test_an_import_job_with_a_bad_last_row_saves_nothing(alice, alices_client):
    rows = 2 * BATCH_ROWS
    text = interactions_file(rows, client=alices_client.name, email=alice.email).decode()
    text += f"{alices_client.name},2024-01-01T09:00+00:00,fax,,{alice.email},,,,\n"
    job = _job(alice, text)
    ImportJob.objects.filter(pk=job.pk).update(dry_run=False)

    jobs.import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == "done"
    assert [error["line"] for error in job.report["errors"]] == [rows + 2]
    assert job.report["counts"] == {}
    assert not Interaction.objects.exists()


def test_another_users_job_is_not_found(client, alice, bob, carol, maria, admin_user):
    job = _job(alice)
    for other in (bob, carol, maria):
        client.force_login(other)
        for name in ("imports:job", "imports:job_progress"):
            assert client.get(reverse(name, args=[job.pk])).status_code == 404
        assert client.post(reverse("imports:job_confirm", args=[job.pk])).status_code == 404
    client.force_login(admin_user)
    assert client.get(reverse("imports:job", args=[job.pk])).status_code == 200


def test_an_admin_sees_a_brms_dry_run_but_does_not_import_it_for_them(
    client, alice, alices_client, admin_user
):
    job = _job(alice)
    jobs.import_job_run(job_id=job.pk)
    client.force_login(admin_user)

    page = client.get(reverse("imports:job", args=[job.pk]))
    response = client.post(reverse("imports:job_confirm", args=[job.pk]))

    assert not page.context["may_confirm"]
    assert response.status_code == 403
    assert not ImportJob.objects.filter(dry_run=False).exists()


def test_an_upload_sent_twice_starts_one_job(client, alice, alices_client):
    client.force_login(alice)
    page = client.get(reverse("imports:import")).content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)

    first = upload(client, CALLS, form_token=token)
    second = upload(client, CALLS, form_token=token)

    assert ImportJob.objects.count() == 1
    assert second["Location"] == first["Location"]


def test_an_import_sent_twice_starts_one_import(client, alice, alices_client, import_jobs_run):
    client.force_login(alice)
    with import_jobs_run():
        checked = upload(client, CALLS)
    with import_jobs_run():
        first = client.post(checked["Location"] + "import/", {"form_token": "t1"})
        second = client.post(checked["Location"] + "import/", {"form_token": "t1"})
        third = client.post(checked["Location"] + "import/")

    assert first["Location"] == second["Location"] == third["Location"]
    assert ImportJob.objects.filter(dry_run=False).count() == 1
    assert Interaction.objects.count() == 2


def test_the_stored_file_is_deleted_once_imported(alice, alices_client):
    job = _job(alice)
    path = job.file.path
    jobs.import_job_run(job_id=job.pk)
    imported = jobs.import_job_confirm(job=job, by=alice)
    jobs.import_job_run(job_id=imported.pk)

    job.refresh_from_db()
    imported.refresh_from_db()
    assert (job.file.name, imported.file.name) == ("", "")
    assert not ImportJob.objects.exclude(file="").exists()
    assert not Path(path).exists()


def test_a_checked_file_waits_a_day_to_be_imported_then_is_deleted(client, alice, alices_client):
    job = _job(alice)
    jobs.import_job_run(job_id=job.pk)

    assert jobs.import_files_prune() == 0
    assert jobs.import_files_prune(now=timezone.now() + timedelta(hours=25)) == 1

    client.force_login(alice)
    response = client.post(reverse("imports:job_confirm", args=[job.pk]), follow=True)
    assert "has been deleted; upload it again" in response.content.decode()


def test_a_job_that_stops_on_an_unexpected_error_fails_and_saves_nothing(
    alice, alices_client, monkeypatch
):
    job = _job(alice)
    imported_for_real = jobs.import_job_confirm
    jobs.import_job_run(job_id=job.pk)
    imported = imported_for_real(job=job, by=alice)

    def explode(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(jobs, "records_import", explode)
    jobs.import_job_run(job_id=imported.pk)

    imported.refresh_from_db()
    assert imported.status == "failed"
    assert "unexpected error; nothing was saved" in imported.report["errors"][0]["message"]
    assert not Interaction.objects.exists()


def test_a_job_whose_worker_died_is_run_by_the_next_delivery(alice, alices_client):
    job = _job(alice)
    # Marked running by a worker that died: its import was rolled back, its lock dropped.
    ImportJob.objects.filter(pk=job.pk).update(status="running", started_at=timezone.now())

    jobs.import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == "done"
    assert job.report["counts"] == {"interactions": 2, "contact links": 0}


@ROW_LOCKS
def test_a_job_another_worker_is_running_is_left_to_it(transactional_db, alice, alices_client):
    job = _job(alice)
    ImportJob.objects.filter(pk=job.pk).update(status="running", started_at=timezone.now())
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        with transaction.atomic():
            ImportJob.objects.select_for_update().get(pk=job.pk)
            locked.set()
            release.wait(10)
        connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    locked.wait(10)
    try:
        jobs.import_job_run(job_id=job.pk)
    finally:
        release.set()
        thread.join()

    job.refresh_from_db()
    assert (job.status, job.report) == ("running", None)


@pytest.mark.parametrize(
    "cell",
    ["Renewal\x00", "\x00", "Kick\x00off", "Client\x00"],
    ids=["topic", "nul", "mid", "name"],
)
def test_a_nul_character_in_a_cell_ends_the_check_with_its_line_not_a_failed_job(
    client, alice, alices_client, cell
):
    # PostgreSQL refuses U+0000 inside JSON: the report quoting the cell must still be kept.
    text = (
        "client,occurred_at,kind,logged_by,topic\n"
        f"{alices_client.name},2025-01-06T10:00:00+00:00,call,alice@example.com,Renewal\n"
        f"{alices_client.name},2025-01-07T10:00:00+00:00,call,alice@example.com,{cell}\n"
        f"{cell},2025-01-08T10:00:00+00:00,call,alice@example.com,Renewal\n"
    )
    job = _job(alice, text)

    jobs.import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == "done"
    assert 3 in [error["line"] for error in job.report["errors"]]
    client.force_login(alice)
    page = client.get(reverse("imports:job", args=[job.pk]))
    # A check that found errors answers 422, the same as any other refused file.
    assert page.status_code == 422
    assert "line 3" in page.content.decode().lower()
    assert not Interaction.objects.exists()
