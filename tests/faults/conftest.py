"""Fault tests run real Celery workers and a real Redis against the test database.

They need PostgreSQL (a worker process cannot see an in-memory SQLite test database) and
redis-server on the PATH; without them they skip, except in CI (REQUIRE_POSTGRESQL=1), where
they must run.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from celery import Celery
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def wait_until(condition: Callable[[], object], *, timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A private, throw-away redis-server, so a test may stop it without touching anyone else's."""

    def __init__(self, workdir: Path):
        self.port = _free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._answers, timeout=10, what=f"redis on port {self.port}")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class Worker:
    """A ``celery worker`` in its own process group, so kill -9 takes its children too."""

    def __init__(self, env: dict[str, str], log: Path):
        self.env = env
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "crm",
                "worker",
                "--loglevel=INFO",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(lambda: b"ready." in self.log.read_bytes(), timeout=60, what="worker ready")

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


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
    db = connection.settings_dict
    connection.ensure_connection()
    ours = connection.connection.info.backend_pid
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname="postgres", autocommit=True
    ) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid() AND pid <> %s",
            [db["NAME"], ours],
        )


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


class WebServer:
    """gunicorn serving the app, as in production, against the test database."""

    def __init__(self, env: dict[str, str], log: Path):
        self.port = _free_port()
        self.env = env
        self.log = log
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "crm.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--timeout",
                "30",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(self._answers, timeout=30, what="gunicorn")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)


@pytest.fixture
def web_server(worker_env, tmp_path):
    server = WebServer(worker_env, tmp_path / "web.log")
    server.start()
    yield server
    server.stop()
