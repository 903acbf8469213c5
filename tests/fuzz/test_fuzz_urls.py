"""The hostile-input walker: every URL pattern of the site (found through Django's resolver, so
a new page is covered the day it is added), for every role and an anonymous visitor, by GET and
by POST, with hostile path arguments, query strings and form fields. With DEBUG=0 nothing may
answer with a 5xx (issue 12).

Path arguments are a real record of Alice's (so the request gets past the access check and
into the form and service code), zero, and an id beyond any integer column. Query and form
values rotate through texts that have broken pages before: NUL and control characters, periods
far outside the calendar, a charset the app cannot read, long and look-alike text."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter

from crm.input_rules import CheckedForm
from surveys.models import DevMail
from tests.security.endpoints import ROLES, make_world

HUGE_ID = 2**63  # beyond bigint: the lookup must not reach the database as an error

HOSTILE = [
    "\x00",
    "9999-12",
    "0001-01-01",
    "x\r\nSet-Cookie: a=b",
    "\x1b[31m<script>alert(1)</script>",
    "//evil.example/",
    "-1",
    "١٢٣",
    "9" * 40,
    "x" * 3000,
    "'; DROP TABLE crm_client; --",
    "javascript:alert(1)",
]
SLUGS = ["brm", "team", "nps", "follow_up_form", "clients", "zz-not-a-thing"]
# Query parameters the pages read, whatever the page.
QUERY_KEYS = [
    "period",
    "grain",
    "page",
    "sort",
    "order",
    "next",
    "q",
    "form",
    "history",
    "breakdown",
    "show",
    "score",
    "format",
    "kpi",
    "team",
    "owner",
    "status",
    "type",
    "dormant",
    "client",
]


def _form_field_names() -> list[str]:
    """Every field of every form of the site, with its prefix: the POST keys worth sending."""
    names = {"outcome", "next", "to_stage", "summary", "record_type", "token", "username"}
    pending = list(CheckedForm.__subclasses__())
    while pending:
        form_class = pending.pop()
        pending.extend(form_class.__subclasses__())
        prefix = getattr(form_class, "prefix", None)
        for name in form_class.base_fields:
            names.add(f"{prefix}-{name}" if prefix else name)
    return sorted(names)


@dataclass(frozen=True)
class Route:
    pattern: str
    url_name: str  # with its namespace, for reverse()
    arguments: tuple[str, ...]
    int_arguments: frozenset[str]
    positional: int = 0  # unnamed regex groups, filled in order


def _routes(resolver=None, prefix: str = "", namespace: str = "") -> list[Route]:
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found += _routes(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern) and entry.name:
            converters = getattr(entry.pattern, "converters", {})
            found.append(
                Route(
                    prefix + str(entry.pattern),
                    namespace + entry.name,
                    tuple(entry.pattern.regex.groupindex),
                    frozenset(
                        name
                        for name, converter in converters.items()
                        if isinstance(converter, IntConverter)
                    ),
                    entry.pattern.regex.groups - len(entry.pattern.regex.groupindex),
                )
            )
    return found


ROUTES = _routes()
SITE_ROUTES = [route for route in ROUTES if not route.url_name.startswith("admin:")]
ADMIN_ROUTES = [route for route in ROUTES if route.url_name.startswith("admin:")]


def _real_id(route: Route, world, alice) -> int:
    """A record of Alice's that the page named ``route`` acts on."""
    by_name = {
        "interaction_reply": world.message,
        "follow_up_done": world.follow_up,
        "deal_move": world.deal,
        "issue_respond": world.issue,
        "issue_resolve": world.issue,
        "survey_exclude": world.dana,
        "survey_exclusion_lift": world.exclusion,
        "survey_close_loop": world.unhappy,
        "dev_mail_detail": DevMail.objects.first(),
        "imports:job": world.import_job,
        "imports:job_progress": world.import_job,
        "imports:job_confirm": world.import_job,
    }
    if route.url_name in by_name:
        return by_name[route.url_name].pk
    if route.url_name.startswith("team_matrix"):
        return alice.team_memberships.first().team_id
    if route.url_name.startswith(("scorecard", "kpi_records")):
        return alice.pk
    return world.client.pk


