"""A database that ran the last release's migrations upgrades with ``migrate``: every migration
that release shipped is still on disk. Deleting one (after a squash, say) leaves such a database
with nothing to apply and without the later columns, so every page that reads them fails."""

from django.db.migrations.loader import MigrationLoader

# The migrations released so far (stop 18 at 974a353, stop 19 at 4fe2754, stop 20); add to it,
# never remove.
RELEASED = {
    "accounts": ["0001_initial"],
    "crm": [
        "0001_initial",
        "0002_default_pipeline_stages",
        "0003_follow_up_due_history_and_edit_history",
        "0004_email_suppression",
        "0005_deal_forecast_lost_reasons_issue_description",
        "0006_updated_at",
        "0007_names_are_single_lines",
        "0008_import_sources",
        "0009_meetings_are_two_way",
        "0010_import_jobs",
        "0011_stage_default_probability",
        "0012_import_file_digest",
    ],
    "integrations": ["0001_tokens_feeds_capture_webhooks"],
    "metrics": [
        "0001_initial",
        "0002_snapshot_status_low_sample",
        "0003_snapshot_fillfactor",
        "0004_snapshot_indexes_for_cheap_writes",
    ],
    "surveys": [
        "0001_initial",
        "0002_invitation_link_tokens",
        "0003_default_survey_questions",
        "0004_devmail_message_id",
        "0005_suppressed_status",
    ],
}


def test_every_released_migration_is_still_on_disk_so_old_databases_upgrade():
    on_disk = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    missing = [
        f"{app}.{name}"
        for app, names in RELEASED.items()
        for name in names
        if (app, name) not in on_disk
    ]
    assert missing == [], "a database at the last release could not upgrade without these"
