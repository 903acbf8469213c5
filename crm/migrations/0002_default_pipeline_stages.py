from django.db import migrations

DEFAULT_STAGES = [
    ("Qualified", 10, "open"),
    ("Proposal", 20, "open"),
    ("Negotiation", 30, "open"),
    ("Won", 90, "won"),
    ("Lost", 100, "lost"),
]


def create_stages(apps, schema_editor):
    DealStage = apps.get_model("crm", "DealStage")
    for name, position, kind in DEFAULT_STAGES:
        DealStage.objects.get_or_create(name=name, defaults={"position": position, "kind": kind})


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]

    operations = [migrations.RunPython(create_stages, migrations.RunPython.noop)]
