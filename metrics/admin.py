from django import forms
from django.contrib import admin
from django.utils import timezone

from metrics.models import Snapshot, Target
from metrics.registry import KPIS


class TargetForm(forms.ModelForm):
    kpi = forms.ChoiceField(choices=[(key, f"{kpi.label} ({key})") for key, kpi in KPIS.items()])

    class Meta:
        model = Target
        fields = ["kpi", "team", "value", "tolerance", "effective_from"]


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    """Targets are history: changing one means adding a row with a new effective date. Only a
    target not yet in force may be deleted (a mistake nobody was judged by)."""

    form = TargetForm
    list_display = ("kpi", "team", "value", "tolerance", "effective_from", "created_by")
    list_filter = ("kpi", "team")
    date_hierarchy = "effective_from"

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.effective_from <= timezone.localdate():
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    list_display = (
        "kpi",
        "subject_type",
        "subject_id",
        "grain",
        "period_start",
        "breakdown",
        "value",
        "sample",
        "status",
        "frozen",
    )
    list_filter = ("grain", "subject_type", "status", "frozen", "kpi")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
