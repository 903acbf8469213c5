"""Crawl the site as each role (and as an anonymous visitor and a surveyed contact) and check
every page: the security headers, a Content-Security-Policy that allows no inline script, and
HTML that needs none (no inline <script>, no on*= handlers, no javascript: URLs, no hx-on),
with a CSRF token in every POST form."""

from collections import Counter, deque
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from metrics.periods import Grain, Period
from metrics.services import snapshot_take
from surveys.models import OutboundEmail, SurveyKind
from surveys.services import invitation_send, outbound_email_send
from tests.factories import PASSWORD
from tests.security.endpoints import ROLES
from tests.surveys.factories import InvitationFactory, ResponseFactory

pytestmark = pytest.mark.django_db

MAX_PAGES = 100
# Query-string variants of one path (periods, sorts, pages) add little once two are seen.
MAX_VARIANTS = 2
NOT_PAGES = ("/static/", "/admin/", "/accounts/logout/")


class PageAudit(HTMLParser):
    """What one HTML page does that the policy forbids, and the links it offers."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.links: list[str] = []
        self._form: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and not attributes.get("src"):
            self.problems.append("an inline <script>")
        for name, value in attrs:
            if name.startswith("on") or name.startswith("hx-on"):
                self.problems.append(f"an inline handler {name}= on <{tag}>")
            if name in ("href", "src", "action", "formaction") and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                self.problems.append(f"a javascript: URL in <{tag} {name}>")
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if tag == "form":
            self._form = {"post": (attributes.get("method") or "").lower() == "post", "csrf": False}
        if self._form is not None and attributes.get("name") == "csrfmiddlewaretoken":
            self._form["csrf"] = True

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            if self._form["post"] and not self._form["csrf"]:
                self.problems.append("a POST form without a CSRF token")
            self._form = None


def header_problems(response) -> list[str]:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for directive in filter(None, (part.strip() for part in policy.split(";"))):
        name, _, value = directive.partition(" ")
        directives[name] = value
    problems = []
    scripts = directives.get("script-src", directives.get("default-src", ""))
    if "'self'" not in scripts or "unsafe" in scripts or "*" in scripts:
        problems.append(f"CSP script-src is {scripts!r}")
    for directive, value in [("frame-ancestors", "'none'"), ("object-src", "'none'")]:
        if directives.get(directive) != value:
            problems.append(f"CSP {directive} is not {value}")
    expected = {
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
    for name, value in expected.items():
        if response.headers.get(name) != value:
            problems.append(f"{name} is {response.headers.get(name)!r}")
    if "camera=()" not in response.headers.get("Permissions-Policy", ""):
        problems.append("no Permissions-Policy")
    return problems


def crawl(browser: Client, start: list[str]) -> dict[str, list[str]]:
    """Visit ``start`` and every page of the site linked from there (GET only, bounded), and
    return what is wrong with each page, by URL."""
    queue, seen, variants = deque(start), set(), Counter()
    report: dict[str, list[str]] = {}
    while queue and len(report) < MAX_PAGES:
        url = queue.popleft()
        path = urlsplit(url).path
        skip = path.startswith(NOT_PAGES) or path.endswith(".csv")
        if url in seen or variants[path] >= MAX_VARIANTS or skip:
            continue
        seen.add(url)
        variants[path] += 1
        response = browser.get(url)
        assert response.status_code < 500, url
        if response.status_code in (301, 302):
            queue.appendleft(urljoin(url, response["Location"]))
            continue
        problems = header_problems(response)
        if response["Content-Type"].startswith("text/html"):
            audit = PageAudit()
            audit.feed(response.content.decode())
            problems += audit.problems
            for link in audit.links:
                target = urljoin(url, link.split("#")[0])
                if target.startswith("/") and not target.startswith("//"):
                    queue.append(target)
        report[url] = problems
    return report


@pytest.fixture
def site(alices_client, world, settings, alice, carol):
    """Something on every page: a dev mailbox e-mail, a snapshot, Carol's own client."""
    settings.EMAIL_BACKEND = "surveys.mailbox.DevMailboxBackend"
    invitation = invitation_send(contact=world.dana, kind=SurveyKind.NPS, trigger="manual")
    outbound_email_send(email_id=OutboundEmail.objects.get(invitation=invitation).pk)
    snapshot_take(period=Period.current(Grain.MONTH))
    return world


START = [
    "/",
    "/today/",
    "/clients/",
    "/pipeline/",
    "/support/",
    "/surveys/?period=all",
    "/scorecard/",
    "/teams/",
    "/targets/",
    "/import/",
    "/dev/mailbox/",
    "/interactions/new/",
    "/accounts/password/",
    "/no-such-page/",
]


@pytest.mark.parametrize("who", ROLES)
def test_every_page_a_role_reaches_needs_no_inline_script_and_sends_the_security_headers(
    request, client, site, who
):
    client.force_login(request.getfixturevalue(who))
    start = [
        *START,
        f"/clients/{site.client.pk}/",
        f"/surveys/clients/{site.client.pk}/",
        f"/scorecard/brm/{site.client.owner_id}/kpi/nps/",
    ]

    report = crawl(client, start)

    assert len(report) >= 10, sorted(report)
    assert {url: problems for url, problems in report.items() if problems} == {}


def test_the_htmx_fragments_need_no_inline_script_either(client, site, alice):
    client.force_login(alice)
    fragments = [
        client.get("/interactions/new/", HTTP_HX_REQUEST="true"),
        client.post(f"/follow-ups/{site.follow_up.pk}/done/", HTTP_HX_REQUEST="true"),
    ]
    for fragment in fragments:
        audit = PageAudit()
        audit.feed(fragment.content.decode())
        assert (fragment.status_code, audit.problems) == (200, [])


def test_the_public_pages_need_no_inline_script_and_send_the_security_headers(
    client, site, settings
):
    answered = ResponseFactory(invitation=InvitationFactory(contact=site.dana))
    expired = InvitationFactory(contact=site.eli, created_at=timezone.now() - timedelta(days=31))
    token = answered.invitation.token
    start = [
        "/accounts/login/",
        "/accounts/password/reset/",
        f"/s/{token}/?score=9",
        f"/s/{token}/?score=eleven",
        f"/s/{token}/thanks/",
        f"/s/{token}/unsubscribe/",
        f"/s/{expired.token}/",
        "/s/not-a-token/",
    ]

    report = crawl(client, start)
    settings.SURVEY_PAGE_RATE_LIMIT = 0
    report["429"] = header_problems(client.get(f"/s/{token}/"))

    assert len(report) >= len(start)
    assert {url: problems for url, problems in report.items() if problems} == {}


def test_the_session_and_csrf_cookies_are_not_readable_by_other_sites(client, alice):
    client.get("/accounts/login/")
    client.post("/accounts/login/", {"username": alice.email, "password": PASSWORD})
    session = client.cookies["sessionid"]
    assert session["httponly"]
    assert session["samesite"].lower() == "lax"
    assert client.cookies["csrftoken"]["samesite"].lower() == "lax"
