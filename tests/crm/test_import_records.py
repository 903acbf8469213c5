"""What each import writes: consistent histories, credit to the owner at the time, and only
what the importing user may change."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm import services
from crm.imports.services import records_import
from crm.models import (
    Client,
    ClientOwnership,
    ClientStatusChange,
    DealStageChange,
    FollowUp,
    Interaction,
    LifecycleStatus,
)
from surveys.models import Response
from tests.factories import ClientFactory, ContactFactory, FollowUpFactory

LONDON = ZoneInfo("Europe/London")


def run(record_type: str, text: str, by=None, dry_run=False):
    return records_import(record_type=record_type, data=text.encode(), by=by, dry_run=dry_run)


def problems(report) -> list[tuple[int | None, str]]:
    return [(error.line, error.message) for error in report.errors]


def test_an_imported_client_gets_its_first_ownership_and_active_status(alice, admin_user):
    report = run(
        "clients",
        "name,relationship_type,owner,relationship_started_on,sourced_by_partner\n"
        "Acme Logistics,strategic,alice@example.com,2023-04-01,Cobalt Partners\n"
        "Cobalt Partners,partner,alice@example.com,2022-01-01,\n",
        by=admin_user,
    )
    assert report.saved, report.errors
    acme = Client.objects.get(name="Acme Logistics")
    assert acme.sourced_by_partner.name == "Cobalt Partners"
    ownership = ClientOwnership.objects.get(client=acme)
    assert (ownership.owner, ownership.started_at, ownership.ended_at) == (
        alice,
        datetime(2023, 4, 1, tzinfo=LONDON),
        None,
    )
    status = ClientStatusChange.objects.get(client=acme)
    assert (status.status, status.effective_on) == (LifecycleStatus.ACTIVE, date(2023, 4, 1))


def test_a_brm_importing_rows_for_another_brms_client_is_rejected_by_line(alice, bob):
    ClientFactory(name="Acme Logistics", owner=alice)
    ClientFactory(name="Bob's Bakery", owner=bob)
    text = (
        "client,occurred_at,kind,logged_by\n"
        "Acme Logistics,2025-01-06T10:00:00+00:00,call,alice@example.com\n"
        "Bob's Bakery,2025-01-06T11:00:00+00:00,call,alice@example.com\n"
        "Acme Logistics,2025-01-06T12:00:00+00:00,call,alice@example.com\n"
        "Bob's Bakery,2025-01-06T13:00:00+00:00,call,alice@example.com\n"
    )
    report = run("interactions", text, by=alice)
    assert problems(report) == [
        (3, 'client: there is no client named "Bob\'s Bakery" in your book.'),
        (5, 'client: there is no client named "Bob\'s Bakery" in your book.'),
    ]
    assert Interaction.objects.count() == 0
    assert run("interactions", text, by=bob).errors[0].line == 2


def test_an_admin_imports_rows_for_any_client(alice, bob, admin_user):
    ClientFactory(name="Acme Logistics", owner=alice)
    ClientFactory(name="Bob's Bakery", owner=bob)
    report = run(
        "feedback",
        "client,summary,received_on\nAcme Logistics,Faster invoices,2025-01-06\n"
        "Bob's Bakery,Fresher bread,2025-01-07\n",
        by=admin_user,
    )
    assert report.saved
    assert report.counts == {"feedback items": 2}


def test_a_brm_imports_new_clients_only_into_their_own_book(alice, bob):
    report = run(
        "clients",
        "name,relationship_type,owner,relationship_started_on\n"
        "Mine,functional,alice@example.com,2024-01-01\n"
        "Theirs,functional,bob@example.com,2024-01-01\n",
        by=alice,
    )
    assert problems(report) == [(3, "owner: you may name only yourself (alice@example.com) here.")]


def test_only_an_administrator_imports_ownership_history(alice, alices_client):
    report = run(
        "ownership_history",
        "client,owner,started_at\nAcme Logistics,alice@example.com,2024-01-01T00:00\n",
        by=alice,
    )
    assert problems(report) == [(None, "Only an administrator may import ownership rows.")]


def test_imported_ownership_history_replaces_the_old_one_and_recredits_events(
    alice, bob, admin_user, alices_client
):
    early = services.interaction_log(
        client=alices_client,
        logged_by=alice,
        kind="call",
        occurred_at=datetime(2024, 3, 1, 12, tzinfo=LONDON),
    )
    late = services.interaction_log(
        client=alices_client,
        logged_by=alice,
        kind="call",
        occurred_at=datetime(2024, 9, 1, 12, tzinfo=LONDON),
    )
    open_follow_up = FollowUpFactory(client=alices_client, owner=alice)
    report = run(
        "ownership_history",
        "client,owner,started_at,ended_at,reason\n"
        "Acme Logistics,bob@example.com,2024-06-01T00:00,,Territory change\n"
        "Acme Logistics,alice@example.com,2020-01-01T00:00,2024-06-01T00:00,\n",
        by=admin_user,
    )
    assert report.saved, report.errors
    assert report.counts == {"ownership rows": 2, "events re-credited": 1}
    spans = ClientOwnership.objects.filter(client=alices_client).order_by("started_at")
    assert [(span.owner, span.ended_at is None) for span in spans] == [(alice, False), (bob, True)]
    early.refresh_from_db()
    late.refresh_from_db()
    assert (early.owner, late.owner) == (alice, bob)
    alices_client.refresh_from_db()
    open_follow_up.refresh_from_db()
    assert alices_client.owner == bob
    assert open_follow_up.owner == bob


def test_ownership_spans_with_a_gap_or_no_current_owner_are_refused(admin_user, bob, alices_client):
    report = run(
        "ownership_history",
        "client,owner,started_at,ended_at\n"
        "Acme Logistics,alice@example.com,2020-01-01T00:00,2021-01-01T00:00\n"
        "Acme Logistics,bob@example.com,2021-02-01T00:00,2022-01-01T00:00\n"
        "Acme Logistics,alice@example.com,2022-01-01T00:00,2021-06-01T00:00\n"
        "Acme Logistics,nobody@example.com,2022-01-01T00:00,\n",
        by=admin_user,
    )
    assert problems(report) == [
        (
            3,
            "started_at: must equal the ended_at of the previous ownership of Acme Logistics "
            "(line 2), so spans neither overlap nor leave a gap.",
        ),
        (
            3,
            "ended_at: the latest ownership of Acme Logistics must be open (blank): a client "
            "always has a current owner.",
        ),
        (4, "ended_at must be after started_at."),
        (5, 'owner: there is no user with the e-mail "nobody@example.com".'),
    ]
    assert ClientOwnership.objects.filter(client=alices_client).count() == 1


def test_imported_status_history_replaces_the_old_one_and_sets_the_current_status(
    alice, alices_client
):
    report = run(
        "status_history",
        "client,status,effective_on,reason\n"
        "Acme Logistics,churned,2024-09-30,Budget cut\n"
        "Acme Logistics,active,2023-01-01,Relationship started\n",
        by=alice,
    )
    assert report.saved, report.errors
    alices_client.refresh_from_db()
    assert alices_client.status == LifecycleStatus.CHURNED
    history = ClientStatusChange.objects.filter(client=alices_client).order_by("effective_on")
    assert [change.status for change in history] == ["active", "churned"]


def test_a_status_history_must_alternate_and_explain_churn(alice, alices_client):
    report = run(
        "status_history",
        "client,status,effective_on,reason\n"
        "Acme Logistics,active,2023-01-01,\n"
        "Acme Logistics,churned,2024-01-01,\n"
        "Acme Logistics,churned,2024-02-01,Gone\n",
        by=alice,
    )
    assert problems(report) == [
        (3, "reason: say why the client churned."),
        (4, "status: Acme Logistics is already churned since line 3."),
    ]


def test_deal_rows_become_a_stage_history_with_entered_and_left_times(alice, alices_client):
    report = run(
        "deals",
        "client,title,value,created_at,stage,changed_at,changed_by\n"
        "Acme Logistics,Upsell,100.00,2025-01-06T09:00,Qualified,2025-01-06T09:00,\n"
        "Acme Logistics,Upsell,100.00,2025-01-06T09:00,Proposal,2025-02-01T09:00,\n"
        "Acme Logistics,Upsell,100.00,2025-01-06T09:00,won,2025-03-01T09:00,alice@example.com\n",
        by=alice,
    )
    assert report.saved, report.errors
    assert report.counts == {"deals": 1, "stage changes": 3}
    changes = DealStageChange.objects.order_by("changed_at")
    assert [(c.from_stage_id and c.from_stage.name, c.entered_from_at) for c in changes] == [
        (None, None),
        ("Qualified", datetime(2025, 1, 6, 9, tzinfo=LONDON)),
        ("Proposal", datetime(2025, 2, 1, 9, tzinfo=LONDON)),
    ]
    deal = changes[0].deal
    assert deal.stage.name == "Won"
    assert deal.closed_at == datetime(2025, 3, 1, 9, tzinfo=LONDON)


def test_an_inconsistent_deal_history_is_refused_line_by_line(alice, alices_client):
    report = run(
        "deals",
        "client,title,value,created_at,stage,changed_at\n"
        "Acme Logistics,A,100,2025-01-06T09:00,Won,2025-01-06T09:00\n"
        "Acme Logistics,B,100,2025-01-06T09:00,Qualified,2025-01-07T09:00\n"
        "Acme Logistics,C,100,2025-01-06T09:00,Qualified,2025-01-06T09:00\n"
        "Acme Logistics,C,200,2025-01-06T09:00,Lost,2025-01-05T09:00\n"
        "Acme Logistics,C,100,2025-01-06T09:00,Proposal,2025-01-08T09:00\n"
        "Acme Logistics,D,100,2025-01-06T09:00,Pending,2025-01-06T09:00\n",
        by=alice,
    )
    assert problems(report) == [
        (2, "stage: a deal starts in an open stage, not Won."),
        (
            3,
            "changed_at: the first row of a deal is its creation, so changed_at must equal "
            "created_at.",
        ),
        (5, "value: differs from the deal's first row (line 4)."),
        (5, "changed_at: before the previous stage change (line 4)."),
        (6, "stage: the deal was already Lost (line 5)."),
        (7, 'stage: "Pending" is not one of: Qualified, Proposal, Negotiation, Won, Lost.'),
    ]


def test_imported_survey_answers_are_answers_credited_to_the_owner_at_the_time(
    alice, bob, admin_user
):
    acme = ClientFactory(
        name="Acme Logistics", owner=alice, relationship_started_on=date(2023, 1, 1)
    )
    services.client_reassign(client=acme, new_owner=bob, at=datetime(2024, 7, 1, tzinfo=LONDON))
    ContactFactory(client=acme, name="Dana Reyes")
    report = run(
        "survey_answers",
        "client,kind,score,answered_at,contact,may_quote\n"
        "Acme Logistics,nps,9,2024-05-05T12:00,Dana Reyes,yes\n"
        "Acme Logistics,csat,2,2024-08-05T12:00,,\n",
        by=admin_user,
    )
    assert report.saved, report.errors
    answers = Response.objects.order_by("answered_at")
    assert [(a.owner, a.source, a.may_quote) for a in answers] == [
        (alice, Response.Source.IMPORT, True),
        (bob, Response.Source.IMPORT, False),
    ]
    assert answers[0].contact.name == "Dana Reyes"
    assert FollowUp.objects.count() == 0


def test_a_score_off_its_survey_scale_is_refused(admin_user, alices_client):
    report = run(
        "survey_answers",
        "client,kind,score,answered_at\nAcme Logistics,csat,9,2024-05-05T12:00\n",
        by=admin_user,
    )
    assert problems(report) == [(2, "score: a csat answer is from 1 to 5.")]


def test_a_reply_can_answer_a_message_in_the_same_file(alice, alices_client):
    ContactFactory(client=alices_client, name="Dana Reyes")
    report = run(
        "interactions",
        "client,occurred_at,kind,direction,logged_by,contacts,in_reply_to\n"
        "Acme Logistics,2025-01-07T09:00,email,,alice@example.com,,2025-01-06T09:00\n"
        "Acme Logistics,2025-01-06T09:00,email,,alice@example.com,dana reyes,\n"
        "Acme Logistics,2025-01-08T09:00,email,,alice@example.com,Nobody,2025-01-01T09:00\n",
        by=alice,
    )
    assert problems(report) == [
        (
            4,
            "in_reply_to: Acme Logistics has no outbound messages at "
            "2025-01-01T09:00:00+00:00; a reply names exactly one.",
        ),
        (4, 'contacts: Acme Logistics has no contact named "Nobody".'),
    ]
    report = run(
        "interactions",
        "client,occurred_at,kind,logged_by,contacts,in_reply_to\n"
        "Acme Logistics,2025-01-07T09:00,email,alice@example.com,,2025-01-06T09:00\n"
        "Acme Logistics,2025-01-06T09:00,email,alice@example.com,dana reyes,\n",
        by=alice,
    )
    assert report.saved, report.errors
    reply = Interaction.objects.get(direction="inbound")
    assert reply.in_reply_to.contacts.get().name == "Dana Reyes"


def _interaction_rows(count: int) -> str:
    return "client,occurred_at,kind,logged_by,contacts\n" + "".join(
        f"Client {n % 3},2025-01-06T09:{n % 60:02d}:{n % 59:02d},call,alice@example.com,Dana\n"
        for n in range(count)
    )


def test_the_queries_of_an_interaction_import_do_not_grow_with_its_rows(alice):
    for n in range(3):
        ContactFactory(client=ClientFactory(name=f"Client {n}", owner=alice), name="Dana")

    def queries(count: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert run("interactions", _interaction_rows(count), by=alice).saved
        return len(captured)

    # Both sizes fit in one insert batch on every database.
    assert queries(5) == queries(60)
