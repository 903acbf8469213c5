from django.contrib import admin
from django.urls import include, path

from crm import views
from crm.pages import (
    book,
    clients,
    contacts,
    follow_ups,
    interactions,
    pipeline,
    records,
    search,
    support,
    worklist,
)
from crm.pages.password_reset import PasswordResetRequestView
from integrations import views as integration_views

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("today/", views.today, name="today"),
    path("worklist/", worklist.worklist_page, name="worklist"),
    path("clients/", book.client_list, name="client_list"),
    path("clients/new/", clients.client_create, name="client_create"),
    path("clients/reassign/", book.clients_bulk_reassign, name="clients_bulk_reassign"),
    path("clients/<int:pk>/", views.client_detail, name="client_detail"),
    path("clients/<int:pk>/edit/", clients.client_edit, name="client_edit"),
    path("clients/<int:pk>/projects/", records.client_project_add, name="client_project_add"),
    path("clients/<int:pk>/goals/", records.client_goal_add, name="client_goal_add"),
    path("clients/<int:pk>/feedback/", records.client_feedback_add, name="client_feedback_add"),
    path("clients/<int:pk>/referrals/", records.client_referral_add, name="client_referral_add"),
    path(
        "clients/<int:pk>/certifications/",
        records.client_certification_add,
        name="client_certification_add",
    ),
    path("records/<slug:family>/<int:pk>/", records.record_edit, name="record_edit"),
    path("records/<slug:family>/<int:pk>/close/", records.record_close, name="record_close"),
    path("clients/<int:pk>/forms/<slug:name>/", views.client_form, name="client_form"),
    path("clients/<int:pk>/contacts/", views.client_contact_add, name="client_contact_add"),
    path("clients/<int:pk>/follow-ups/", views.client_follow_up_add, name="client_follow_up_add"),
    path("clients/<int:pk>/issues/", views.client_issue_open, name="client_issue_open"),
    path("clients/<int:pk>/deals/", views.client_deal_create, name="client_deal_create"),
    path("clients/<int:pk>/revenue/", views.client_revenue_record, name="client_revenue_record"),
    path("clients/<int:pk>/reassign/", views.client_reassign, name="client_reassign"),
    path("clients/<int:pk>/churn/", views.client_churn, name="client_churn"),
    path("clients/<int:pk>/reactivate/", views.client_reactivate, name="client_reactivate"),
    path("search/", search.search, name="search"),
    path("contacts/", contacts.contact_list, name="contact_list"),
    path("contacts/<int:pk>/", contacts.contact_edit, name="contact_edit"),
    path("interactions/new/", views.interaction_log, name="interaction_log"),
    path("interactions/<int:pk>/reply/", views.interaction_reply, name="interaction_reply"),
    path("interactions/<int:pk>/edit/", interactions.interaction_edit, name="interaction_edit"),
    path(
        "interactions/<int:pk>/delete/", interactions.interaction_delete, name="interaction_delete"
    ),
    path("follow-ups/<int:pk>/done/", views.follow_up_done, name="follow_up_done"),
    path("follow-ups/done/", follow_ups.follow_ups_complete, name="follow_ups_complete"),
    path("follow-ups/<int:pk>/", follow_ups.follow_up_edit, name="follow_up_edit"),
    path("follow-ups/<int:pk>/cancel/", follow_ups.follow_up_cancel, name="follow_up_cancel"),
    path("follow-ups/<int:pk>/reopen/", follow_ups.follow_up_reopen, name="follow_up_reopen"),
    path("follow-ups/<int:pk>/snooze/", follow_ups.follow_up_snooze, name="follow_up_snooze"),
    path("pipeline/", pipeline.pipeline, name="pipeline"),
    path("deals/<int:pk>/move/", pipeline.deal_move, name="deal_move"),
    path("support/", support.support_queue, name="support_queue"),
    path("support/<int:pk>/respond/", support.issue_respond, name="issue_respond"),
    path("support/<int:pk>/resolve/", support.issue_resolve, name="issue_resolve"),
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
    path("api/v1/", include("integrations.api.urls")),
    path("api/", integration_views.api_reference, name="api_reference"),
    path("integrations/", include("integrations.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "crm.errors.bad_request"
handler403 = "crm.errors.permission_denied"
handler404 = "crm.errors.page_not_found"
handler500 = "crm.errors.server_error"
