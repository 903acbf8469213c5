"""Alice's client with one of everything an endpoint can act on, and every endpoint that
writes it, with who may use it: shared by the access-matrix and CSRF tests."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.models import DealStage, ImportJob, Interaction
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
    # Alice's dry run of a file, finished (its file already deleted).
    import_job: object

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


def attempt(world: World, write, post: Callable[[World], object]):
    """Prepare ``world`` for ``write`` (an Endpoint or an API Write), send it with
    ``post(world)`` and return the response, having checked what a user would notice: an
    accepted write (below 400) changed something, a refused one saved nothing at all."""
    if write.prepare:
        write.prepare(world)
    before = fingerprint(world)
    response = post(world)
    if response.status_code < 400:
        assert fingerprint(world) != before, "an accepted write changed nothing"
    else:
        assert fingerprint(world) == before, "a refused write saved something"
    return response


def make_world(alices_client, alice, bob) -> World:
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
        import_job=ImportJob.objects.create(
            owner=alice,
            record_type="interactions",
            file_name="calls.csv",
            status=ImportJob.Status.DONE,
            report={"record_type": "interactions", "dry_run": True, "row_count": 1},
        ),
    )


# Who may change Alice's records: herself and an admin.
OWNERS = frozenset({"alice", "admin_user"})


def nothing(world: World) -> dict:
    return {}


@dataclass(frozen=True)
class Endpoint:
    name: str
    url: Callable[[World], str]
    data: Callable[[World], dict] = nothing
    allowed: frozenset[str] = OWNERS
    # What the others get: 404 for whoever may not read the client, else this status.
    refused_readers: int = 403
    prepare: Callable[[World], None] | None = None
    # Bulk actions take ids of several clients: any out of reach is a 403 saying nothing was
    # changed, the same whether the id is another's or no one's.
    refused_others: int = 404

    def expected(self, who: str) -> int:
        if who in self.allowed:
            return 302
        return self.refused_readers if who in READERS else self.refused_others


def _url(name: str, of: str = "client") -> Callable[[World], str]:
    """The URL ``name`` for the world's object ``of`` (Alice's client by default)."""
    return lambda w: reverse(name, args=[getattr(w, of).pk])


def today() -> str:
    return timezone.localdate().isoformat()


def churn(world: World) -> None:
    services.client_churn(client=world.client, reason="Budget cut")


ENDPOINTS = [
    Endpoint(
        "add a contact",
        _url("client_contact_add"),
        lambda w: {"contact-name": "Sam Ode", "contact-email": "sam@acme.example"},
    ),
    Endpoint(
        "add a follow-up",
        _url("client_follow_up_add"),
        lambda w: {"follow_up-title": "Send the deck", "follow_up-due_on": today()},
    ),
    Endpoint(
        "open a support issue",
        _url("client_issue_open"),
        lambda w: {"issue-title": "Portal down", "issue-priority": "high"},
    ),
    Endpoint(
        "create a deal",
        _url("client_deal_create"),
        lambda w: {"deal-title": "Renewal 2027", "deal-kind": "renewal", "deal-value": "900"},
    ),
    Endpoint(
        "record revenue",
        _url("client_revenue_record"),
        lambda w: {
            "revenue-product_name": "Support plan",
            "revenue-recognised_on": today(),
            "revenue-amount": "1200",
            "revenue-cost_to_serve": "300",
        },
    ),
    Endpoint(
        "mark as churned",
        _url("client_churn"),
        lambda w: {"churn-on": today(), "churn-reason": "Budget cut"},
    ),
    Endpoint(
        "reactivate",
        _url("client_reactivate"),
        lambda w: {"reactivate-on": today(), "reactivate-reason": "New budget"},
        prepare=churn,
    ),
    Endpoint(
        "reassign",
        _url("client_reassign"),
        lambda w: {"reassign-new_owner": w.bob.pk, "reassign-reason": "Territory change"},
        allowed=frozenset({"maria", "admin_user"}),
    ),
    Endpoint(
        "log a reply to a message",
        _url("interaction_reply", "message"),
        lambda w: {"summary": "They said yes"},
    ),
    Endpoint(
        "mark a follow-up done",
        _url("follow_up_done", "follow_up"),
        lambda w: {"outcome": "Sent"},
    ),
    Endpoint(
        "move a deal",
        _url("deal_move", "deal"),
        lambda w: {"to_stage": DealStage.objects.exclude(pk=w.deal.stage_id).first().pk},
    ),
    Endpoint("respond to an issue", _url("issue_respond", "issue")),
    Endpoint("resolve an issue", _url("issue_resolve", "issue")),
    Endpoint("send a survey", _url("survey_send"), lambda w: {"contact": w.dana.pk, "kind": "nps"}),
    Endpoint(
        "exclude a contact from surveys",
        _url("survey_exclude", "dana"),
        lambda w: {"reason": "Asked us not to"},
    ),
    Endpoint("lift a survey exclusion", _url("survey_exclusion_lift", "exclusion")),
    Endpoint(
        "close the loop on an unhappy answer",
        _url("survey_close_loop", "unhappy"),
        lambda w: {"outcome": "Called, credit note sent"},
    ),
    Endpoint(
        "reassign ticked clients",
        lambda w: reverse("clients_bulk_reassign"),
        lambda w: {"client": [w.client.pk], "new_owner": w.bob.pk, "reason": "Cover"},
        frozenset({"maria", "admin_user"}),
        refused_others=403,
    ),
    Endpoint(
        "complete ticked follow-ups",
        lambda w: reverse("follow_ups_complete"),
        lambda w: {"follow_up": [w.follow_up.pk], "outcome": "Done in bulk"},
        OWNERS,
        refused_others=403,
    ),
]
