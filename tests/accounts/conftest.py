import pytest

from crm import celery_app


@pytest.fixture
def reset_mail_sent(django_capture_on_commit_callbacks):
    """Use as ``with reset_mail_sent(): ...``: the e-mail queued after the request is sent, as
    a worker would right after commit."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield lambda: django_capture_on_commit_callbacks(execute=True)
    celery_app.conf.task_always_eager = previous
