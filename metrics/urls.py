from django.urls import path

from metrics import views

urlpatterns = [
    path("scorecard/", views.scorecard_home, name="scorecard_home"),
    path("scorecard/<slug:subject_type>/<int:subject_id>/", views.scorecard, name="scorecard"),
    path(
        "scorecard/<slug:subject_type>/<int:subject_id>/export.csv",
        views.scorecard_export,
        name="scorecard_export",
    ),
    path(
        "scorecard/<slug:subject_type>/<int:subject_id>/kpi/<slug:kpi>/",
        views.kpi_records,
        name="kpi_records",
    ),
    path("teams/", views.team_overview, name="team_overview"),
    path("teams/<int:team_id>/", views.team_matrix, name="team_matrix"),
    path("teams/<int:team_id>/export.csv", views.team_matrix_export, name="team_matrix_export"),
    path("targets/", views.targets, name="targets"),
    path("kpis/how/", views.kpi_contract, name="kpi_contract"),
]
