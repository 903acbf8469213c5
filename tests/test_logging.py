import logging

from crm.logfilters import RedactSurveyTokens


def test_request_logs_never_keep_a_working_survey_link():
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Bad Request: %s", ("/s/AbC-123_x/",), None
    )
    RedactSurveyTokens().filter(record)
    assert record.getMessage() == "Bad Request: /s/<token>/"


def test_log_lines_with_named_arguments_keep_working():
    record = logging.LogRecord(
        "celery", logging.INFO, __file__, 1, "Task %(name)s at %(url)s", None, None
    )
    record.args = {"name": "send", "url": "https://crm.example.com/s/AbC/"}
    RedactSurveyTokens().filter(record)
    assert record.getMessage() == "Task send at https://crm.example.com/s/<token>/"
