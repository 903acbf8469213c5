from django.urls import path

from surveys import views

urlpatterns = [
    # Public pages a surveyed contact reaches from the e-mail: no login, token in the address.
    path("s/<str:token>/", views.survey_answer, name="survey_answer"),
    path("s/<str:token>/thanks/", views.survey_thanks, name="survey_thanks"),
    path("s/<str:token>/unsubscribe/", views.survey_unsubscribe, name="survey_unsubscribe"),
    # Pages for signed-in users.
    path("surveys/", views.survey_results, name="survey_results"),
    path("surveys/clients/<int:pk>/", views.survey_client_results, name="survey_client_results"),
    path("surveys/clients/<int:pk>/send/", views.survey_send, name="survey_send"),
    path("surveys/contacts/<int:pk>/exclude/", views.survey_exclude, name="survey_exclude"),
    path(
        "surveys/exclusions/<int:pk>/lift/",
        views.survey_exclusion_lift_view,
        name="survey_exclusion_lift",
    ),
    path("surveys/responses/<int:pk>/close/", views.survey_close_loop, name="survey_close_loop"),
    path("dev/mailbox/", views.dev_mailbox, name="dev_mailbox"),
    path("dev/mailbox/<int:pk>/", views.dev_mail_detail, name="dev_mail_detail"),
]
