"""The book's tables in one step. It replaces 0001_initial to 0012_import_file_digest: a database
that has run those is left as it is. The data a new database starts with: the default pipeline
stages with their win probabilities, and the lost reasons. (The one-off copy of opted-out
contacts into the suppression list, in 0004, has nothing to copy in a new database.)"""

import crm.input_rules
import django.core.validators
import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
import simple_history.models
from django.conf import settings
from django.db import migrations, models


DEFAULT_STAGES = [
    ("Qualified", 10, "open"),
    ("Proposal", 20, "open"),
    ("Negotiation", 30, "open"),
    ("Won", 90, "won"),
    ("Lost", 100, "lost"),
]

DEFAULT_LOST_REASONS = ["Price", "Timing", "Went with a competitor", "No budget", "No decision"]


def create_stages(apps, schema_editor):
    DealStage = apps.get_model("crm", "DealStage")
    for name, position, kind in DEFAULT_STAGES:
        DealStage.objects.get_or_create(name=name, defaults={"position": position, "kind": kind})


def add_default_lost_reasons(apps, schema_editor):
    LostReason = apps.get_model("crm", "LostReason")
    for name in DEFAULT_LOST_REASONS:
        LostReason.objects.get_or_create(name=name)


# The default stages (by name, as create_stages makes them) and the percent chance of winning a
# deal in each, used when the deal has no probability of its own.
DEFAULT_PROBABILITIES = {
    "Qualified": 25,
    "Proposal": 50,
    "Negotiation": 75,
    "Won": 100,
    "Lost": 0,
}


def set_default_probabilities(apps, schema_editor):
    """Give each default stage still without one its default; renamed or added stages keep none."""
    DealStage = apps.get_model("crm", "DealStage")
    for name, percent in DEFAULT_PROBABILITIES.items():
        DealStage.objects.filter(name=name, default_probability__isnull=True).update(
            default_probability=percent
        )


def clear_default_probabilities(apps, schema_editor):
    DealStage = apps.get_model("crm", "DealStage")
    DealStage.objects.filter(name__in=DEFAULT_PROBABILITIES).update(default_probability=None)


