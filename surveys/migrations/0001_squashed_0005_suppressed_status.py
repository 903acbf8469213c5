"""Surveys' tables in one step, and the survey wording a new database starts with. It replaces
0001_initial to 0005_suppressed_status: a database that has run those is left as it is."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


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

    initial = True

    replaces = [
        ('surveys', '0001_initial'),
        ('surveys', '0002_invitation_link_tokens'),
        ('surveys', '0003_default_survey_questions'),
        ('surveys', '0004_devmail_message_id'),
        ('surveys', '0005_suppressed_status'),
    ]

    dependencies = [
        ('crm', '0001_squashed_0012_import_file_digest'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='DevMail',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('subject', models.CharField(max_length=300)),
                ('from_email', models.CharField(max_length=300)),
                ('to', models.TextField(help_text='Recipients, one per line.')),
                ('text_body', models.TextField(blank=True)),
                ('html_body', models.TextField(blank=True)),
                ('headers', models.JSONField(blank=True, default=dict)),
                ('message_id', models.CharField(blank=True, max_length=300, null=True, unique=True)),
                ('sent_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'verbose_name': 'dev mailbox message',
                'ordering': ['-sent_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='SurveyQuestion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('nps', 'NPS'), ('csat', 'CSAT'), ('ces', 'Client effort')], max_length=8, unique=True)),
                ('question', models.CharField(max_length=300)),
                ('low_label', models.CharField(max_length=60)),
                ('high_label', models.CharField(max_length=60)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'ordering': ['kind'],
            },
        ),
        migrations.CreateModel(
            name='Invitation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('nps', 'NPS'), ('csat', 'CSAT'), ('ces', 'Client effort')], max_length=8)),
                ('trigger', models.CharField(choices=[('relationship_cycle', 'Relationship cycle'), ('issue_resolved', 'Support issue resolved'), ('project_completed', 'Project completed'), ('manual', 'Sent from the client page')], max_length=32)),
                ('question', models.CharField(max_length=300)),
                ('low_label', models.CharField(max_length=60)),
                ('high_label', models.CharField(max_length=60)),
                ('token_hash', models.CharField(max_length=64, unique=True)),
                ('reminder_token_hash', models.CharField(blank=True, max_length=64, null=True, unique=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('expires_at', models.DateTimeField()),
                ('status', models.CharField(choices=[('queued', 'Queued'), ('delivered', 'Delivered'), ('bounced', 'Bounced'), ('failed', 'Failed'), ('suppressed', 'Suppressed')], default='queued', max_length=16)),
                ('delivered_at', models.DateTimeField(blank=True, null=True)),
                ('opened_at', models.DateTimeField(blank=True, null=True)),
                ('provisional_score', models.PositiveSmallIntegerField(blank=True, null=True)),
                ('provisional_at', models.DateTimeField(blank=True, null=True)),
                ('answered_at', models.DateTimeField(blank=True, null=True)),
                ('reminder_sent_at', models.DateTimeField(blank=True, null=True)),
                ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='invitations', to='crm.client')),
                ('contact', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='invitations', to='crm.contact')),
                ('owner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='survey_invitations', to=settings.AUTH_USER_MODEL)),
                ('project', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='crm.project')),
                ('support_issue', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='crm.supportissue')),
            ],
            options={
                'ordering': ['-created_at'],
            },
        ),
        migrations.CreateModel(
            name='OutboundEmail',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('purpose', models.CharField(choices=[('invitation', 'Survey invitation'), ('reminder', 'Survey reminder'), ('alert', 'Detractor alert')], max_length=16)),
                ('to', models.EmailField(max_length=254)),
                ('subject', models.CharField(max_length=300)),
                ('text_body', models.TextField()),
                ('html_body', models.TextField(blank=True)),
                ('headers', models.JSONField(blank=True, default=dict)),
                ('link_token', models.CharField(blank=True, max_length=64)),
                ('status', models.CharField(choices=[('queued', 'Queued'), ('sending', 'Sending'), ('sent', 'Sent'), ('failed', 'Failed (will retry)'), ('dead', 'Failed (gave up)'), ('bounced', 'Bounced'), ('suppressed', 'Suppressed')], default='queued', max_length=16)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('next_attempt_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('last_error', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('invitation', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='emails', to='surveys.invitation')),
            ],
            options={
                'ordering': ['-created_at'],
            },
        ),
        migrations.CreateModel(
            name='Response',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('nps', 'NPS'), ('csat', 'CSAT'), ('ces', 'Client effort')], max_length=8)),
                ('score', models.PositiveSmallIntegerField()),
                ('comment', models.TextField(blank=True)),
                ('may_quote', models.BooleanField(default=False)),
                ('answered_at', models.DateTimeField()),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('source', models.CharField(choices=[('email', 'E-mail invitation'), ('import', 'Imported')], default='email', max_length=8)),
                ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='responses', to='crm.client')),
                ('contact', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='responses', to='crm.contact')),
                ('follow_up', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='response', to='crm.followup')),
                ('invitation', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='response', to='surveys.invitation')),
                ('owner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='survey_responses', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-answered_at'],
            },
        ),
        migrations.CreateModel(
            name='SurveyExclusion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reason', models.CharField(max_length=300)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('lifted_at', models.DateTimeField(blank=True, null=True)),
                ('contact', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='exclusions', to='crm.contact')),
                ('excluded_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='survey_exclusions', to=settings.AUTH_USER_MODEL)),
                ('lifted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at'],
            },
        ),
        migrations.AddIndex(
            model_name='invitation',
            index=models.Index(fields=['owner', 'created_at'], name='surveys_inv_owner_i_e760dc_idx'),
        ),
        migrations.AddIndex(
            model_name='invitation',
            index=models.Index(fields=['contact', 'created_at'], name='surveys_inv_contact_95a4ac_idx'),
        ),
        migrations.AddIndex(
            model_name='invitation',
            index=models.Index(fields=['status', 'created_at'], name='surveys_inv_status_f019a6_idx'),
        ),
        migrations.AddIndex(
            model_name='outboundemail',
            index=models.Index(fields=['status', 'next_attempt_at'], name='surveys_out_status_7af05b_idx'),
        ),
        migrations.AddIndex(
            model_name='response',
            index=models.Index(fields=['owner', 'kind', 'answered_at'], name='surveys_res_owner_i_1cd07f_idx'),
        ),
        migrations.AddIndex(
            model_name='response',
            index=models.Index(fields=['client', 'answered_at'], name='surveys_res_client__133496_idx'),
        ),
        migrations.AddConstraint(
            model_name='response',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'nps'), ('score__gte', 0), ('score__lte', 10)), models.Q(('kind', 'csat'), ('score__gte', 1), ('score__lte', 5)), models.Q(('kind', 'ces'), ('score__gte', 1), ('score__lte', 7)), _connector='OR'), name='response_score_on_its_scale'),
        ),
        migrations.AddConstraint(
            model_name='surveyexclusion',
            constraint=models.UniqueConstraint(condition=models.Q(('lifted_at__isnull', True)), fields=('contact',), name='one_open_exclusion'),
        ),
        migrations.RunPython(create_default_questions, migrations.RunPython.noop),
    ]
