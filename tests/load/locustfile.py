"""What the load test's virtual users do. Started by ``tests/load/run.py``, which names the user
classes of a scenario on locust's command line and passes, in the environment:

- ``LOAD_PLAN``: the JSON written by ``tests/load/prepare.py`` (logins and the demo password,
  client ids, teams and raw survey tokens);
- ``LOAD_SECONDS``: how long to measure once every user has signed in;
- ``LOAD_SERVER_PID``: gunicorn's master, whose CPU time is measured with the requests;
- ``LOAD_THINK``: seconds between a person's actions, "min-max" (default "1-3");
- ``LOAD_SUMMARY``: where to write the per-page numbers when locust stops.

Mixed scenario: BRMs work their book (Today, the book, client pages, the quick log), managers
read scorecards and their team's matrix, and surveyed contacts answer from an e-mail link.
Team scenario: managers of one ~20-BRM team open its BRMs-side-by-side page.

Every request is checked for the page a person would expect, not just a 2xx: a login form or an
error page served with 200 counts as a failure.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading
import time
from pathlib import Path

import gevent
import psutil
from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

PLAN = json.loads(Path(os.environ["LOAD_PLAN"]).read_text())
PASSWORD = PLAN["password"]
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# KPIs a manager drills into most: survey scores and the book's engagement.
DRILLED_KPIS = ["nps", "csat", "interactions_per_client", "follow_up_on_time_rate"]
KINDS = ["call", "meeting", "email", "note"]
# Seconds each person waits between two actions, "min-max": "1-3" is someone clicking through
# quickly, never reading; people reading a scorecard take far longer.
THINK = between(*(float(part) for part in os.environ.get("LOAD_THINK", "1-3").split("-", 1)))


class _Deal:
    """Hands out plan entries in turn, so each virtual user is a different person and every
    survey token is used before any is answered a second time (which updates the answer)."""

    def __init__(self, items: list):
        self._cycle = itertools.cycle(items) if items else iter(())
        self._lock = threading.Lock()

    def next(self):
        with self._lock:
            return next(self._cycle)


BRMS = _Deal(PLAN.get("brms", []))
TEAMS = _Deal(PLAN.get("teams", []))
SURVEYS = _Deal(PLAN.get("surveys", []))


def _csrf(body: str) -> str | None:
    match = CSRF_FIELD.search(body)
    return match[1] if match else None


def _expect(response, *, status: int = 200, contains: str = "") -> None:
    """Mark ``response`` failed unless it is the page a person would expect."""
    if response.status_code != status:
        response.failure(f"HTTP {response.status_code}, expected {status}")
    elif contains and contains not in (response.text or ""):
        response.failure(f"page lacks {contains!r}")
    else:
        response.success()


class _Measurement:
    """Counts users ready to work, and once all are, resets the numbers and measures for
    ``LOAD_SECONDS`` before stopping: signing in (a deliberately slow password hash) and the
    ramp-up are not what a page costs."""

    def __init__(self):
        self.ready = 0
        self.started_at: float | None = None
        self.server_cpu = 0.0
        self.machine = (0.0, 0.0)

    @staticmethod
    def _server_cpu() -> float:
        """CPU seconds the web server (gunicorn's master and workers) has used so far."""
        master = psutil.Process(int(os.environ["LOAD_SERVER_PID"]))
        total = 0.0
        for process in [master, *master.children(recursive=True)]:
            times = process.cpu_times()
            total += times.user + times.system
        return total

    @staticmethod
    def _machine() -> tuple[float, float]:
        """(busy, total) CPU seconds of the whole machine, all cores."""
        times = psutil.cpu_times()
        idle = times.idle + getattr(times, "iowait", 0.0)
        total = sum(times)
        return total - idle, total

    def begin(self) -> None:
        self.started_at = time.time()
        self.server_cpu = self._server_cpu()
        self.machine = self._machine()

    def usage(self) -> dict:
        """Where the CPU went while measuring: the server's own cost per request stays
        comparable when other programs share the machine; the machine's load says if they did."""
        busy, total = self._machine()
        return {
            "server_cpu_seconds": self._server_cpu() - self.server_cpu,
            "machine_busy_share": (busy - self.machine[0]) / ((total - self.machine[1]) or 1),
            "load_average": os.getloadavg()[0],
        }

    def user_ready(self) -> None:
        self.ready += 1

    def watch(self, environment) -> None:
        runner = environment.runner
        while self.ready < runner.target_user_count:
            gevent.sleep(0.2)
        environment.stats.reset_all()
        self.begin()
        gevent.sleep(int(os.environ["LOAD_SECONDS"]))
        runner.quit()


MEASUREMENT = _Measurement()


@events.test_start.add_listener
def _measure_once_everyone_is_in(environment, **_kwargs):
    gevent.spawn(MEASUREMENT.watch, environment)


class _Visitor(FastHttpUser):
    """Someone reading pages: each request is checked for the page they would expect."""

    abstract = True
    wait_time = THINK

    def page(self, url: str, name: str, contains: str = "") -> str:
        with self.client.get(url, name=name, catch_response=True) as response:
            _expect(response, contains=contains)
            return response.text or ""


class _SignedIn(_Visitor):
    abstract = True

    def sign_in(self, email: str) -> None:
        page = self.client.get("/accounts/login/", name="login page")
        token = _csrf(page.text or "")
        with self.client.post(
            "/accounts/login/",
            name="login",
            data={"username": email, "password": PASSWORD, "csrfmiddlewaretoken": token or ""},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            # A wrong password shows the form again with 200; success redirects.
            _expect(response, status=302)
        MEASUREMENT.user_ready()


class BrmUser(_SignedIn):
    """A BRM working through the day: Today, the book, client pages, logging what happened."""

    weight = 6

    def on_start(self):
        self.me = BRMS.next()
        self.sign_in(self.me["email"])

    def client_id(self) -> int:
        return random.choice(self.me["clients"])

    @task(3)
    def today(self):
        self.page("/today/", "/today/", contains="Today")

    @task(2)
    def book(self):
        sort = random.choice(["", "?sort=-last_touch", "?sort=-follow_ups", "?page=2"])
        self.page(f"/clients/{sort}", "/clients/", contains="<table")

    @task(3)
    def client_page(self):
        self.page(f"/clients/{self.client_id()}/", "/clients/[pk]/", contains="Timeline")

    @task(2)
    def quick_log(self):
        client = self.client_id()
        form = self.page(
            f"/interactions/new/?client={client}", "/interactions/new/ (form)", contains="<form"
        )
        with self.client.post(
            "/interactions/new/",
            name="/interactions/new/ (log, htmx)",
            headers={"HX-Request": "true"},
            data={
                "csrfmiddlewaretoken": _csrf(form) or "",
                "client": str(client),
                "kind": random.choice(KINDS),
                "topic": "Load test",
                "summary": "Logged by the load test (tests/load).",
                "direction": "",
                "occurred_at": "",
                "follow_up_title": "",
                "follow_up_due_on": "",
            },
            catch_response=True,
        ) as response:
            if response.status_code == 200 and "interactionLogged" not in (
                response.headers.get("HX-Trigger") or ""
            ):
                response.failure("the quick log answered without logging (form errors?)")
            else:
                _expect(response)

    @task(1)
    def own_scorecard(self):
        self.page(f"/scorecard/brm/{self.me['id']}/", "/scorecard/brm/[id]/", contains="NPS")


class _Manager(_SignedIn):
    """A manager of one team, opening its BRMs side by side."""

    abstract = True

    def on_start(self):
        self.team = TEAMS.next()
        self.sign_in(self.team["manager"])

    @task(3)
    def team_matrix(self):
        self.page(f"/teams/{self.team['team']}/", "/teams/[id]/", contains="side by side")


class ManagerUser(_Manager):
    """A manager reviewing their team: its scorecard, its BRMs side by side, one BRM's
    scorecard and the records behind a KPI."""

    weight = 2

    def brm(self) -> int:
        return random.choice(self.team["brms"])

    @task(3)
    def team_scorecard(self):
        self.page(f"/scorecard/team/{self.team['team']}/", "/scorecard/team/[id]/", "NPS")

    @task(3)
    def brm_scorecard(self):
        self.page(f"/scorecard/brm/{self.brm()}/", "/scorecard/brm/[id]/", contains="NPS")

    @task(1)
    def drill_down(self):
        kpi = random.choice(DRILLED_KPIS)
        self.page(f"/scorecard/brm/{self.brm()}/kpi/{kpi}/", "/scorecard/brm/[id]/kpi/[kpi]/")


class SurveyRespondent(_Visitor):
    """A surveyed contact: clicks a score in the e-mail, confirms it on the page, sees thanks."""

    weight = 2

    def on_start(self):
        MEASUREMENT.user_ready()

    @task
    def answer(self):
        survey = SURVEYS.next()
        token = survey["token"]
        score = random.randint(survey["low"], survey["high"])
        page = self.page(f"/s/{token}/?score={score}", "/s/[token]/?score=N", "csrfmiddlewaretoken")
        with self.client.post(
            f"/s/{token}/",
            name="/s/[token]/ (answer)",
            data={
                "csrfmiddlewaretoken": _csrf(page) or "",
                "score": str(score),
                "comment": random.choice(["", "Answered by the load test."]),
            },
            allow_redirects=False,
            catch_response=True,
        ) as response:
            _expect(response, status=302)
        self.page(f"/s/{token}/thanks/", "/s/[token]/thanks/", contains="Thank")

    def page(self, url: str, name: str, contains: str = "") -> str:
        with self.client.get(url, name=name, catch_response=True) as response:
            _expect(response, contains=contains)
            return response.text or ""


class TeamMatrixViewer(_Manager):
    """The team scenario: a manager refreshing their ~20-BRM team side by side (the one task
    every manager has, and nothing else)."""


def _entry(entry) -> dict:
    return {
        "name": entry.name,
        "method": entry.method,
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "rps": entry.total_rps,
        "p50": entry.get_response_time_percentile(0.50),
        "p95": entry.get_response_time_percentile(0.95),
        "p99": entry.get_response_time_percentile(0.99),
        "max": entry.max_response_time,
    }


@events.quitting.add_listener
def _write_summary(environment, **_kwargs):
    stats = environment.stats
    summary = {
        "measured_seconds": time.time() - MEASUREMENT.started_at if MEASUREMENT.started_at else 0,
        **(MEASUREMENT.usage() if MEASUREMENT.started_at else {}),
        "total": _entry(stats.total),
        "pages": [
            _entry(entry)
            for entry in sorted(stats.entries.values(), key=lambda e: e.name)
            if entry.num_requests
        ],
        "errors": [
            {"name": error.name, "error": str(error.error), "count": error.occurrences}
            for error in stats.errors.values()
        ],
    }
    Path(os.environ["LOAD_SUMMARY"]).write_text(json.dumps(summary, indent=2))
