from django.contrib import admin
from django.urls import include, path

from crm import views

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("clients/<int:pk>/", views.client_detail, name="client_detail"),
    path("accounts/", include("accounts.urls")),
    path("import/", include("crm.imports.urls")),
    path("", include("surveys.urls")),
    path("", include("metrics.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "crm.errors.permission_denied"
handler404 = "crm.errors.page_not_found"
handler500 = "crm.errors.server_error"
