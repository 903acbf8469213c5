import logging

from crm.logfilters import RedactSurveyTokens


def test_request_logs_never_keep_a_working_survey_link():
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Bad Request: %s", ("/s/AbC-123_x/",), None
    )
    RedactSurveyTokens().filter(record)
    assert record.getMessage() == "Bad Request: /s/<token>/"
