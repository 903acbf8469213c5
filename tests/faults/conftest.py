"""Fault tests run real Celery workers and a real Redis against the test database.

They need PostgreSQL (a worker process cannot see an in-memory SQLite test database) and
redis-server on the PATH; without them they skip, except in CI (REQUIRE_POSTGRESQL=1), where
they must run.
"""

from __future__ import annotations

import os
import shutil

import psycopg
import pytest
from celery import Celery
from django.db import connection

from tests.faults.processes import RedisServer, WebServer, Worker, cut_other_connections


@pytest.fixture(autouse=True)
def _server_password_hashing(settings):
    """Users made here log in to a server process that hashes as production does."""
    from django.conf import global_settings

    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS


@pytest.fixture
def real_services(transactional_db, reference_data):
    if connection.vendor != "postgresql" or shutil.which("redis-server") is None:
        message = "fault tests need PostgreSQL (DATABASE_URL) and redis-server"
        if os.environ.get("REQUIRE_POSTGRESQL") == "1":
            pytest.fail(message)
        pytest.skip(message)
    yield
    # A killed worker's server session can outlive it by a moment; end every session but ours,
    # so the test database can be flushed and dropped.
    cut_other_connections()


@pytest.fixture
def redis_server(real_services, tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def worker_env(redis_server, tmp_path) -> dict[str, str]:
    """The environment of a worker talking to the test database and the private Redis."""
    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.update(
        DATABASE_URL=f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        REDIS_URL=redis_server.url,
        DATA_DIR=str(tmp_path / "data"),
        # Short enough for a test to see unacknowledged work handed back after a crash.
        CELERY_VISIBILITY_TIMEOUT="3",
        CELERY_UNACKED_RESTORE_INTERVAL="1",
        CELERY_UNACKED_RESTORE_THROTTLE="1",
        SURVEY_EMAIL_LEASE_SECONDS="2",
    )
    env.pop("EMAIL_HOST", None)
    return env


@pytest.fixture
def start_worker(worker_env, tmp_path):
    workers: list[Worker] = []

    def start() -> Worker:
        worker = Worker(worker_env, tmp_path / f"worker-{len(workers)}.log")
        workers.append(worker)
        worker.start()
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def broker(redis_server):
    """A Celery client for the private Redis: sends tasks by name, as beat would."""
    app = Celery("fault-tests", broker=redis_server.url)
    yield app
    app.close()


@pytest.fixture
def table_lock(real_services):
    """Hold an exclusive lock on a table from another connection, so a worker blocks in the
    middle of its work at the moment it first touches that table."""
    db = connection.settings_dict
    locker = psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"], autocommit=False
    )

    class Lock:
        def hold(self, table: str) -> None:
            locker.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")

        def waiters(self, table: str) -> int:
            with psycopg.connect(
                host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"]
            ) as probe:
                return probe.execute(
                    "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                    "WHERE c.relname = %s AND NOT l.granted",
                    [table],
                ).fetchone()[0]

        def release(self) -> None:
            locker.rollback()

    yield Lock()
    locker.rollback()
    locker.close()


@pytest.fixture
def web_server(worker_env, tmp_path):
    server = WebServer(worker_env, tmp_path / "web.log")
    server.start()
    yield server
    server.stop()
