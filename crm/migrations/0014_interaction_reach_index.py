"""A covering index for the KPI engine's contacts reached, and two redundant indexes dropped.

``crm_interac_reach_idx`` (id, with owner and occurred_at included) lets a backfill merge the
contact links with the interactions' owner and instant in id order without reading the table
(docs/kpis-implementation.md, "Contacts reached"). The single-column indexes of the
interactions' ``owner`` and ``client`` foreign keys go: the indexes on (owner, occurred_at) and
(client, occurred_at) serve every look-up by either, so a logged interaction writes 7 B-trees
instead of 8.

Only the indexes change in the database. Django would carry out ``db_index=False`` on a foreign
key by dropping and re-adding its constraint, which on PostgreSQL checks every interaction again
under a lock that stops writes to the interactions, clients and users: the fields' new state is
recorded without touching the constraints, and on PostgreSQL the indexes are built and dropped
``CONCURRENTLY`` (outside a transaction), so the interactions stay writable meanwhile. The names
are those Django gave the foreign keys' indexes (``schema_editor._create_index_name``), the same
on every database.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

OLD_INDEXES = {
    "crm_interaction_client_id_e63a8170": "client_id",
    "crm_interaction_owner_id_ac53429e": "owner_id",
}
REACH = "crm_interac_reach_idx"


def _run(schema_editor, statements) -> None:
    for statement in statements:
        schema_editor.execute(statement)


def forwards(apps, schema_editor) -> None:
    postgresql = schema_editor.connection.vendor == "postgresql"
    concurrently = "CONCURRENTLY " if postgresql else ""
    # SQLite has no INCLUDE: the index is on the id alone there, as Django would build it.
    columns = "id) INCLUDE (owner_id, occurred_at" if postgresql else "id"
    _run(
        schema_editor,
        [
            f"CREATE INDEX {concurrently}IF NOT EXISTS {REACH} ON crm_interaction ({columns})",
            *(f"DROP INDEX {concurrently}IF EXISTS {name}" for name in OLD_INDEXES),
        ],
    )


def backwards(apps, schema_editor) -> None:
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    _run(
        schema_editor,
        [
            *(
                f"CREATE INDEX {concurrently}IF NOT EXISTS {name} ON crm_interaction ({column})"
                for name, column in OLD_INDEXES.items()
            ),
            f"DROP INDEX {concurrently}IF EXISTS {REACH}",
        ],
    )


class Migration(migrations.Migration):
    # CREATE / DROP INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("crm", "0013_interaction_touch_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="interaction",
                    name="client",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="interactions",
                        to="crm.client",
                    ),
                ),
                migrations.AlterField(
                    model_name="interaction",
                    name="owner",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="credited_interactions",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AddIndex(
                    model_name="interaction",
                    index=models.Index(
                        fields=["id"],
                        include=("owner", "occurred_at"),
                        name="crm_interac_reach_idx",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        )
    ]