def _fill(route: Route, number: int, text: str, slug: str) -> str:
    """The route's address with hostile arguments, or the nearest the route accepts (an
    admin app label must be one of the apps), so every route is reached."""
    if route.positional:
        # A regex route with unnamed groups (django-simple-history's admin): an id, then text.
        for values in ((str(number), text), (str(number), "1"), ("1", "1")):
            try:
                return reverse(route.url_name, args=values[: route.positional])
            except NoReverseMatch:
                continue
    chosen = {}
    for name in route.arguments:
        first = str(number) if name in route.int_arguments else text
        for candidate in (first, slug, str(number), "crm", "client", "1"):
            try:
                reverse(route.url_name, kwargs={**chosen, name: candidate})
            except NoReverseMatch:
                continue
            chosen[name] = candidate
            break
        else:
            chosen[name] = first
    try:
        return reverse(route.url_name, kwargs=chosen)
    except NoReverseMatch:
        # The arguments depend on each other (an app label and its model): fill them together.
        for candidate in itertools.product(("crm", "client", "1", slug), repeat=len(chosen)):
            try:
                return reverse(route.url_name, kwargs=dict(zip(chosen, candidate, strict=True)))
            except NoReverseMatch:
                continue
    raise AssertionError(f"cannot build an address for {route.url_name}")


def _walk(browser: Client, routes: list[Route], ids_for, fields: list[str]) -> list[str]:
    """Request every route with every id and rotating hostile values; the 5xx answers."""
    failures = []
    values = itertools.cycle(HOSTILE)
    slugs = itertools.cycle(SLUGS)
    for route in routes:
        for number in ids_for(route):
            value = next(values)
            path = _fill(route, number, value, next(slugs))
            query = {key: value for key in QUERY_KEYS}
            body = {key: next(values) for key in fields}
            for method, response in (
                ("GET", browser.get(path, query)),
                ("GET raw", browser.get(path + "?period=%ff%fe&next=%0d%0a&q=%00")),
                ("POST", browser.post(path, body)),
            ):
                healthy_503 = route.url_name == "health" and response.status_code == 503
                if response.status_code >= 500 and not healthy_503:
                    failures.append(f"{method} {path} -> {response.status_code}")
    return failures


@pytest.fixture
def world(alices_client, alice, bob):
    return make_world(alices_client, alice, bob)


@pytest.fixture
def walker(settings, world):
    settings.DEBUG = False
    DevMail.objects.create(
        subject="Reset your password", from_email="crm@example.com", to="root@example.com"
    )
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("who", [*ROLES, "anonymous"])
def test_no_page_answers_hostile_input_with_a_server_error(request, walker, world, alice, who):
    if who != "anonymous":
        walker.force_login(request.getfixturevalue(who))

    def ids_for(route):
        if not (route.arguments or route.positional):
            return [0]
        return [_real_id(route, world, alice), 0, HUGE_ID]

    failures = _walk(walker, SITE_ROUTES, ids_for, _form_field_names())
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("who", ["admin_user", "alice", "anonymous"])
def test_no_admin_page_answers_hostile_input_with_a_server_error(request, walker, world, who):
    if who != "anonymous":
        walker.force_login(request.getfixturevalue(who))

    def ids_for(route):
        return [world.client.pk, HUGE_ID] if route.arguments or route.positional else [0]

    failures = _walk(walker, ADMIN_ROUTES, ids_for, ["name", "q", "action", "_selected_action"])
    assert not failures, "\n".join(failures)


def test_the_walker_covers_every_url_pattern_and_every_form():
    assert len(SITE_ROUTES) >= 50
    assert {"deal_move", "follow_up_done", "scorecard", "kpi_records", "survey_answer"} <= {
        route.url_name for route in SITE_ROUTES
    }
    assert {"follow_up-due_on", "contact-name", "outcome", "period"} <= set(_form_field_names())
