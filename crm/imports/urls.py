from django.urls import path

from crm.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.import_page, name="import"),
    path("jobs/<int:pk>/", views.job_page, name="job"),
    path("jobs/<int:pk>/progress/", views.job_progress, name="job_progress"),
    path("jobs/<int:pk>/import/", views.job_confirm, name="job_confirm"),
    path("export/<slug:record_type>.csv", views.export_download, name="export"),
]
