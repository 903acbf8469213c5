import pytest

from crm import celery_app
from tests.factories import ContactFactory


@pytest.fixture
def contact(alices_client):
    return ContactFactory(client=alices_client, name="Dana Diaz", email="dana@acme.example")


@pytest.fixture
def celery_eager():
    """Run queued tasks inline, as a worker would right after commit."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def sent(django_capture_on_commit_callbacks, celery_eager):
    """Use as ``with sent(): ...``: commit-time callbacks run, and so the tasks they queue."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
