from django.contrib import admin

from surveys.models import DevMail


@admin.register(DevMail)
class DevMailAdmin(admin.ModelAdmin):
    list_display = ("subject", "to", "sent_at")
    search_fields = ("subject", "to")
