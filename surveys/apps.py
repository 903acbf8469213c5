from django.apps import AppConfig


def _survey_resolved_issue(sender, *, issue_id: int, **kwargs) -> None:
    from surveys.services import invitations_for_issue_resolved

    invitations_for_issue_resolved(issue_id=issue_id)


def _survey_completed_project(sender, *, project_id: int, **kwargs) -> None:
    from surveys.services import invitations_for_project_completed

    invitations_for_project_completed(project_id=project_id)


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = "Surveys"

    def ready(self):
        from crm.attribution import register_credited_event
        from crm.imports.formats import register_format
        from crm.selectors import register_book_column, register_timeline_source
        from crm.signals import issue_resolved, project_completed
        from crm.worklist import register_worklist_section
        from surveys import checks  # noqa: F401  (registers the deploy check)
        from surveys.book import NPS_COLUMN
        from surveys.imports import SurveyAnswersFormat, SurveyInvitationsFormat
        from surveys.models import Response
        from surveys.timeline import answer_events
        from surveys.worklist import detractor_rows

        # An answer counts for whoever owned the client when it was given. An invitation keeps
        # the owner at sending time and is never restamped: it records who sent it.
        register_credited_event(Response, "client", "answered_at")
        register_format(SurveyAnswersFormat)
        register_format(SurveyInvitationsFormat)
        register_timeline_source(answer_events)
        register_book_column(NPS_COLUMN)
        register_worklist_section(detractor_rows)
        issue_resolved.connect(_survey_resolved_issue, dispatch_uid="surveys.issue_resolved")
        project_completed.connect(
            _survey_completed_project, dispatch_uid="surveys.project_completed"
        )
