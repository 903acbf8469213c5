from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from integrations.api import views
from integrations.api.mail import MailCaptureView


class Router(DefaultRouter):
    # JSON only: no ".json" twins of every route.
    include_format_suffixes = False


router = Router()
router.register("clients", views.ClientViewSet, basename="client")
router.register("contacts", views.ContactViewSet, basename="contact")
router.register("interactions", views.InteractionViewSet, basename="interaction")
router.register("follow-ups", views.FollowUpViewSet, basename="follow-up")
router.register("deals", views.DealViewSet, basename="deal")
router.register("deal-stages", views.DealStageViewSet, basename="deal-stage")
router.register("issues", views.SupportIssueViewSet, basename="issue")
router.register("revenue", views.RevenueLineViewSet, basename="revenue")
router.register("survey-answers", views.SurveyAnswerViewSet, basename="survey-answer")
router.register("kpi-snapshots", views.SnapshotViewSet, basename="kpi-snapshot")

app_name = "api"
urlpatterns = [
    path("", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("mail/", MailCaptureView.as_view(), name="mail"),
]
