import logging
import re

SURVEY_LINK = re.compile(r"/s/[^/\s]+/")


class RedactSurveyTokens(logging.Filter):
    """Survey links carry the credential in the path; request logs must not keep working ones."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = SURVEY_LINK.sub("/s/<token>/", record.msg)
        if record.args:
            record.args = tuple(
                SURVEY_LINK.sub("/s/<token>/", arg) if isinstance(arg, str) else arg
                for arg in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        return True
