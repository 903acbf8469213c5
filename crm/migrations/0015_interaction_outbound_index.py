"""A partial index of the outbound e-mails and messages, for the reply rate.

``crm_interac_outbound_idx`` holds the interactions the reply rate counts (outbound e-mails and
messages, about three in ten) by ``occurred_at``, with their owner, topic and id: a KPI backfill
groups 24 months of them by owner, topic and month, and tests each for a reply, from the index
alone instead of a scan of every interaction (docs/kpis-implementation.md, "Replies by topic").
Other interactions do not write to it.

On PostgreSQL the index is built ``CONCURRENTLY`` (outside a transaction), so the interactions
stay writable meanwhile, as ``0014`` did; SQLite builds it on its key alone (no ``INCLUDE``).
"""

from django.db import migrations, models
from django.db.models import Q

OUTBOUND = models.Index(
    fields=["occurred_at"],
    include=["owner", "topic", "id"],
    condition=Q(direction="outbound", kind__in=["email", "message"]),
    name="crm_interac_outbound_idx",
)


def forwards(apps, schema_editor) -> None:
    interaction = apps.get_model("crm", "Interaction")
    if schema_editor.connection.vendor == "postgresql":
        # A concurrent build that failed leaves an invalid index of the same name: dropped
        # first, so that the migration can simply be run again.
        backwards(apps, schema_editor)
        schema_editor.execute(OUTBOUND.create_sql(interaction, schema_editor, concurrently=True))
    else:
        schema_editor.add_index(interaction, OUTBOUND)


def backwards(apps, schema_editor) -> None:
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {OUTBOUND.name}")


class Migration(migrations.Migration):
    # CREATE / DROP INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [("crm", "0014_interaction_reach_index")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="interaction", index=OUTBOUND)],
            database_operations=[migrations.RunPython(forwards, backwards)],
        )
    ]
