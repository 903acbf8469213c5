import logging
import re

SURVEY_LINK = re.compile(r"/s/[^/\s]+/")


class RedactSurveyTokens(logging.Filter):
    """Survey links carry the credential in the path; request logs must not keep working ones."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = SURVEY_LINK.sub("/s/<token>/", record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redact(value) for key, value in record.args.items()}
        return True


def _redact(value):
    return SURVEY_LINK.sub("/s/<token>/", value) if isinstance(value, str) else value
