"""Each contact link carries its interaction's credited owner and instant, for contacts reached.

The KPI engine's contacts reached count, per BRM and period, the distinct contacts named on
their interactions. Over a 24-month backfill it joined 2.1M contact links to their
interactions and hashed the (BRM, contact) pairs; with the owner and instant on the link
itself, an index of (owner, contact, instant) hands each BRM's contacts in order, grouped as
they come (docs/kpis-implementation.md, "Contacts reached from the links alone").
``crm_interac_reach_idx``, which served the join, goes.

``owner_id`` and ``occurred_at`` are added to ``crm_interaction_contacts`` (the link table
Django creates for ``Interaction.contacts``, whose columns it does not let a model add) and
read through the unmanaged ``ContactReach``. Triggers keep them equal to the interaction's:

- a link inserted (or moved to another interaction) takes the interaction's owner and instant;
- an interaction whose owner or instant changes passes them to its links.

- a link whose owner or instant is written directly is credited again from its interaction.

So every way of writing (forms, API, imports, ``QuerySet.update``, the demo loader's ``COPY``)
keeps them in step; ``tests/crm/test_contact_reach.py`` checks each on both databases. The
columns are ``NOT NULL``: a link whose interaction does not exist yet is refused, not left
without credit. On PostgreSQL the link's look-up takes a share lock on the interaction, so a
concurrent change of its owner or instant waits for the link's transaction, or the link for
the change's, and neither is lost.

The existing links are filled in the migration's one transaction, after the interactions'
trigger is created: the link table is locked from the columns' creation to the commit (about
90 s for 2.1M links on the benchmark's machine), and a change of an interaction waits for the
commit, so none is missed.

On SQLite a later migration that makes Django rebuild ``crm_interaction`` or
``crm_interaction_contacts`` (an altered column) fails on these triggers ("error in trigger …
no such table"): it must drop them first and create them again after, with the SQL below,
and a rebuild of the link table must keep its two columns and ``crm_contact_reach_idx``.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

REACH = "crm_interac_reach_idx"
INDEX = "crm_contact_reach_idx"

POSTGRESQL = [
    "ALTER TABLE crm_interaction_contacts ADD COLUMN owner_id bigint NULL, "
    "ADD COLUMN occurred_at timestamp with time zone NULL",
    """
    CREATE FUNCTION crm_interaction_links_follow() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE crm_interaction_contacts SET owner_id = NEW.owner_id, occurred_at = NEW.occurred_at
        WHERE interaction_id = NEW.id;
        RETURN NULL;
    END $$
    """,
    # From here to the commit, changes of the interactions wait (the trigger's lock), and the
    # links are locked since the columns were added: the fill below misses none.
    "CREATE TRIGGER crm_interaction_links_follow AFTER UPDATE OF owner_id, occurred_at "
    "ON crm_interaction FOR EACH ROW WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id "
    "OR OLD.occurred_at IS DISTINCT FROM NEW.occurred_at) "
    "EXECUTE FUNCTION crm_interaction_links_follow()",
    "UPDATE crm_interaction_contacts link SET owner_id = i.owner_id, occurred_at = i.occurred_at "
    "FROM crm_interaction i WHERE i.id = link.interaction_id",
    """
    CREATE FUNCTION crm_contact_link_credit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        SELECT owner_id, occurred_at INTO NEW.owner_id, NEW.occurred_at
        FROM crm_interaction WHERE id = NEW.interaction_id FOR SHARE;
        RETURN NEW;
    END $$
    """,
    "CREATE TRIGGER crm_contact_link_credit BEFORE INSERT OR UPDATE "
    "ON crm_interaction_contacts FOR EACH ROW EXECUTE FUNCTION crm_contact_link_credit()",
    "ALTER TABLE crm_interaction_contacts ALTER COLUMN owner_id SET NOT NULL, "
    "ALTER COLUMN occurred_at SET NOT NULL",
]
POSTGRESQL_BACK = [
    "DROP TRIGGER IF EXISTS crm_interaction_links_follow ON crm_interaction",
    "DROP FUNCTION IF EXISTS crm_interaction_links_follow()",
    "DROP TRIGGER IF EXISTS crm_contact_link_credit ON crm_interaction_contacts",
    "DROP FUNCTION IF EXISTS crm_contact_link_credit()",
]

# A link whose interaction is missing gets NULLs, which its NOT NULL columns refuse.
_CREDIT = """
    UPDATE crm_interaction_contacts SET
        owner_id = (SELECT owner_id FROM crm_interaction WHERE id = NEW.interaction_id),
        occurred_at = (SELECT occurred_at FROM crm_interaction WHERE id = NEW.interaction_id)
    WHERE id = NEW.id;
