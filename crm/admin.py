from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import normalise_email
from crm import models


class OwnershipInline(admin.TabularInline):
    model = models.ClientOwnership
    fk_name = "client"
    extra = 0
    autocomplete_fields = ("owner", "changed_by")


class StatusChangeInline(admin.TabularInline):
    model = models.ClientStatusChange
    extra = 0
    autocomplete_fields = ("recorded_by",)


class ContactInline(admin.TabularInline):
    model = models.Contact
    extra = 0


@admin.register(models.Client)
class ClientAdmin(SimpleHistoryAdmin):
    list_display = ("name", "relationship_type", "status", "owner", "relationship_started_on")
    list_filter = ("relationship_type", "status")
    search_fields = ("name",)
    autocomplete_fields = ("owner", "sourced_by_partner")
    inlines = [OwnershipInline, StatusChangeInline, ContactInline]


@admin.register(models.ClientOwnership)
class ClientOwnershipAdmin(admin.ModelAdmin):
    list_display = ("client", "owner", "started_at", "ended_at")
    search_fields = ("client__name", "owner__email")
    autocomplete_fields = ("client", "owner", "changed_by")


@admin.register(models.ClientStatusChange)
class ClientStatusChangeAdmin(admin.ModelAdmin):
    list_display = ("client", "status", "effective_on", "reason")
    list_filter = ("status",)
    search_fields = ("client__name",)
    autocomplete_fields = ("client", "recorded_by")


@admin.register(models.Contact)
class ContactAdmin(SimpleHistoryAdmin):
    list_display = ("name", "client", "email", "role", "opted_out_of_surveys")
    list_filter = ("opted_out_of_surveys",)
    search_fields = ("name", "email", "client__name")
    autocomplete_fields = ("client",)


class EmailSuppressionForm(forms.ModelForm):
    class Meta:
        model = models.EmailSuppression
        fields = ("address", "reason", "detail")

    def clean_address(self) -> str:
        # Stored normalised, so "Bea@Example.com" cannot be listed beside "bea@example.com".
        return normalise_email(self.cleaned_data["address"])


@admin.register(models.EmailSuppression)
class EmailSuppressionAdmin(admin.ModelAdmin):
    """The addresses no survey is sent to. Add one for a complaint; delete one only when the
    person asked to be surveyed again."""

    form = EmailSuppressionForm
    list_display = ("address", "reason", "created_at", "detail")
    list_filter = ("reason",)
    search_fields = ("address",)
    date_hierarchy = "created_at"


@admin.register(models.Interaction)
class InteractionAdmin(SimpleHistoryAdmin):
    list_display = ("client", "kind", "direction", "occurred_at", "owner", "topic")
    list_filter = ("kind", "direction")
    search_fields = ("client__name", "topic", "summary")
    date_hierarchy = "occurred_at"
    autocomplete_fields = ("client", "owner", "logged_by", "contacts", "in_reply_to")


class DueChangeInline(admin.TabularInline):
    model = models.FollowUpDueChange
    extra = 0
    readonly_fields = ("from_due_on", "to_due_on", "changed_at", "changed_by", "was_overdue")
    can_delete = False


@admin.register(models.FollowUp)
class FollowUpAdmin(SimpleHistoryAdmin):
    list_display = ("title", "client", "owner", "due_on", "done_at", "cancelled_at", "origin")
    list_filter = ("origin",)
    search_fields = ("title", "client__name")
    autocomplete_fields = ("client", "owner", "interaction", "cancelled_by")
    inlines = [DueChangeInline]


@admin.register(models.SupportIssue)
class SupportIssueAdmin(SimpleHistoryAdmin):
    list_display = ("title", "client", "priority", "status", "opened_at", "resolved_at", "owner")
    list_filter = ("priority", "status")
    search_fields = ("title", "client__name")
    autocomplete_fields = ("client", "owner", "contact")


@admin.register(models.Product)
class ProductAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(models.LostReason)
class LostReasonAdmin(admin.ModelAdmin):
    list_display = ("name", "active")
    list_editable = ("active",)
    search_fields = ("name",)


@admin.register(models.DealStage)
class DealStageAdmin(admin.ModelAdmin):
    list_display = ("name", "position", "kind", "default_probability")
    list_editable = ("position", "kind", "default_probability")
    search_fields = ("name",)


class StageChangeInline(admin.TabularInline):
    model = models.DealStageChange
    extra = 0
    autocomplete_fields = ("owner", "from_stage", "to_stage", "changed_by")


@admin.register(models.Deal)
class DealAdmin(SimpleHistoryAdmin):
    list_display = ("title", "client", "kind", "value", "stage", "owner", "created_at", "closed_at")
    list_filter = ("kind", "stage")
    search_fields = ("title", "client__name")
    autocomplete_fields = ("client", "owner", "stage", "partner")
    inlines = [StageChangeInline]


@admin.register(models.DealStageChange)
class DealStageChangeAdmin(admin.ModelAdmin):
    list_display = ("deal", "from_stage", "to_stage", "changed_at", "owner")
    autocomplete_fields = ("deal", "owner", "from_stage", "to_stage", "changed_by")
    search_fields = ("deal__title",)


@admin.register(models.RevenueLine)
class RevenueLineAdmin(SimpleHistoryAdmin):
    list_display = ("client", "product", "recognised_on", "amount", "cost_to_serve", "owner")
    date_hierarchy = "recognised_on"
    search_fields = ("client__name", "product__name")
    autocomplete_fields = ("client", "owner", "product", "deal")


@admin.register(models.Project)
class ProjectAdmin(SimpleHistoryAdmin):
    list_display = ("name", "client", "due_on", "completed_at", "owner")
    search_fields = ("name", "client__name")
    autocomplete_fields = ("client", "owner")


class GoalReviewInline(admin.TabularInline):
    model = models.GoalReview
    extra = 0


@admin.register(models.SharedGoal)
class SharedGoalAdmin(SimpleHistoryAdmin):
    list_display = ("title", "client", "due_on", "met", "last_reviewed_on", "owner")
    search_fields = ("title", "client__name")
    autocomplete_fields = ("client", "owner")
    inlines = [GoalReviewInline]


@admin.register(models.FeedbackItem)
class FeedbackItemAdmin(SimpleHistoryAdmin):
    list_display = ("summary", "client", "received_on", "closed_on", "outcome", "owner")
    list_filter = ("outcome",)
    search_fields = ("summary", "client__name")
    autocomplete_fields = ("client", "owner")


@admin.register(models.PartnerReferral)
class PartnerReferralAdmin(SimpleHistoryAdmin):
    list_display = ("lead_name", "partner", "received_on", "referred_client", "owner")
    search_fields = ("lead_name", "partner__name")
    autocomplete_fields = ("partner", "owner", "referred_client")


@admin.register(models.PartnerCertification)
class PartnerCertificationAdmin(SimpleHistoryAdmin):
    list_display = ("partner", "name", "valid_from", "valid_until")
    search_fields = ("partner__name", "name")
    autocomplete_fields = ("partner",)
