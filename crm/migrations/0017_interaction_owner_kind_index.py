"""The owner index of interactions carries their kind.

``crm_interac_owner_kind_idx`` replaces the plain (owner, occurred_at) index with the same key
and the interaction's ``kind``: a KPI backfill counts every interaction but the notes per owner
and month from the index alone instead of scanning the table (bench scale 1, 24 months: the
statement 0.51 -> 0.39 s of database CPU, at scale 2 no gain beyond the noise;
docs/kpis-implementation.md, "Seventh round"). Every read the old index served (an owner's
interactions in a span of time) reads the new one.

On PostgreSQL both indexes are built and dropped ``CONCURRENTLY`` (outside a transaction), so the
interactions stay writable meanwhile, as ``0015`` did; SQLite builds the new one on its key
alone (no ``INCLUDE``).
"""

from django.db import migrations, models

OLD = models.Index(fields=["owner", "occurred_at"], name="crm_interac_owner_i_531015_idx")
NEW = models.Index(
    fields=["owner", "occurred_at"], include=["kind"], name="crm_interac_owner_kind_idx"
)


def _swap(apps, schema_editor, build: models.Index, drop: models.Index) -> None:
    """Build ``build``, then drop ``drop``; run again after a stop midway, it finishes the job."""
    interaction = apps.get_model("crm", "Interaction")
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", [build.name]
            )
            found = cursor.fetchone()
        if found is None or not found[0]:
            # A concurrent build that failed leaves an invalid index of the same name: dropped
            # and built again. A valid one (a run stopped before the drop) is kept.
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {build.name}")
            schema_editor.execute(build.create_sql(interaction, schema_editor, concurrently=True))
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {drop.name}")
    else:
        # Not atomic here either: a run stopped between the two statements leaves the new index.
        schema_editor.execute(f"DROP INDEX IF EXISTS {build.name}")
        schema_editor.add_index(interaction, build)
        schema_editor.execute(f"DROP INDEX IF EXISTS {drop.name}")


def forwards(apps, schema_editor) -> None:
    _swap(apps, schema_editor, NEW, OLD)


def backwards(apps, schema_editor) -> None:
    _swap(apps, schema_editor, OLD, NEW)


class Migration(migrations.Migration):
    # CREATE / DROP INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [("crm", "0016_contact_reach")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="interaction", name=OLD.name),
                migrations.AddIndex(model_name="interaction", index=NEW),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        )
    ]
