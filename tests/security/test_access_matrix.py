"""The access matrix: every role against Alice's client, through every page that reads it and
every endpoint that writes it. A refusal is a 404 for someone who may not even read the client
(guessing ids reveals nothing) and a 403 for someone who may read but not change it, and a
refused request saves nothing at all."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.models import DealStage, Interaction
from surveys.models import SurveyExclusion
from tests.factories import (
    ContactFactory,
    DealFactory,
    FollowUpFactory,
    InteractionFactory,
    SupportIssueFactory,
)
from tests.security.database import row_counts
from tests.surveys.factories import InvitationFactory, ResponseFactory

pytestmark = pytest.mark.django_db

ROLES = ("alice", "bob", "carol", "maria", "oscar", "admin_user")
# Who may read Alice's client: herself, the manager of her team, an admin.
READERS = {"alice", "maria", "admin_user"}


@dataclass
class World:
    """Alice's client with one of everything an endpoint can act on."""

    client: object
    dana: object
    eli: object
    message: object
    follow_up: object
    deal: object
    issue: object
    exclusion: object
    unhappy: object
    bob: object

    def objects(self) -> list:
        return [
            self.client,
            self.dana,
            self.eli,
            self.message,
            self.follow_up,
            self.deal,
            self.issue,
            self.exclusion,
            self.unhappy,
            self.unhappy.follow_up,
        ]


def fingerprint(world: World) -> tuple:
    """Every table's row count and every field of the world's rows: any write changes it."""
    fields = [
        (obj._meta.label, model_to_dict(type(obj).objects.get(pk=obj.pk)))
        for obj in world.objects()
    ]
    return row_counts(), fields


@pytest.fixture
def world(alices_client, alice, bob):
    dana = ContactFactory(client=alices_client, name="Dana Diaz", email="dana@acme.example")
    eli = ContactFactory(client=alices_client, name="Eli Ezra", email="eli@acme.example")
    unhappy = ResponseFactory(
        invitation=InvitationFactory(contact=eli, created_at=timezone.now() - timedelta(days=40)),
        score=3,
    )
    unhappy.follow_up = FollowUpFactory(client=alices_client, title="Call Eli back")
    unhappy.save()
    return World(
        client=alices_client,
        dana=dana,
        eli=eli,
        message=InteractionFactory(
            client=alices_client,
            kind=Interaction.Kind.EMAIL,
            direction=Interaction.Direction.OUTBOUND,
        ),
        follow_up=FollowUpFactory(client=alices_client),
        deal=DealFactory(client=alices_client),
        issue=SupportIssueFactory(client=alices_client),
        exclusion=SurveyExclusion.objects.create(
            contact=eli, excluded_by=alice, reason="In a dispute"
        ),
        unhappy=unhappy,
        bob=bob,
    )


@dataclass(frozen=True)
class Endpoint:
    name: str
    url: Callable[[World], str]
    data: Callable[[World], dict]
    allowed: frozenset[str]
    # What the others get: 404 for whoever may not read the client, else this status.
    refused_readers: int = 403
    prepare: Callable[[World], None] | None = None

    def expected(self, who: str) -> int:
        if who in self.allowed:
            return 302
        return self.refused_readers if who in READERS else 404


def _client_url(name):
    return lambda w: reverse(name, args=[w.client.pk])


def _today() -> str:
    return timezone.localdate().isoformat()


def _churn(world: World) -> None:
    services.client_churn(client=world.client, reason="Budget cut")


