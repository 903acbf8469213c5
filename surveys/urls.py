from django.urls import path

from surveys import views

urlpatterns = [
    path("dev/mailbox/", views.dev_mailbox, name="dev_mailbox"),
    path("dev/mailbox/<int:pk>/", views.dev_mail_detail, name="dev_mail_detail"),
]
