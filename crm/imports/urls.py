from django.urls import path

from crm.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.import_page, name="import"),
    path("confirm/", views.import_confirm, name="confirm"),
    path("export/<slug:record_type>.csv", views.export_download, name="export"),
]
