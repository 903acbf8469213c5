from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from surveys.models import (
    DevMail,
    Invitation,
    OutboundEmail,
    Response,
    SurveyExclusion,
    SurveyKind,
    SurveyQuestion,
)
from surveys.services import outbound_email_bounce


class RecordedByTheAppAdmin(admin.ModelAdmin):
    """Records the app writes as things happen (an e-mail queued, a survey sent, a contact
    excluded): shown and corrected here, never added by hand."""

    def has_add_permission(self, request):
        return False


@admin.register(DevMail)
class DevMailAdmin(admin.ModelAdmin):
    list_display = ("subject", "to", "sent_at")
    search_fields = ("subject", "to")


@admin.register(SurveyQuestion)
class SurveyQuestionAdmin(admin.ModelAdmin):
    """Admins edit the wording; each kind has exactly one question, created by a migration.
    Invitations already sent keep the wording they were sent with."""

    list_display = ("kind", "question", "low_label", "high_label", "updated_at")
    readonly_fields = ("kind",)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and (
            SurveyQuestion.objects.count() < len(SurveyKind.choices)
        )

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Invitation)
class InvitationAdmin(RecordedByTheAppAdmin):
    list_display = (
        "created_at",
        "contact",
        "client",
        "owner",
        "kind",
        "trigger",
        "status",
        "opened_at",
        "provisional_score",
        "answered_at",
    )
    list_filter = ("status", "kind", "trigger")
    search_fields = ("contact__name", "contact__email", "client__name")
    date_hierarchy = "created_at"
    list_select_related = ("contact", "client", "owner")
    exclude = ("token_hash", "reminder_token_hash")
    readonly_fields = [
        field.name
        for field in Invitation._meta.fields
        if field.name not in ("token_hash", "reminder_token_hash")
    ]


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ("answered_at", "client", "contact", "owner", "kind", "score", "may_quote")
    list_filter = ("kind", "source", "may_quote")
    search_fields = ("client__name", "contact__name", "comment")
    list_select_related = ("client", "contact", "owner")
    raw_id_fields = ("invitation", "client", "contact", "follow_up")


@admin.register(SurveyExclusion)
class SurveyExclusionAdmin(RecordedByTheAppAdmin):
    list_display = ("created_at", "contact", "excluded_by", "reason", "lifted_at", "lifted_by")
    list_filter = ("excluded_by",)
    list_select_related = ("contact", "excluded_by", "lifted_by")
    readonly_fields = ("contact", "excluded_by", "reason", "created_at", "lifted_at", "lifted_by")


@admin.register(OutboundEmail)
class OutboundEmailAdmin(RecordedByTheAppAdmin):
    """The outbox: failed, dead and bounced sends are listed here with their last error."""

    list_display = (
        "created_at",
        "purpose",
        "to",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    )
    list_filter = ("status", "purpose")
    search_fields = ("to", "subject")
    exclude = ("link_token",)
    readonly_fields = [
        field.name for field in OutboundEmail._meta.fields if field.name != "link_token"
    ]
    actions = ["mark_bounced"]

    @admin.action(description="Mark as bounced (the address does not accept mail)")
    def mark_bounced(self, request, queryset):
        for email in queryset:
            try:
                outbound_email_bounce(email=email, reason=f"Marked bounced by {request.user}")
            except ValidationError as exc:
                self.message_user(request, f"{email}: {' '.join(exc.messages)}", messages.ERROR)