class Migration(migrations.Migration):

    initial = True

    replaces = [
        ('crm', '0001_initial'),
        ('crm', '0002_default_pipeline_stages'),
        ('crm', '0003_follow_up_due_history_and_edit_history'),
        ('crm', '0004_email_suppression'),
        ('crm', '0005_deal_forecast_lost_reasons_issue_description'),
        ('crm', '0006_updated_at'),
        ('crm', '0007_names_are_single_lines'),
        ('crm', '0008_import_sources'),
        ('crm', '0009_meetings_are_two_way'),
        ('crm', '0010_import_jobs'),
        ('crm', '0011_stage_default_probability'),
        ('crm', '0012_import_file_digest'),
    ]

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='DealStage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=60, unique=True)),
                ('position', models.PositiveSmallIntegerField(unique=True)),
                ('kind', models.CharField(choices=[('open', 'Open'), ('won', 'Won'), ('lost', 'Lost')], default='open', max_length=8)),
                ('default_probability', models.PositiveSmallIntegerField(blank=True, help_text='Percent chance of winning a deal in this stage, used when the deal has no probability of its own (blank = 0).', null=True, validators=[django.core.validators.MaxValueValidator(100)])),
            ],
            options={
                'ordering': ['position'],
            },
        ),
        migrations.CreateModel(
            name='EmailSuppression',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('address', models.CharField(help_text='Trimmed, lower case.', max_length=254, unique=True)),
                ('reason', models.CharField(choices=[('opted_out', 'Opted out'), ('bounced', 'Bounced'), ('complained', 'Complained (marked as spam)')], max_length=16)),
                ('detail', models.CharField(blank=True, max_length=300)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'ordering': ['address'],
            },
        ),
        migrations.CreateModel(
            name='LostReason',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, unique=True)),
                ('active', models.BooleanField(default=True)),
            ],
            options={
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='Product',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=150, unique=True)),
            ],
            options={
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='Client',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('updated_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False)),
                ('name', models.CharField(max_length=200, validators=[crm.input_rules.validate_single_line])),
                ('relationship_type', models.CharField(choices=[('personal', 'Personal'), ('functional', 'Functional'), ('strategic', 'Strategic'), ('partner', 'Partner')], max_length=16)),
                ('relationship_started_on', models.DateField()),
                ('status', models.CharField(choices=[('active', 'Active'), ('churned', 'Churned')], default='active', max_length=16)),
                ('industry', models.CharField(blank=True, max_length=100)),
                ('website', models.URLField(blank=True)),
                ('notes', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('owner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='owned_clients', to=settings.AUTH_USER_MODEL)),
                ('sourced_by_partner', models.ForeignKey(blank=True, limit_choices_to={'relationship_type': 'partner'}, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='sourced_clients', to='crm.client')),
            ],
            options={
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='ClientOwnership',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('started_at', models.DateTimeField()),
                ('ended_at', models.DateTimeField(blank=True, null=True)),
                ('reason', models.CharField(blank=True, max_length=200)),
                ('changed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='ownerships', to='crm.client')),
                ('owner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='client_ownerships', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['client', 'started_at'],
            },
        ),
        migrations.CreateModel(
            name='ClientStatusChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('active', 'Active'), ('churned', 'Churned')], max_length=16)),
                ('effective_on', models.DateField()),
                ('reason', models.CharField(blank=True, max_length=200)),
                ('recorded_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='status_changes', to='crm.client')),
                ('recorded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['client', 'effective_on', 'id'],
            },
        ),
        migrations.CreateModel(
            name='Contact',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('updated_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False)),
                ('name', models.CharField(max_length=150, validators=[crm.input_rules.validate_single_line])),
                ('email', models.EmailField(blank=True, max_length=254)),
                ('phone', models.CharField(blank=True, max_length=40)),
                ('role', models.CharField(blank=True, max_length=100)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('opted_out_of_surveys', models.BooleanField(default=False)),
                ('opted_out_at', models.DateTimeField(blank=True, null=True)),
                ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='contacts', to='crm.client')),
            ],
            options={
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='Deal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('updated_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False)),
                ('title', models.CharField(max_length=200)),
                ('kind', models.CharField(choices=[('new', 'New business'), ('upsell', 'Upsell'), ('cross_sell', 'Cross-sell'), ('renewal', 'Renewal')], default='new', max_length=16)),
                ('value', models.DecimalField(decimal_places=2, max_digits=14, validators=[django.core.validators.MinValueValidator(0)])),
                ('created_at', models.DateTimeField()),
                ('closed_at', models.DateTimeField(blank=True, null=True)),
                ('partner_role', models.CharField(blank=True, choices=[('sourced', 'Sourced'), ('influenced', 'Influenced')], max_length=16)),
                ('expected_close_on', models.DateField(blank=True, null=True)),
                ('probability', models.PositiveSmallIntegerField(blank=True, help_text="Percent chance of winning; blank = the stage's default. The pipeline's weighted total uses it.", null=True, validators=[django.core.validators.MaxValueValidator(100)])),
                ('lost_note', models.CharField(blank=True, max_length=300)),
                ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deals', to='crm.client')),
                ('owner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='deals', to=settings.AUTH_USER_MODEL)),
                ('partner', models.ForeignKey(blank=True, limit_choices_to={'relationship_type': 'partner'}, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='partner_deals', to='crm.client')),
                ('stage', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='deals', to='crm.dealstage')),
                ('lost_reason', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='deals', to='crm.lostreason')),
            ],
            options={
                'ordering': ['-created_at'],
            },
        ),
        migrations.CreateModel(
            name='DealStageChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('entered_from_at', models.DateTimeField(blank=True, null=True)),
                ('changed_at', models.DateTimeField()),
                ('changed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('deal', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='stage_changes', to='crm.deal')),
                ('from_stage', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='exits', to='crm.dealstage')),
                ('owner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='deal_stage_changes', to=settings.AUTH_USER_MODEL)),
                ('to_stage', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='entries', to='crm.dealstage')),
            ],
            options={
                'ordering': ['deal', 'changed_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='FeedbackItem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('summary', models.CharField(max_length=300)),
                ('received_on', models.DateField()),
                ('closed_on', models.DateField(blank=True, null=True)),
                ('outcome', models.CharField(blank=True, choices=[('implemented', 'Implemented'), ('declined', 'Declined')], max_length=16)),
                ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='feedback_items', to='crm.client')),
                ('owner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='feedback_items', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-received_on'],
            },
        ),
        migrations.CreateModel(
            name='FollowUp',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('updated_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False)),
                ('title', models.CharField(max_length=200)),
                ('due_on', models.DateField(help_text='The due date in force now.')),
                ('missed_due_on', models.DateField(blank=True, help_text='The due date it had already missed when first rescheduled late; the on-time rate judges it against this date.', null=True)),
                ('done_at', models.DateTimeField(blank=True, null=True)),
                ('outcome', models.TextField(blank=True)),
                ('cancelled_at', models.DateTimeField(blank=True, null=True)),
                ('cancel_reason', models.CharField(blank=True, max_length=300)),
                ('origin', models.CharField(choices=[('manual', 'Manual'), ('interaction', 'Logged with an interaction'), ('survey_detractor', 'Survey detractor'), ('support_issue', 'Support issue'), ('import', 'Imported')], default='manual', max_length=32)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('cancelled_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='follow_ups', to='crm.client')),
                ('owner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='follow_ups', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['due_on', 'id'],
            },
        ),
        migrations.CreateModel(
            name='FollowUpDueChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('from_due_on', models.DateField()),
                ('to_due_on', models.DateField()),
                ('changed_at', models.DateTimeField()),
                ('was_overdue', models.BooleanField()),
                ('reason', models.CharField(blank=True, max_length=200)),
                ('changed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('follow_up', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='due_changes', to='crm.followup')),
            ],
            options={
                'ordering': ['follow_up', 'changed_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='HistoricalClient',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('updated_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False)),
                ('name', models.CharField(max_length=200, validators=[crm.input_rules.validate_single_line])),
                ('relationship_type', models.CharField(choices=[('personal', 'Personal'), ('functional', 'Functional'), ('strategic', 'Strategic'), ('partner', 'Partner')], max_length=16)),
                ('relationship_started_on', models.DateField()),
                ('status', models.CharField(choices=[('active', 'Active'), ('churned', 'Churned')], default='active', max_length=16)),
                ('industry', models.CharField(blank=True, max_length=100)),
                ('website', models.URLField(blank=True)),
                ('notes', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('owner', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('sourced_by_partner', models.ForeignKey(blank=True, db_constraint=False, limit_choices_to={'relationship_type': 'partner'}, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='crm.client')),
            ],
            options={
                'verbose_name': 'historical client',
                'verbose_name_plural': 'historical clients',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalContact',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('updated_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False)),
                ('name', models.CharField(max_length=150, validators=[crm.input_rules.validate_single_line])),
                ('email', models.EmailField(blank=True, max_length=254)),
                ('phone', models.CharField(blank=True, max_length=40)),
                ('role', models.CharField(blank=True, max_length=100)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('opted_out_of_surveys', models.BooleanField(default=False)),
                ('opted_out_at', models.DateTimeField(blank=True, null=True)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('client', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='crm.client')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical contact',
                'verbose_name_plural': 'historical contacts',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalFeedbackItem',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('summary', models.CharField(max_length=300)),
                ('received_on', models.DateField()),
                ('closed_on', models.DateField(blank=True, null=True)),
                ('outcome', models.CharField(blank=True, choices=[('implemented', 'Implemented'), ('declined', 'Declined')], max_length=16)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('client', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='crm.client')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('owner', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical feedback item',
                'verbose_name_plural': 'historical feedback items',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalInteraction',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('updated_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False)),
                ('kind', models.CharField(choices=[('meeting', 'Meeting'), ('call', 'Call'), ('email', 'E-mail'), ('message', 'Message'), ('event', 'Event attended'), ('note', 'Note')], max_length=16)),
                ('direction', models.CharField(choices=[('inbound', 'Inbound'), ('outbound', 'Outbound'), ('internal', 'Internal'), ('two_way', 'Two-way')], max_length=16)),
                ('occurred_at', models.DateTimeField()),
                ('topic', models.CharField(blank=True, max_length=100)),
                ('summary', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('client', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='crm.client')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('logged_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('owner', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical interaction',
                'verbose_name_plural': 'historical interactions',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalPartnerCertification',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('name', models.CharField(max_length=150)),
                ('valid_from', models.DateField()),
                ('valid_until', models.DateField()),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('partner', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='crm.client')),
            ],
            options={
                'verbose_name': 'historical partner certification',
                'verbose_name_plural': 'historical partner certifications',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalPartnerReferral',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('lead_name', models.CharField(max_length=200)),
                ('received_on', models.DateField()),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('owner', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('partner', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='crm.client')),
                ('referred_client', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='crm.client')),
            ],
            options={
                'verbose_name': 'historical partner referral',
                'verbose_name_plural': 'historical partner referrals',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalProject',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('name', models.CharField(max_length=200)),
                ('started_on', models.DateField(blank=True, null=True)),
                ('due_on', models.DateField()),
                ('completed_at', models.DateTimeField(blank=True, null=True)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('client', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='crm.client')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('owner', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical project',
                'verbose_name_plural': 'historical projects',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalSharedGoal',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('title', models.CharField(max_length=200)),
                ('due_on', models.DateField()),
                ('met', models.BooleanField(blank=True, null=True)),
                ('assessed_on', models.DateField(blank=True, null=True)),
                ('last_reviewed_on', models.DateField(blank=True, null=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('client', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='crm.client')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('owner', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical shared goal',
                'verbose_name_plural': 'historical shared goals',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalSupportIssue',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('updated_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False)),
                ('title', models.CharField(max_length=200)),
                ('description', models.TextField(blank=True)),
                ('priority', models.CharField(choices=[('urgent', 'Urgent'), ('high', 'High'), ('normal', 'Normal'), ('low', 'Low')], default='normal', max_length=16)),
                ('sla_hours', models.PositiveIntegerField()),
                ('opened_at', models.DateTimeField()),
                ('first_response_at', models.DateTimeField(blank=True, null=True)),
                ('resolved_at', models.DateTimeField(blank=True, null=True)),
                ('status', models.CharField(choices=[('open', 'Open'), ('answered', 'Answered'), ('resolved', 'Resolved')], default='open', max_length=16)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('client', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='crm.client')),
                ('contact', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='crm.contact')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('owner', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical support issue',
                'verbose_name_plural': 'historical support issues',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='ImportBatch',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('record_type', models.CharField(max_length=40)),
                ('file_name', models.CharField(blank=True, max_length=255)),
                ('imported_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('row_count', models.PositiveIntegerField(default=0)),
                ('sha256', models.CharField(blank=True, db_index=True, max_length=64)),
                ('imported_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-imported_at'],
            },
        ),
        migrations.CreateModel(
            name='ImportedRecord',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('object_id', models.PositiveBigIntegerField()),
                ('batch', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='records', to='crm.importbatch')),
                ('content_type', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='contenttypes.contenttype')),
            ],
        ),
        migrations.CreateModel(
            name='ImportJob',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('record_type', models.CharField(max_length=40)),
                ('file', models.FileField(blank=True, upload_to='imports/%Y/%m/')),
                ('file_name', models.CharField(blank=True, max_length=255)),
                ('dry_run', models.BooleanField(default=True)),
                ('import_again', models.BooleanField(default=False)),
                ('status', models.CharField(choices=[('queued', 'queued'), ('running', 'running'), ('done', 'done'), ('failed', 'failed')], default='queued', max_length=10)),
                ('rows_total', models.PositiveIntegerField(default=0)),
                ('rows_done', models.PositiveIntegerField(default=0)),
                ('report', models.JSONField(blank=True, null=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('checked_by', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='confirmed_by', to='crm.importjob')),
                ('owner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='import_jobs', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='Interaction',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('updated_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False)),
                ('kind', models.CharField(choices=[('meeting', 'Meeting'), ('call', 'Call'), ('email', 'E-mail'), ('message', 'Message'), ('event', 'Event attended'), ('note', 'Note')], max_length=16)),
                ('direction', models.CharField(choices=[('inbound', 'Inbound'), ('outbound', 'Outbound'), ('internal', 'Internal'), ('two_way', 'Two-way')], max_length=16)),
                ('occurred_at', models.DateTimeField()),
                ('topic', models.CharField(blank=True, max_length=100)),
                ('summary', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='interactions', to='crm.client')),
                ('contacts', models.ManyToManyField(blank=True, related_name='interactions', to='crm.contact')),
                ('in_reply_to', models.ForeignKey(blank=True, help_text='The outbound message this inbound one answers.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='replies', to='crm.interaction')),
                ('logged_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='logged_interactions', to=settings.AUTH_USER_MODEL)),
                ('owner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='credited_interactions', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-occurred_at'],
            },
        ),
        migrations.CreateModel(
            name='HistoricalInteraction_contacts',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('contact', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='crm.contact')),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='crm.historicalinteraction')),
                ('interaction', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='crm.interaction')),
            ],
            options={
                'verbose_name': 'HistoricalInteraction_contacts',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.AddField(
            model_name='historicalinteraction',
            name='in_reply_to',
            field=models.ForeignKey(blank=True, db_constraint=False, help_text='The outbound message this inbound one answers.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='crm.interaction'),
        ),
        migrations.CreateModel(
            name='HistoricalFollowUp',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('updated_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False)),
                ('title', models.CharField(max_length=200)),
                ('due_on', models.DateField(help_text='The due date in force now.')),
                ('missed_due_on', models.DateField(blank=True, help_text='The due date it had already missed when first rescheduled late; the on-time rate judges it against this date.', null=True)),
                ('done_at', models.DateTimeField(blank=True, null=True)),
                ('outcome', models.TextField(blank=True)),
                ('cancelled_at', models.DateTimeField(blank=True, null=True)),
                ('cancel_reason', models.CharField(blank=True, max_length=300)),
                ('origin', models.CharField(choices=[('manual', 'Manual'), ('interaction', 'Logged with an interaction'), ('survey_detractor', 'Survey detractor'), ('support_issue', 'Support issue'), ('import', 'Imported')], default='manual', max_length=32)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('cancelled_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('client', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='crm.client')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('owner', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('interaction', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='crm.interaction')),
            ],
            options={
                'verbose_name': 'historical follow up',
                'verbose_name_plural': 'historical follow ups',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.AddField(
            model_name='followup',
            name='interaction',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='follow_ups', to='crm.interaction'),
        ),
        migrations.CreateModel(
            name='HistoricalDeal',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('updated_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False)),
                ('title', models.CharField(max_length=200)),
                ('kind', models.CharField(choices=[('new', 'New business'), ('upsell', 'Upsell'), ('cross_sell', 'Cross-sell'), ('renewal', 'Renewal')], default='new', max_length=16)),
                ('value', models.DecimalField(decimal_places=2, max_digits=14, validators=[django.core.validators.MinValueValidator(0)])),
                ('created_at', models.DateTimeField()),
                ('closed_at', models.DateTimeField(blank=True, null=True)),
                ('partner_role', models.CharField(blank=True, choices=[('sourced', 'Sourced'), ('influenced', 'Influenced')], max_length=16)),
                ('expected_close_on', models.DateField(blank=True, null=True)),
                ('probability', models.PositiveSmallIntegerField(blank=True, help_text="Percent chance of winning; blank = the stage's default. The pipeline's weighted total uses it.", null=True, validators=[django.core.validators.MaxValueValidator(100)])),
                ('lost_note', models.CharField(blank=True, max_length=300)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('client', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='crm.client')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('owner', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('partner', models.ForeignKey(blank=True, db_constraint=False, limit_choices_to={'relationship_type': 'partner'}, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='crm.client')),
                ('stage', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='crm.dealstage')),
                ('lost_reason', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='crm.lostreason')),
            ],
            options={
                'verbose_name': 'historical deal',
                'verbose_name_plural': 'historical deals',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='PartnerCertification',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=150)),
                ('valid_from', models.DateField()),
                ('valid_until', models.DateField()),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='certifications', to='crm.client')),
            ],
            options={
                'ordering': ['-valid_until'],
            },
        ),
        migrations.CreateModel(
            name='PartnerReferral',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('lead_name', models.CharField(max_length=200)),
                ('received_on', models.DateField()),
                ('owner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='partner_referrals', to=settings.AUTH_USER_MODEL)),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='referrals_made', to='crm.client')),
                ('referred_client', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='referred_by', to='crm.client')),
            ],
            options={
                'ordering': ['-received_on'],
            },
        ),
        migrations.CreateModel(
            name='HistoricalRevenueLine',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('updated_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False)),
                ('recognised_on', models.DateField()),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14)),
                ('cost_to_serve', models.DecimalField(decimal_places=2, default=0, max_digits=14, validators=[django.core.validators.MinValueValidator(0)])),
                ('description', models.CharField(blank=True, max_length=200)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('client', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='crm.client')),
                ('deal', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='crm.deal')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('owner', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('product', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='crm.product')),
            ],
            options={
                'verbose_name': 'historical revenue line',
                'verbose_name_plural': 'historical revenue lines',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='Project',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=200)),
                ('started_on', models.DateField(blank=True, null=True)),
                ('due_on', models.DateField()),
                ('completed_at', models.DateTimeField(blank=True, null=True)),
                ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='projects', to='crm.client')),
                ('owner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='projects', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['due_on'],
            },
        ),
        migrations.CreateModel(
            name='RevenueLine',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('updated_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False)),
                ('recognised_on', models.DateField()),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14)),
                ('cost_to_serve', models.DecimalField(decimal_places=2, default=0, max_digits=14, validators=[django.core.validators.MinValueValidator(0)])),
                ('description', models.CharField(blank=True, max_length=200)),
                ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='revenue_lines', to='crm.client')),
                ('deal', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='revenue_lines', to='crm.deal')),
                ('owner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='revenue_lines', to=settings.AUTH_USER_MODEL)),
                ('product', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='revenue_lines', to='crm.product')),
            ],
            options={
                'ordering': ['-recognised_on'],
            },
        ),
        migrations.CreateModel(
            name='SharedGoal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=200)),
                ('due_on', models.DateField()),
                ('met', models.BooleanField(blank=True, null=True)),
                ('assessed_on', models.DateField(blank=True, null=True)),
                ('last_reviewed_on', models.DateField(blank=True, null=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='shared_goals', to='crm.client')),
                ('owner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='shared_goals', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['due_on'],
            },
        ),
        migrations.CreateModel(
            name='HistoricalGoalReview',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('reviewed_on', models.DateField()),
                ('note', models.TextField(blank=True)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('goal', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='crm.sharedgoal')),
            ],
            options={
                'verbose_name': 'historical goal review',
                'verbose_name_plural': 'historical goal reviews',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='GoalReview',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reviewed_on', models.DateField()),
                ('note', models.TextField(blank=True)),
                ('goal', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reviews', to='crm.sharedgoal')),
            ],
            options={
                'ordering': ['-reviewed_on'],
            },
        ),
        migrations.CreateModel(
            name='SupportIssue',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('updated_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False)),
                ('title', models.CharField(max_length=200)),
                ('description', models.TextField(blank=True)),
                ('priority', models.CharField(choices=[('urgent', 'Urgent'), ('high', 'High'), ('normal', 'Normal'), ('low', 'Low')], default='normal', max_length=16)),
                ('sla_hours', models.PositiveIntegerField()),
                ('opened_at', models.DateTimeField()),
                ('first_response_at', models.DateTimeField(blank=True, null=True)),
                ('resolved_at', models.DateTimeField(blank=True, null=True)),
                ('status', models.CharField(choices=[('open', 'Open'), ('answered', 'Answered'), ('resolved', 'Resolved')], default='open', max_length=16)),
                ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='support_issues', to='crm.client')),
                ('contact', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='support_issues', to='crm.contact')),
                ('owner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='support_issues', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-opened_at'],
            },
        ),
        migrations.AddIndex(
            model_name='client',
            index=models.Index(fields=['owner', 'status'], name='crm_client_owner_i_d58d35_idx'),
        ),
        migrations.AddIndex(
            model_name='client',
            index=models.Index(fields=['name'], name='crm_client_name_c90dec_idx'),
        ),
        migrations.AddIndex(
            model_name='clientownership',
            index=models.Index(fields=['owner', 'started_at'], name='crm_cliento_owner_i_f7db5b_idx'),
        ),
        migrations.AddConstraint(
            model_name='clientownership',
            constraint=models.CheckConstraint(condition=models.Q(('ended_at__isnull', True), ('ended_at__gt', models.F('started_at')), _connector='OR'), name='ownership_ends_after_it_starts'),
        ),
        migrations.AddConstraint(
            model_name='clientownership',
            constraint=models.UniqueConstraint(condition=models.Q(('ended_at__isnull', True)), fields=('client',), name='one_current_owner'),
        ),
        migrations.AddIndex(
            model_name='clientstatuschange',
            index=models.Index(fields=['client', 'effective_on'], name='crm_clients_client__4fd681_idx'),
        ),
        migrations.AddIndex(
            model_name='contact',
            index=models.Index(fields=['client', 'name'], name='crm_contact_client__2c2fac_idx'),
        ),
        migrations.AddIndex(
            model_name='contact',
            index=models.Index(fields=['email'], name='crm_contact_email_240305_idx'),
        ),
        migrations.AddIndex(
            model_name='contact',
            index=models.Index(django.db.models.functions.text.Lower(django.db.models.functions.text.Trim('email')), name='contact_email_key'),
        ),
        migrations.AddIndex(
            model_name='dealstagechange',
            index=models.Index(fields=['owner', 'changed_at'], name='crm_dealsta_owner_i_e8881a_idx'),
        ),
        migrations.AddIndex(
            model_name='feedbackitem',
            index=models.Index(fields=['owner', 'closed_on'], name='crm_feedbac_owner_i_7d7fe0_idx'),
        ),
        migrations.AddConstraint(
            model_name='feedbackitem',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('closed_on__isnull', True), ('outcome', '')), models.Q(('closed_on__isnull', False), models.Q(('outcome', ''), _negated=True)), _connector='OR'), name='feedback_closed_with_outcome'),
        ),
        migrations.AddIndex(
            model_name='followupduechange',
            index=models.Index(fields=['follow_up', 'changed_at'], name='crm_followu_follow__16cfe2_idx'),
        ),
        migrations.AddConstraint(
            model_name='importedrecord',
            constraint=models.UniqueConstraint(fields=('content_type', 'object_id'), name='imported_record_once'),
        ),
        migrations.AddIndex(
            model_name='interaction',
            index=models.Index(fields=['owner', 'occurred_at'], name='crm_interac_owner_i_531015_idx'),
        ),
        migrations.AddIndex(
            model_name='interaction',
            index=models.Index(fields=['client', 'occurred_at'], name='crm_interac_client__518fc2_idx'),
        ),
        migrations.AddIndex(
            model_name='followup',
            index=models.Index(fields=['owner', 'due_on'], name='crm_followu_owner_i_6ff257_idx'),
        ),
        migrations.AddIndex(
            model_name='followup',
            index=models.Index(fields=['owner', 'done_at'], name='crm_followu_owner_i_02bb56_idx'),
        ),
        migrations.AddIndex(
            model_name='followup',
            index=models.Index(fields=['client', 'done_at'], name='crm_followu_client__ed8922_idx'),
        ),
        migrations.AddConstraint(
            model_name='followup',
            constraint=models.CheckConstraint(condition=models.Q(('done_at__isnull', True), ('cancelled_at__isnull', True), _connector='OR'), name='follow_up_not_done_and_cancelled'),
        ),
        migrations.AddConstraint(
            model_name='followup',
            constraint=models.CheckConstraint(condition=models.Q(('cancelled_at__isnull', True), models.Q(('cancel_reason', ''), _negated=True), _connector='OR'), name='follow_up_cancelled_with_reason'),
        ),
        migrations.AddIndex(
            model_name='deal',
            index=models.Index(fields=['owner', 'closed_at'], name='crm_deal_owner_i_60f53e_idx'),
        ),
        migrations.AddIndex(
            model_name='deal',
            index=models.Index(fields=['stage'], name='crm_deal_stage_i_e0af80_idx'),
        ),
        migrations.AddConstraint(
            model_name='partnercertification',
            constraint=models.CheckConstraint(condition=models.Q(('valid_until__gte', models.F('valid_from'))), name='certification_valid_range'),
        ),
        migrations.AddIndex(
            model_name='partnerreferral',
            index=models.Index(fields=['owner', 'received_on'], name='crm_partner_owner_i_3ec28a_idx'),
        ),
        migrations.AddIndex(
            model_name='project',
            index=models.Index(fields=['owner', 'due_on'], name='crm_project_owner_i_5cc26b_idx'),
        ),
        migrations.AddIndex(
            model_name='revenueline',
            index=models.Index(fields=['owner', 'recognised_on'], name='crm_revenue_owner_i_2a2a1c_idx'),
        ),
        migrations.AddIndex(
            model_name='revenueline',
            index=models.Index(fields=['client', 'recognised_on'], name='crm_revenue_client__d54a19_idx'),
        ),
        migrations.AddIndex(
            model_name='sharedgoal',
            index=models.Index(fields=['owner', 'due_on'], name='crm_sharedg_owner_i_71d9c1_idx'),
        ),
        migrations.AddIndex(
            model_name='goalreview',
            index=models.Index(fields=['goal', 'reviewed_on'], name='crm_goalrev_goal_id_972ded_idx'),
        ),
        migrations.AddIndex(
            model_name='supportissue',
            index=models.Index(fields=['owner', 'resolved_at'], name='crm_support_owner_i_8cbde8_idx'),
        ),
        migrations.AddIndex(
            model_name='supportissue',
            index=models.Index(fields=['owner', 'first_response_at'], name='crm_support_owner_i_43c904_idx'),
        ),
        migrations.AddIndex(
            model_name='supportissue',
            index=models.Index(fields=['status', 'opened_at'], name='crm_support_status_662fc7_idx'),
        ),
        migrations.AddConstraint(
            model_name='supportissue',
            constraint=models.CheckConstraint(condition=models.Q(('first_response_at__isnull', True), ('first_response_at__gte', models.F('opened_at')), _connector='OR'), name='issue_response_after_open'),
        ),
        migrations.AddConstraint(
            model_name='supportissue',
            constraint=models.CheckConstraint(condition=models.Q(('resolved_at__isnull', True), ('resolved_at__gte', models.F('opened_at')), _connector='OR'), name='issue_resolved_after_open'),
        ),
        migrations.RunPython(create_stages, migrations.RunPython.noop),
        migrations.RunPython(set_default_probabilities, clear_default_probabilities),
        migrations.RunPython(add_default_lost_reasons, migrations.RunPython.noop),
    ]
