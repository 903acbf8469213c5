"""``make load``: the load test. Starts gunicorn in production mode on 127.0.0.1, drives it with
locust (headless, bounded in time) and prints requests per second, p50/p95/p99 and the error
rate, overall and per page, then stops everything it started.

Scenario "mixed" runs on the benchmark dataset (``LOAD_DATABASE_URL``, default the
``metrics_bench`` database ``make bench`` builds): BRMs, managers and surveyed contacts at once.
Scenario "team" opens one ~20-BRM team's side-by-side page. The benchmark's teams have eight
BRMs, so this runs on its own database (``LOAD_TEAM_DATABASE_URL``), built here on first use
with the benchmark's density: 20 BRMs of ~100 clients each, 24 months.

Both write to their database, as people would: logged interactions (topic "Load test"), survey
invitations created for the run, and their answers.

Exit status: 0 when every scenario met its goal (p95 under ``LOAD_P95_MS`` and no failed
request), 1 when one missed it, 2 when the dataset is missing or a service did not start.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from prepare import BUILD_BENCH

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HERE = Path(__file__).resolve().parent
ARTIFACTS = ROOT / "test-artifacts" / "load"

TEAM_SEED = ["--brms", "20", "--teams", "1", "--clients", "2000", "--months", "24"]


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    try:
        return int(raw) if raw.strip() else default
    except ValueError:
        sys.exit(f"{name}={raw!r} is not a whole number.")


DATABASE_URL = os.environ.get(
    "LOAD_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/metrics_bench"
)
TEAM_DATABASE_URL = os.environ.get(
    "LOAD_TEAM_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/load_team20"
)
USERS = _env_int("LOAD_USERS", 50)
TEAM_USERS = _env_int("LOAD_TEAM_USERS", 20)
SECONDS = _env_int("LOAD_SECONDS", 60)  # measured, after every user has started
SPAWN_RATE = _env_int("LOAD_SPAWN_RATE", 5)  # users started per second
WORKERS = _env_int("LOAD_WORKERS", 2)
THREADS = _env_int("LOAD_THREADS", 4)
P95_GOAL_MS = _env_int("LOAD_P95_MS", 300)
INVITATIONS = _env_int("LOAD_INVITATIONS", 1500)
THINK = os.environ.get("LOAD_THINK", "1-3")  # seconds between a person's actions


class Refusal(Exception):
    """The run cannot start; the message says what to do."""


@dataclass(frozen=True)
class Scenario:
    name: str
    database_url: str
    users: int
    user_classes: tuple[str, ...]
    title: str


SCENARIOS = [
    Scenario(
        "mixed",
        DATABASE_URL,
        USERS,
        ("BrmUser", "ManagerUser", "SurveyRespondent"),
        "BRMs, managers and survey answers on the benchmark dataset",
    ),
    Scenario(
        "team",
        TEAM_DATABASE_URL,
        TEAM_USERS,
        ("TeamMatrixViewer",),
        "a ~20-BRM team's BRMs side by side",
    ),
]


def say(line: str) -> None:
    print(f"[load] {line}", flush=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise Refusal(f"{what} did not happen within {timeout:.0f} s")


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def _base_env() -> dict[str, str]:
    """The environment of a production deployment on this machine, over plain http."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LOAD_")}
    for inherited in ("DATABASE_URL", "REDIS_URL", "EMAIL_HOST"):
        env.pop(inherited, None)
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        # Browsers would not send Secure cookies over http; neither does locust.
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        STATIC_ROOT=str(ARTIFACTS / "static"),
        # Every virtual respondent comes from 127.0.0.1: a per-IP limit would turn them away.
        # The limiter still runs (one Redis increment per survey page).
        SURVEY_PAGE_RATE_LIMIT="1000000",
        LOG_LEVEL="WARNING",
    )
    return env


def _database_exists(url: str) -> bool:
    import psycopg

    parts = urlsplit(url)
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [parts.path.lstrip("/")]
        ).fetchone()
    return found is not None


def _create_team_database(env: dict[str, str]) -> None:
    """Create and seed the team scenario's database (once; it is kept for later runs)."""
    import psycopg

    parts = urlsplit(TEAM_DATABASE_URL)
    say(f"creating database {parts.path.lstrip('/')} for the team scenario (once)")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{parts.path.lstrip("/")}"')
    team_env = {**env, "DATABASE_URL": TEAM_DATABASE_URL}
    _manage(team_env, "migrate", "--noinput", "-v", "0")
    _manage(team_env, "seed_demo", *TEAM_SEED)


