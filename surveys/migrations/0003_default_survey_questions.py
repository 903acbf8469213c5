from django.db import migrations

# The wording as first shipped; admins edit it afterwards in the Django admin. Copied here rather
# than imported so that this migration keeps meaning what it meant when it was written.
DEFAULT_QUESTIONS = [
    {
        "kind": "nps",
        "question": "How likely are you to recommend us to a friend or colleague?",
        "low_label": "Not at all likely",
        "high_label": "Extremely likely",
    },
    {
        "kind": "csat",
        "question": "How satisfied are you with the help you received from us?",
        "low_label": "Very dissatisfied",
        "high_label": "Very satisfied",
    },
    {
        "kind": "ces",
        "question": "How easy was it to get what you needed from us?",
        "low_label": "Very easy",
        "high_label": "Very difficult",
    },
]


def create_default_questions(apps, schema_editor):
    SurveyQuestion = apps.get_model("surveys", "SurveyQuestion")
    for row in DEFAULT_QUESTIONS:
        SurveyQuestion.objects.get_or_create(kind=row["kind"], defaults=row)


class Migration(migrations.Migration):
    dependencies = [("surveys", "0002_invitation_link_tokens")]

    operations = [migrations.RunPython(create_default_questions, migrations.RunPython.noop)]
