from django.contrib import admin
from django.urls import include, path

from crm import views
from crm.pages import follow_ups
from crm.pages.password_reset import PasswordResetRequestView

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("today/", views.today, name="today"),
    path("clients/", views.client_list, name="client_list"),
    path("clients/<int:pk>/", views.client_detail, name="client_detail"),
    path("clients/<int:pk>/forms/<slug:name>/", views.client_form, name="client_form"),
    path("clients/<int:pk>/contacts/", views.client_contact_add, name="client_contact_add"),
    path("clients/<int:pk>/follow-ups/", views.client_follow_up_add, name="client_follow_up_add"),
    path("clients/<int:pk>/issues/", views.client_issue_open, name="client_issue_open"),
    path("clients/<int:pk>/deals/", views.client_deal_create, name="client_deal_create"),
    path("clients/<int:pk>/revenue/", views.client_revenue_record, name="client_revenue_record"),
    path("clients/<int:pk>/reassign/", views.client_reassign, name="client_reassign"),
    path("clients/<int:pk>/churn/", views.client_churn, name="client_churn"),
    path("clients/<int:pk>/reactivate/", views.client_reactivate, name="client_reactivate"),
    path("interactions/new/", views.interaction_log, name="interaction_log"),
    path("interactions/<int:pk>/reply/", views.interaction_reply, name="interaction_reply"),
    path("follow-ups/<int:pk>/done/", views.follow_up_done, name="follow_up_done"),
    path("follow-ups/<int:pk>/", follow_ups.follow_up_edit, name="follow_up_edit"),
    path("follow-ups/<int:pk>/cancel/", follow_ups.follow_up_cancel, name="follow_up_cancel"),
    path("follow-ups/<int:pk>/reopen/", follow_ups.follow_up_reopen, name="follow_up_reopen"),
    path("follow-ups/<int:pk>/snooze/", follow_ups.follow_up_snooze, name="follow_up_snooze"),
    path("pipeline/", views.pipeline, name="pipeline"),
    path("deals/<int:pk>/move/", views.deal_move, name="deal_move"),
    path("support/", views.support_queue, name="support_queue"),
    path("support/<int:pk>/respond/", views.issue_respond, name="issue_respond"),
    path("support/<int:pk>/resolve/", views.issue_resolve, name="issue_resolve"),
    # Django's reset page, with the throttle and the e-mail sent after the response.
    path(
        "accounts/password/reset/",
        PasswordResetRequestView.as_view(),
        name="password_reset",
    ),
    path("accounts/", include("accounts.urls")),
    path("import/", include("crm.imports.urls")),
    path("", include("surveys.urls")),
    path("", include("metrics.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "crm.errors.bad_request"
handler403 = "crm.errors.permission_denied"
handler404 = "crm.errors.page_not_found"
handler500 = "crm.errors.server_error"
