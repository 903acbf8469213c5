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
    # The client page's forms: one view (crm.views.client_action_view) per declared action.
    *(
        path(f"clients/<int:pk>/{a.path}/", views.client_action_view(a), name=a.url_name)
        for a in views.CLIENT_ACTIONS
    ),
    path("records/<slug:family>/<int:pk>/", records.record_edit, name="record_edit"),
    path("records/<slug:family>/<int:pk>/close/", records.record_close, name="record_close"),
    path("clients/<int:pk>/forms/<slug:name>/", views.client_form, name="client_form"),
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
