"""The real programs the fault tests start, stop and kill: a private redis-server, a Celery
worker, gunicorn; and the database-side cut of every other connection (what a PostgreSQL
restart does to the app)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def wait_until(condition: Callable[[], object], *, timeout: float, what: str) -> object:
    """``condition()``'s first truthy result, asked every 0.2 s; AssertionError naming
    ``what`` after ``timeout`` seconds."""
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


def _port_answers(port: int, probe: bytes = b"", reply: bytes = b"") -> bool:
    """Whether something accepts connections on ``port`` (and answers ``probe`` with a line
    starting ``reply``)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            if probe:
                sock.sendall(probe)
                return sock.recv(16).startswith(reply)
            return True
    except OSError:
        return False


class ChildProcess:
    """A program run in its own process group (so a kill takes its children too), started by
    ``start`` and waited for until ``ready()`` (at most ``start_timeout`` seconds). Output goes
    to ``log`` (appended), or nowhere without one. Subclasses give ``command`` and ``ready``."""

    what = "the process"
    start_timeout = 30.0
    stop_timeout = 20.0

    def __init__(self, env: dict[str, str] | None = None, log: Path | None = None):
        self.env = env
        self.log = log
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def start(self) -> None:
        output = self.log.open("ab") if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen(
            self.command(),
            cwd=ROOT,
            env=self.env,
            stdout=output,
            stderr=subprocess.STDOUT if self.log else subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_until(self.ready, timeout=self.start_timeout, what=self.what)

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not ended within ``stop_timeout`` seconds."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.kill()


class RedisServer(ChildProcess):
    """A private, throw-away redis-server, so a test may stop it without touching anyone else's."""

    start_timeout = 10.0

    def __init__(self, workdir: Path):
        super().__init__()
        self.port = _free_port()
        self.workdir = workdir
        self.what = f"redis on port {self.port}"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        return [
            "redis-server",
            *("--port", str(self.port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--dir", str(self.workdir)),
        ]

    def ready(self) -> bool:
        return _port_answers(self.port, b"PING\r\n", b"+PONG")


class Worker(ChildProcess):
    """A ``celery worker`` with one process."""

    what = "worker ready"
    start_timeout = 60.0

    def command(self) -> list[str]:
        return [
            *(sys.executable, "-m", "celery", "-A", "crm", "worker"),
            *("--loglevel=INFO", "--concurrency=1"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        ]

    def ready(self) -> bool:
        return b"ready." in self.log.read_bytes()


class WebServer(ChildProcess):
    """gunicorn serving the app, as in production, against the test database."""

    what = "gunicorn"

    def __init__(self, env: dict[str, str], log: Path):
        super().__init__(env, log)
        self.port = _free_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            *(sys.executable, "-m", "gunicorn", "crm.wsgi", "--bind", f"127.0.0.1:{self.port}"),
            *("--workers", "1", "--threads", "4", "--timeout", "30"),
        ]

    def ready(self) -> bool:
        return _port_answers(self.port)


def cut_other_connections() -> int:
    """End every session on the test database but this process's own, as a PostgreSQL
    restart would; how many were ended."""
    db = connection.settings_dict
    connection.ensure_connection()
    ours = connection.connection.info.backend_pid
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname="postgres", autocommit=True
    ) as admin:
        return admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid() AND pid <> %s",
            [db["NAME"], ours],
        ).fetchone()[0]
