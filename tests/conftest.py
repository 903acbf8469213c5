import importlib
import os

import pytest
from django.db import connection

from accounts.models import Role, TeamMembership
from tests.factories import ClientFactory, TeamFactory, TeamMembershipFactory, UserFactory


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"database: {engine}; broker: {settings.CELERY_BROKER_URL.split(':', 1)[0]}"


@pytest.fixture(autouse=True, scope="session")
def _require_postgresql_in_ci(django_db_setup, django_db_blocker):
    """CI must run on PostgreSQL; a silent fall-back to SQLite would hide real bugs."""
    if os.environ.get("REQUIRE_POSTGRESQL") == "1":
        with django_db_blocker.unblock():
            assert connection.vendor == "postgresql", f"tests ran on {connection.vendor}"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Password hashing is deliberately slow; tests create hundreds of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _isolated_cache(settings, tmp_path):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    """Uploaded import files land in the test's own directory."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def import_jobs_run(django_capture_on_commit_callbacks):
    """Run the import jobs queued by what the test does inside ``with import_jobs_run():``,
    inline after its commit, as a worker would pick them up."""
    from crm import celery_app

    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield lambda: django_capture_on_commit_callbacks(execute=True)
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _no_refresh_after_writes(settings):
    """Committed writes schedule a KPI refresh (metrics.refresh) in production; tests that are
    about it turn it back on, the others do not queue tasks nobody runs."""
    settings.KPI_REFRESH_AFTER_WRITES = False


@pytest.fixture
def reference_data(transactional_db):
    """What the data migrations create (pipeline stages, survey wording). Transactional tests
    flush the database after each test, so they put it back this way."""
    from django.apps import apps

    stages = importlib.import_module("crm.migrations.0002_default_pipeline_stages")
    questions = importlib.import_module("surveys.migrations.0003_default_survey_questions")
    stages.create_stages(apps, None)
    questions.create_default_questions(apps, None)


@pytest.fixture
def team(db):
    return TeamFactory(name="Enterprise North")


@pytest.fixture
def other_team(db):
    return TeamFactory(name="Mid-market South")


def _member(team, email: str, full_name: str, role: str, *, manages: bool = False):
    """A person in ``team`` (for the past year, as the factory dates it): a member, or with
    ``manages`` its manager."""
    user = UserFactory(email=email, full_name=full_name, role=role)
    capacity = TeamMembership.Capacity.MANAGER if manages else TeamMembership.Capacity.MEMBER
    TeamMembershipFactory(team=team, user=user, capacity=capacity)
    return user


@pytest.fixture
def alice(team):
    """The owning BRM."""
    return _member(team, "alice@example.com", "Alice Adams", Role.BRM)


@pytest.fixture
def bob(team):
    """Alice's teammate, another BRM in the same team."""
    return _member(team, "bob@example.com", "Bob Brown", Role.BRM)


@pytest.fixture
def carol(other_team):
    """A BRM of another team."""
    return _member(other_team, "carol@example.com", "Carol Chen", Role.BRM)


@pytest.fixture
def maria(team):
    """The manager of Alice's and Bob's team."""
    return _member(team, "maria@example.com", "Maria Lopez", Role.MANAGER, manages=True)


@pytest.fixture
def oscar(other_team):
    """The manager of another team."""
    return _member(other_team, "oscar@example.com", "Oscar Olsen", Role.MANAGER, manages=True)


@pytest.fixture
def admin_user(db):
    return UserFactory(email="root@example.com", full_name="Ada Admin", role=Role.ADMIN)


@pytest.fixture
def alices_client(alice):
    return ClientFactory(name="Acme Logistics", owner=alice)