"""
SQLITE = [
    # SQLite adds a NOT NULL column only with a default; the triggers overwrite it at once.
    "ALTER TABLE crm_interaction_contacts ADD COLUMN owner_id bigint NOT NULL DEFAULT 0",
    "ALTER TABLE crm_interaction_contacts ADD COLUMN occurred_at datetime NOT NULL DEFAULT ''",
    # SQLite's triggers cannot change the row being written: the link is updated after.
    f"CREATE TRIGGER crm_contact_link_credit AFTER INSERT ON crm_interaction_contacts "
    f"BEGIN {_CREDIT} END",
    # Not recursive: SQLite does not fire a trigger from its own statement.
    f"CREATE TRIGGER crm_contact_link_recredit AFTER UPDATE OF interaction_id, owner_id, "
    f"occurred_at ON crm_interaction_contacts BEGIN {_CREDIT} END",
    "CREATE TRIGGER crm_interaction_links_follow AFTER UPDATE OF owner_id, occurred_at "
    "ON crm_interaction WHEN OLD.owner_id IS NOT NEW.owner_id "
    "OR OLD.occurred_at IS NOT NEW.occurred_at BEGIN "
    "UPDATE crm_interaction_contacts SET owner_id = NEW.owner_id, occurred_at = NEW.occurred_at "
    "WHERE interaction_id = NEW.id; END",
    "UPDATE crm_interaction_contacts SET interaction_id = interaction_id",
]
SQLITE_BACK = [
    "DROP TRIGGER IF EXISTS crm_interaction_links_follow",
    "DROP TRIGGER IF EXISTS crm_contact_link_recredit",
    "DROP TRIGGER IF EXISTS crm_contact_link_credit",
]


def forwards(apps, schema_editor) -> None:
    postgresql = schema_editor.connection.vendor == "postgresql"
    for statement in POSTGRESQL if postgresql else SQLITE:
        schema_editor.execute(statement)
    schema_editor.execute(
        f"CREATE INDEX {INDEX} ON crm_interaction_contacts (owner_id, contact_id, occurred_at)"
    )
    schema_editor.execute(f"DROP INDEX IF EXISTS {REACH}")


def backwards(apps, schema_editor) -> None:
    postgresql = schema_editor.connection.vendor == "postgresql"
    columns = "id) INCLUDE (owner_id, occurred_at" if postgresql else "id"
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {REACH} ON crm_interaction ({columns})")
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    for statement in POSTGRESQL_BACK if postgresql else SQLITE_BACK:
        schema_editor.execute(statement)
    for column in ("owner_id", "occurred_at"):
        schema_editor.execute(f"ALTER TABLE crm_interaction_contacts DROP COLUMN {column}")


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0015_interaction_outbound_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ContactReach",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("occurred_at", models.DateTimeField()),
                        (
                            "interaction",
                            models.ForeignKey(
                                db_constraint=False,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="crm.interaction",
                            ),
                        ),
                        (
                            "contact",
                            models.ForeignKey(
                                db_constraint=False,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="crm.contact",
                            ),
                        ),
                        (
                            "owner",
                            models.ForeignKey(
                                db_constraint=False,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={"db_table": "crm_interaction_contacts", "managed": False},
                ),
                migrations.RemoveIndex(model_name="interaction", name=REACH),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        )
    ]
