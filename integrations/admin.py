from django.contrib import admin

from integrations.models import (
    ApiToken,
    CalendarFeed,
    CapturedEmail,
    WebhookDelivery,
    WebhookSubscription,
)
from integrations.webhooks.services import webhook_subscription_resume


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "scope", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["scope"]
    readonly_fields = ["token_hash", "prefix"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "last_read_at", "revoked_at"]
    readonly_fields = ["token_hash"]


@admin.register(CapturedEmail)
class CapturedEmailAdmin(admin.ModelAdmin):
    list_display = ["subject", "user", "from_address", "direction", "status", "sent_at", "source"]
    list_filter = ["status", "source", "direction"]
    search_fields = ["subject", "from_address", "message_id"]
    raw_id_fields = ["interaction"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["url", "events", "consecutive_failures", "paused_at", "created_at"]
    readonly_fields = ["secret", "consecutive_failures", "paused_at"]
    actions = ["resume"]

    @admin.action(description="Resume and resend what waited")
    def resume(self, request, queryset):
        for subscription in queryset:
            webhook_subscription_resume(subscription=subscription)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["event", "subscription", "status", "attempts", "response_status", "created_at"]
    list_filter = ["status", "event"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
