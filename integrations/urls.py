from django.urls import path

from integrations import views

app_name = "integrations"
urlpatterns = [
    path("", views.integrations_page, name="settings"),
    path("api-tokens/", views.api_token_create, name="api_token_create"),
    path("api-tokens/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("mail/<int:pk>/review/", views.captured_email_review, name="captured_email_review"),
    path("webhooks/", views.webhook_create, name="webhook_create"),
    path("webhooks/<int:pk>/resume/", views.webhook_resume, name="webhook_resume"),
    path("calendar/", views.calendar_feed_new, name="calendar_feed_new"),
    path("calendar/revoke/", views.calendar_feed_stop, name="calendar_feed_revoke"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
