"""Half-empty pages for KPI snapshots, so that recomputing a period updates its rows in place.

Every snapshot run rewrites each row of its period. With full pages PostgreSQL puts the new
version on another page and must add it to all four indexes (issue 14 reports 0.3 % in-place
updates on a table bloated by repeated runs, 4.6 s of a 7 s snapshot). With room on the page
the update is a heap-only tuple and no index is touched (the same report: 99.8 % in place,
0.45 s instead of 1.1–1.3 s; not re-measured here).
Existing pages keep their layout until the table is rewritten (``VACUUM FULL``).
"""

from django.db import migrations


def set_fillfactor(apps, schema_editor, value=50):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE metrics_snapshot SET (fillfactor = {int(value)})")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE metrics_snapshot RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("metrics", "0002_snapshot_status_low_sample")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor, elidable=False)]