OWNERS = frozenset({"alice", "admin_user"})
ENDPOINTS = [
    Endpoint(
        "add a contact",
        _client_url("client_contact_add"),
        lambda w: {"contact-name": "Sam Ode", "contact-email": "sam@acme.example"},
        OWNERS,
    ),
    Endpoint(
        "add a follow-up",
        _client_url("client_follow_up_add"),
        lambda w: {"follow_up-title": "Send the deck", "follow_up-due_on": _today()},
        OWNERS,
    ),
    Endpoint(
        "open a support issue",
        _client_url("client_issue_open"),
        lambda w: {"issue-title": "Portal down", "issue-priority": "high"},
        OWNERS,
    ),
    Endpoint(
        "create a deal",
        _client_url("client_deal_create"),
        lambda w: {"deal-title": "Renewal 2027", "deal-kind": "renewal", "deal-value": "900"},
        OWNERS,
    ),
    Endpoint(
        "record revenue",
        _client_url("client_revenue_record"),
        lambda w: {
            "revenue-product_name": "Support plan",
            "revenue-recognised_on": _today(),
            "revenue-amount": "1200",
            "revenue-cost_to_serve": "300",
        },
        OWNERS,
    ),
    Endpoint(
        "mark as churned",
        _client_url("client_churn"),
        lambda w: {"churn-on": _today(), "churn-reason": "Budget cut"},
        OWNERS,
    ),
    Endpoint(
        "reactivate",
        _client_url("client_reactivate"),
        lambda w: {"reactivate-on": _today(), "reactivate-reason": "New budget"},
        OWNERS,
        prepare=_churn,
    ),
    Endpoint(
        "reassign",
        _client_url("client_reassign"),
        lambda w: {"reassign-new_owner": w.bob.pk, "reassign-reason": "Territory change"},
        frozenset({"maria", "admin_user"}),
    ),
    Endpoint(
        "log a reply to a message",
        lambda w: reverse("interaction_reply", args=[w.message.pk]),
        lambda w: {"summary": "They said yes"},
        OWNERS,
    ),
    Endpoint(
        "mark a follow-up done",
        lambda w: reverse("follow_up_done", args=[w.follow_up.pk]),
        lambda w: {"outcome": "Sent"},
        OWNERS,
    ),
    Endpoint(
        "move a deal",
        lambda w: reverse("deal_move", args=[w.deal.pk]),
        lambda w: {"to_stage": DealStage.objects.exclude(pk=w.deal.stage_id).first().pk},
        OWNERS,
    ),
    Endpoint(
        "respond to an issue",
        lambda w: reverse("issue_respond", args=[w.issue.pk]),
        lambda w: {},
        OWNERS,
    ),
    Endpoint(
        "resolve an issue",
        lambda w: reverse("issue_resolve", args=[w.issue.pk]),
        lambda w: {},
        OWNERS,
    ),
    Endpoint(
        "send a survey",
        _client_url("survey_send"),
        lambda w: {"contact": w.dana.pk, "kind": "nps"},
        OWNERS,
    ),
    Endpoint(
        "exclude a contact from surveys",
        lambda w: reverse("survey_exclude", args=[w.dana.pk]),
        lambda w: {"reason": "Asked us not to"},
        OWNERS,
    ),
    Endpoint(
        "lift a survey exclusion",
        lambda w: reverse("survey_exclusion_lift", args=[w.exclusion.pk]),
        lambda w: {},
        OWNERS,
    ),
    Endpoint(
        "close the loop on an unhappy answer",
        lambda w: reverse("survey_close_loop", args=[w.unhappy.pk]),
        lambda w: {"outcome": "Called, credit note sent"},
        OWNERS,
    ),
]


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_each_role_may_write_alices_client_only_as_the_access_rules_say(
    request, client, world, endpoint, who
):
    if endpoint.prepare:
        endpoint.prepare(world)
    client.force_login(request.getfixturevalue(who))
    before = fingerprint(world)

    response = client.post(endpoint.url(world), endpoint.data(world))

    assert response.status_code == endpoint.expected(who)
    if response.status_code == 302:
        assert fingerprint(world) != before, "an accepted write changed nothing"
    else:
        assert fingerprint(world) == before, "a refused write saved something"


@pytest.mark.parametrize("who", ROLES)
def test_the_quick_log_offers_and_accepts_only_clients_the_user_may_change(
    request, client, world, who
):
    client.force_login(request.getfixturevalue(who))
    offered = client.get(reverse("interaction_log")).context["form"].fields["client"].queryset
    before = fingerprint(world)

    response = client.post(
        reverse("interaction_log"), {"client": world.client.pk, "kind": "call", "topic": "Hi"}
    )

    if who in OWNERS:
        assert world.client in offered
        assert response.status_code == 302
        assert fingerprint(world) != before
    else:
        assert world.client not in offered
        assert response.status_code == 422
        assert "Select a valid choice" in response.content.decode()
        assert fingerprint(world) == before


