"""KPI snapshots (frozen history of every KPI per subject and period) and targets with history."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from metrics.periods import Grain


class SubjectType(models.TextChoices):
    BRM = "brm", "BRM"
    TEAM = "team", "Team"
    ORGANISATION = "org", "Organisation"


# The organisation is a single subject; its id column holds this constant.
ORGANISATION_ID = 0


class Status(models.TextChoices):
    GREEN = "green", "On target"
    AMBER = "amber", "Within tolerance"
    RED = "red", "Off target"
    # Fewer answers than SURVEY_MIN_SAMPLE: shown, not judged, left out of the composite.
    LOW_SAMPLE = "low_sample", "Low sample"
    NO_TARGET = "no_target", "No target"
    NO_DATA = "no_data", "No data"


# The unique key of a snapshot row, in its index's order: a period's rows are read and written
# together, so they are neighbours in the index.
SNAPSHOT_KEY = ("period_start", "grain", "subject_id", "subject_type", "kpi", "breakdown")


class Snapshot(models.Model):
    """One KPI for one subject and period (and breakdown key, e.g. a pipeline stage).

    Keeps the parts (numerator, denominator or sample) so a reader sees "NPS 40 (n = 12)", the
    target and tolerance in force when it was computed, and the formula version. A frozen row is
    history: only an explicit ``backfill_kpis --overwrite-frozen`` rewrites it.
    """

    subject_type = models.CharField(max_length=8, choices=SubjectType.choices)
    subject_id = models.BigIntegerField()
    kpi = models.CharField(max_length=64)
    grain = models.CharField(max_length=8, choices=Grain.choices)
    period_start = models.DateField()
    # "" for the KPI itself, otherwise the stage or topic the row breaks it down by.
    breakdown = models.CharField(max_length=120, blank=True, default="")
    value = models.FloatField(null=True, blank=True)
    numerator = models.FloatField(null=True, blank=True)
    denominator = models.FloatField(null=True, blank=True)
    sample = models.PositiveIntegerField(null=True, blank=True)
    # Further parts a formula keeps (NPS promoters/passives/detractors, CLV's lifetime, ...).
    parts = models.JSONField(default=dict, blank=True)
    margin_of_error = models.FloatField(null=True, blank=True)
    low_sample = models.BooleanField(default=False)
    target = models.FloatField(null=True, blank=True)
    tolerance = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    computed_at = models.DateTimeField()
    formula_version = models.PositiveSmallIntegerField()
    frozen = models.BooleanField(default=False)

    class Meta:
        ordering = ["subject_type", "subject_id", "kpi", "breakdown"]
        # One index besides the primary key, cheap to insert into: a backfill writes about 12k
        # rows a month (migrations 0004 and 0005 explain the choice). The unique key starts with
        # the period, so a backfill (period after period) writes each period's rows next to each
        # other in it, and a period's rows as a whole (what a snapshot run finds stored, its
        # stale rows) are a range of it; then the subject, compared as an integer before the
        # text columns. Every scorecard, matrix, trend and drill-down read names the period(s)
        # and the subject; an API sync of one subject across all periods reads the table.
        constraints = [
            models.UniqueConstraint(
                fields=SNAPSHOT_KEY,
                name="one_snapshot_per_subject_kpi_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.subject_type}:{self.subject_id} {self.grain} {self.period_start}"


class Target(models.Model):
    """A KPI target from ``effective_from`` on, for everyone or for one team.

    Rows are history: a new target is a new row with a later effective date, so the target in
    force for any past period can still be found. A team's row overrides the global one.
    """

    kpi = models.CharField(max_length=64)
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="kpi_targets"
    )
    value = models.FloatField()
    tolerance = models.FloatField(
        null=True, blank=True, help_text="Amber band width; empty means the KPI's default."
    )
    effective_from = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["kpi", "team", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["kpi", "team", "effective_from"], name="one_team_target_per_day"
            ),
            models.UniqueConstraint(
                fields=["kpi", "effective_from"],
                condition=Q(team__isnull=True),
                name="one_global_target_per_day",
            ),
            models.CheckConstraint(
                condition=Q(tolerance__isnull=True) | Q(tolerance__gte=0),
                name="target_tolerance_not_negative",
            ),
        ]

    def __str__(self) -> str:
        scope = self.team or "everyone"
        return f"{self.kpi} target {self.value} for {scope} from {self.effective_from}"

    def clean(self) -> None:
        from metrics.registry import KPIS

        if self.kpi not in KPIS:
            raise ValidationError({"kpi": f"There is no KPI {self.kpi!r}."})
