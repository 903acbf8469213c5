"""One index on KPI snapshots besides the primary key, instead of two.

The unique key (subject id, period start, subject type, KPI, grain, breakdown) becomes (period
start, grain, subject id, subject type, KPI, breakdown), and the index on (period start, grain)
goes: it is now the unique key's prefix. A backfill writes period after period, so each
period's rows land next to each other in the unique key instead of all over it, and a row
updates one index fewer. Measured on a copy of the benchmark's snapshots at scale 1 (the 318k
rows of 24 months inserted in period order into an empty table, three runs each): 1.87-2.08 s ->
1.25-1.41 s of server CPU. Every scorecard, matrix, trend and drill-down read names the period(s)
(one index scan per period start) and the subject; a period's rows as a whole (the frozen probe,
the rewrite's join, the stale rows) are a range of the key. An API sync filtered by subject alone,
across all periods, no longer has an index: it reads the table (ordered by ``computed_at``,
which no index ever served).
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('metrics', '0004_snapshot_indexes_for_cheap_writes'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='snapshot',
            name='one_snapshot_per_subject_kpi_period',
        ),
        migrations.RemoveIndex(
            model_name='snapshot',
            name='snapshot_period',
        ),
        migrations.AddConstraint(
            model_name='snapshot',
            constraint=models.UniqueConstraint(fields=('period_start', 'grain', 'subject_id', 'subject_type', 'kpi', 'breakdown'), name='one_snapshot_per_subject_kpi_period'),
        ),
    ]