READ_PAGES = {
    "client page": lambda w: reverse("client_detail", args=[w.client.pk]),
    "client's survey results": lambda w: reverse("survey_client_results", args=[w.client.pk]),
}


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("page", READ_PAGES, ids=str)
def test_each_role_reads_alices_client_pages_only_as_the_access_rules_say(
    request, client, world, page, who
):
    client.force_login(request.getfixturevalue(who))
    response = client.get(READ_PAGES[page](world))
    assert response.status_code == (200 if who in READERS else 404)
    if response.status_code == 404:
        assert world.client.name not in response.content.decode()


@pytest.mark.parametrize("who", ROLES)
def test_survey_results_for_everyone_list_only_answers_from_readable_clients(
    request, client, world, who
):
    world.unhappy.comment = "The invoices were wrong"
    world.unhappy.save()
    client.force_login(request.getfixturevalue(who))
    page = client.get(reverse("survey_results"), {"period": "all"}).content.decode()
    assert ("The invoices were wrong" in page) == (who in READERS)


SCORECARD_PAGES = {
    "Alice's scorecard": lambda alice, team: reverse("scorecard", args=["brm", alice.pk]),
    "Alice's scorecard as CSV": lambda alice, team: reverse(
        "scorecard_export", args=["brm", alice.pk]
    ),
    "Alice's NPS records": lambda alice, team: reverse(
        "kpi_records", args=["brm", alice.pk, "nps"]
    ),
    "the team side by side": lambda alice, team: reverse("team_matrix", args=[team.pk]),
    "the team side by side as CSV": lambda alice, team: reverse(
        "team_matrix_export", args=[team.pk]
    ),
}
SCORECARD_READERS = {
    "Alice's scorecard": READERS,
    "Alice's scorecard as CSV": READERS,
    "Alice's NPS records": READERS,
    "the team side by side": {"maria", "admin_user"},
    "the team side by side as CSV": {"maria", "admin_user"},
}


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("page", SCORECARD_PAGES, ids=str)
def test_each_role_opens_alices_scorecards_and_exports_only_as_the_access_rules_say(
    request, client, alice, team, page, who
):
    client.force_login(request.getfixturevalue(who))
    response = client.get(SCORECARD_PAGES[page](alice, team))
    assert response.status_code == (200 if who in SCORECARD_READERS[page] else 404)


@pytest.mark.parametrize("who", ROLES)
def test_each_role_exports_only_the_clients_it_may_read(request, client, world, who):
    client.force_login(request.getfixturevalue(who))
    for record_type in ("clients", "contacts", "follow_ups"):
        response = client.get(reverse("imports:export", args=[record_type]))
        assert response.status_code == 200
        assert (world.client.name in response.content.decode()) == (who in READERS), record_type


IMPORTERS = {"alice", "bob", "carol", "admin_user"}


@pytest.mark.parametrize("who", ROLES)
def test_only_brms_and_admins_reach_the_import_page(request, client, world, who):
    client.force_login(request.getfixturevalue(who))
    before = fingerprint(world)
    page = client.get(reverse("imports:import"))
    upload = client.post(reverse("imports:confirm"), {"token": "x"})
    assert page.status_code == (200 if who in IMPORTERS else 403)
    assert upload.status_code == (302 if who in IMPORTERS else 403)
    assert fingerprint(world) == before


@pytest.mark.parametrize("who", ["bob", "carol"])
def test_a_brm_cannot_import_records_into_someone_elses_book(request, client, world, who):
    client.force_login(request.getfixturevalue(who))
    before = fingerprint(world)
    text = (
        "client,occurred_at,kind,logged_by,topic\n"
        f"{world.client.name},2025-01-06T10:00:00+00:00,call,{who}@example.com,Poach\n"
    )
    response = client.post(
        reverse("imports:import"),
        {"record_type": "interactions", "file": SimpleUploadedFile("x.csv", text.encode())},
    )
    assert response.status_code == 422
    assert response.context["pending"] is None
    assert fingerprint(world) == before


ANONYMOUS_GETS = [
    "today",
    "client_list",
    "pipeline",
    "support_queue",
    "survey_results",
    "scorecard_home",
    "team_overview",
    "targets",
    "imports:import",
    "dev_mailbox",
    "interaction_log",
]


@pytest.mark.parametrize("name", ANONYMOUS_GETS)
def test_anonymous_visitors_are_sent_to_log_in_from_every_page(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_anonymous_writes_are_sent_to_log_in_and_save_nothing(client, world, endpoint):
    before = fingerprint(world)
    response = client.post(endpoint.url(world), endpoint.data(world))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert fingerprint(world) == before