@contextmanager
def _redis(workdir: Path):
    """A private, throw-away redis-server: the cache and broker production would use, without
    touching anyone else's keys or leaving queued tasks behind."""
    if shutil.which("redis-server") is None:
        raise Refusal("redis-server is not on the PATH; install Redis to run the load test.")
    port = _free_port()
    process = subprocess.Popen(
        [
            *("redis-server", "--port", str(port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--dir", str(workdir)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until(lambda: _port_open(port), timeout=10, what="redis-server answering")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health/?format=json", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def _gunicorn(env: dict[str, str], log: Path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [
            *(str(BIN / "gunicorn"), "crm.wsgi:application", "--bind", f"127.0.0.1:{port}"),
            *("--workers", str(WORKERS), "--threads", str(THREADS), "--timeout", "60"),
            *("--error-logfile", str(log), "--log-level", "warning"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_until(
            lambda: process.poll() is None and _healthy(url),
            timeout=30,
            what=f"gunicorn answering /health/ (see {log})",
        )
        yield url, process.pid
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # the master stops its workers gracefully
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def _locust(scenario: Scenario, url: str, server_pid: int, plan: Path, out: Path) -> dict:
    summary = out / f"{scenario.name}-summary.json"
    ramp = math.ceil(scenario.users / SPAWN_RATE)
    command = [
        str(BIN / "locust"),
        "-f",
        str(HERE / "locustfile.py"),
        "--headless",
        "--host",
        url,
        "--users",
        str(scenario.users),
        "--spawn-rate",
        str(SPAWN_RATE),
        # The locustfile stops after LOAD_SECONDS measured once every user is in; this is
        # only the bound should a sign-in never finish.
        "--run-time",
        f"{ramp + SECONDS + 60}s",
        "--stop-timeout",
        "10",
        "--only-summary",
        "--loglevel",
        "WARNING",
        *scenario.user_classes,
    ]
    env = {
        **os.environ,
        "LOAD_PLAN": str(plan),
        "LOAD_SUMMARY": str(summary),
        "LOAD_SECONDS": str(SECONDS),
        "LOAD_SERVER_PID": str(server_pid),
        "LOAD_THINK": THINK,
    }
    say(
        f"{scenario.name}: {scenario.users} users ({', '.join(scenario.user_classes)}), "
        f"{ramp} s ramp-up then {SECONDS} s measured against {url}"
    )
    with (out / f"{scenario.name}-locust.log").open("w") as log:
        subprocess.run(
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=ramp + SECONDS + 180,
        )
    if not summary.exists():
        raise Refusal(f"locust wrote no summary; see {out / f'{scenario.name}-locust.log'}")
    return json.loads(summary.read_text())


def _table(summary: dict) -> str:
    """Per page and overall; pages whose p95 misses the goal are marked with "!"."""
    seconds = summary["measured_seconds"] or 1
    head = f"{'page':<38} {'reqs':>6} {'req/s':>6} {'p50':>6} {'p95':>7} {'p99':>6} {'errors':>7}"
    lines = [head, "-" * len(head)]
    for row in [*summary["pages"], {**summary["total"], "name": "ALL", "method": ""}]:
        error_rate = row["failures"] / row["requests"] * 100 if row["requests"] else 0.0
        name = f"{row['method']} {row['name']}".strip()
        slow = "!" if row["p95"] >= P95_GOAL_MS else " "
        lines.append(
            f"{name[:38]:<38} {row['requests']:>6} {row['requests'] / seconds:>6.1f} "
            f"{row['p50']:>4.0f}ms {row['p95']:>4.0f}ms{slow} {row['p99']:>4.0f}ms "
            f"{error_rate:>6.2f}%"
        )
    requests = summary["total"]["requests"]
    if requests and "server_cpu_seconds" in summary:
        lines.append(
            f"gunicorn CPU {summary['server_cpu_seconds'] * 1000 / requests:.0f} ms per request; "
            f"machine busy {summary['machine_busy_share']:.0%} of {os.cpu_count()} CPUs, "
            f"load average {summary['load_average']:.1f} (other programs count too)"
        )
    for error in summary["errors"]:
        lines.append(f"  error ×{error['count']} on {error['name']}: {error['error']}")
    return "\n".join(lines)


def _met(summary: dict) -> bool:
    total = summary["total"]
    return total["requests"] > 0 and total["failures"] == 0 and total["p95"] < P95_GOAL_MS


def _prepare(scenario: Scenario, env: dict[str, str], plan: Path) -> None:
    _manage(env, "migrate", "--noinput", "-v", "0")
    prepared = subprocess.run(
        [
            *(sys.executable, str(HERE / "prepare.py"), "--scenario", scenario.name),
            *("--plan", str(plan), "--invitations", str(INVITATIONS)),
        ],
        cwd=ROOT,
        env=env,
        check=False,
    )
    if prepared.returncode:
        raise Refusal(f"the {scenario.name} scenario's database is not ready (see above).")


def run() -> int:
    out = ARTIFACTS / datetime.now().strftime("%Y%m%d-%H%M%S")
    env = _base_env()
    if not _database_exists(DATABASE_URL):
        raise Refusal(f"{DATABASE_URL} does not exist: no benchmark dataset. {BUILD_BENCH}")
    out.mkdir(parents=True, exist_ok=True)
    say(f"artefacts (plans, logs, numbers): {out}")
    if not _database_exists(TEAM_DATABASE_URL):
        _create_team_database(env)
    for scenario in SCENARIOS:
        database_env = {**env, "DATABASE_URL": scenario.database_url}
        _prepare(scenario, database_env, out / f"{scenario.name}-plan.json")
    _manage(env, "collectstatic", "--noinput", "-v", "0")
    results = []
    with _redis(out) as redis_url:
        for scenario in SCENARIOS:
            server_env = {**env, "DATABASE_URL": scenario.database_url, "REDIS_URL": redis_url}
            with _gunicorn(server_env, out / f"{scenario.name}-gunicorn.log") as (url, pid):
                summary = _locust(scenario, url, pid, out / f"{scenario.name}-plan.json", out)
            results.append((scenario, summary))
    print()
    print(
        f"Load test {datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} CPUs, gunicorn "
        f"{WORKERS} workers × {THREADS} threads, {SECONDS} s measured per scenario, "
        f"{THINK} s between a person's actions; "
        f"goal: p95 < {P95_GOAL_MS} ms and no errors."
    )
    passed = True
    for scenario, summary in results:
        met = _met(summary)
        passed &= met
        print(
            f"\n{scenario.name}: {scenario.title}, {scenario.users} users, "
            f"{summary['measured_seconds']:.0f} s measured"
        )
        print(_table(summary))
        print("goal met" if met else "GOAL MISSED")
    return 0 if passed else 1


def main() -> int:
    try:
        return run()
    except Refusal as problem:
        print(f"Load test stopped: {problem}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as failure:
        print(f"Load test stopped: {' '.join(failure.cmd)} failed", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
