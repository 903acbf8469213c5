from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = "Surveys"

    def ready(self):
        from crm.attribution import register_credited_event
        from surveys.models import Response

        # An answer counts for whoever owned the client when it was given. An invitation keeps
        # the owner at sending time and is never restamped: it records who sent it.
        register_credited_event(Response, "client", "answered_at")
