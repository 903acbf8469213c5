from collections import defaultdict
from datetime import date, datetime, time, timedelta
from itertools import pairwise

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import F, Q, Sum
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, TeamMembership, User
from crm.attribution import CREDITED_EVENTS, OwnershipTimeline
from crm.models import (
    Client,
    ClientOwnership,
    ClientStatusChange,
    Contact,
    ContactReach,
    Deal,
    DealStageChange,
    FeedbackItem,
    FollowUp,
    Interaction,
    PartnerCertification,
    PartnerReferral,
    Priority,
    Project,
    RelationshipType,
    RevenueLine,
    SharedGoal,
    StageKind,
    SupportIssue,
)
from demo.scale import DEMO_LOGINS, DEMO_PASSWORD, SUMMARY_MODELS, DemoScale
from demo.seed import demo_seed
from surveys.models import Invitation, Response, SurveyKind
from tests.markers import needs_postgresql

TODAY = date(2026, 6, 17)
SMALL = DemoScale(brms=5, teams=2, clients=40, months=6, seed=7)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The demo hashes its password once per load; the slow production hasher would make
    each test here pay for it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(scale: DemoScale = SMALL):
    return demo_seed(scale=scale, today=TODAY)


def instant(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def timelines() -> dict[int, OwnershipTimeline]:
    spans = defaultdict(list)
    for span in ClientOwnership.objects.all():
        spans[span.client_id].append(span)
    return {client_id: OwnershipTimeline(rows) for client_id, rows in spans.items()}


def snapshot() -> dict:
    """What a person would notice if the demo changed: how many rows, who owns which client,
    the scores, the money."""
    return {
        "counts": {model.__name__: model.objects.count() for model in SUMMARY_MODELS},
        "users": list(User.objects.order_by("email").values_list("email", "full_name", "role")),
        "books": list(Client.objects.order_by("name").values_list("name", "owner__email")),
        "scores": list(
            Response.objects.order_by("answered_at", "client__name").values_list(
                "client__name", "kind", "score", "answered_at"
            )[:200]
        ),
        "revenue": RevenueLine.objects.aggregate(total=Sum("amount"))["total"],
        "contacts": list(Contact.objects.order_by("name", "email").values_list("name", "email")),
    }


def test_the_same_seed_and_day_build_the_same_organisation(db):
    with transaction.atomic():
        seed()
        first = snapshot()
        transaction.set_rollback(True)
    with transaction.atomic():
        seed()
        second = snapshot()
        transaction.set_rollback(True)
    seed(DemoScale(brms=5, teams=2, clients=40, months=6, seed=8))
    other = snapshot()
    assert first == second
    assert other["books"] != first["books"]


def test_loading_the_demo_twice_adds_nothing_and_says_what_exists(db):
    assert seed().created
    counts = {model: model.objects.count() for model in SUMMARY_MODELS}
    again = seed()
    assert not again.created
    assert {model: model.objects.count() for model in SUMMARY_MODELS} == counts
    assert again.counts["clients"] == SMALL.clients


def test_every_demo_login_works(db):
    seed()
    for login in DEMO_LOGINS:
        browser = Browser()
        response = browser.post(
            reverse("login"), {"username": login.email, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, login.email


def test_the_demo_brm_is_in_the_demo_managers_team_with_a_book_of_clients(db):
    seed(DemoScale(brms=12, clients=300, months=3, interactions_per_client_month=0.5))
    brm = User.objects.get(email="brm@example.com")
    manager = User.objects.get(email="manager@example.com")
    team = TeamMembership.objects.current().get(user=brm).team
    assert team.memberships.current().get(capacity="manager").user == manager
    assert 20 <= Client.objects.filter(owner=brm).count() <= 32
    assert User.objects.get(email="admin@example.com").role == Role.ADMIN


def test_one_brm_moves_team_one_leaves_and_one_joins(db):
    seed()
    moves = [
        user
        for user in User.objects.filter(role=Role.BRM)
        if user.team_memberships.values("team").distinct().count() == 2
    ]
    assert len(moves) == 1
    left, joined = moves[0].team_memberships.order_by("started_on")
    assert left.ended_on == joined.started_on
    leaver = User.objects.get(is_active=False)
    assert not leaver.team_memberships.filter(ended_on__isnull=True).exists()
    assert not Client.objects.filter(owner=leaver).exists()
    assert ClientOwnership.objects.filter(owner=leaver, ended_at__isnull=False).exists()
    window_start = date(2025, 12, 1)
    assert TeamMembership.objects.filter(started_on__gt=window_start, capacity="member").exists()


def test_every_event_counts_for_whoever_owned_the_client_when_it_happened(db):
    seed()
    by_client = timelines()
    checked = 0
    events = [(e.model, e.client_field, e.time_field) for e in CREDITED_EVENTS]
    # Invitations record who sent them, so they are stamped at sending time as well.
    events.append((Invitation, "client", "created_at"))
    for model, client_field, time_field in events:
        client_id = client_field.replace("__", "_") + "_id"
        if "__" in client_field:
            rows = model.objects.values_list(client_field, time_field, "owner_id")
        else:
            rows = model.objects.values_list(client_id, time_field, "owner_id")
        for owning_client, when, owner_id in rows:
            assert by_client[owning_client].owner_id_at(when) == owner_id, (model, when)
            checked += 1
    assert checked > 1000


def test_the_demo_contact_links_carry_their_interactions_owner_and_instant(db):
    # Loaded by COPY on PostgreSQL with the foreign keys suspended: the links' triggers still
    # give each the credit contacts reached are counted by (crm.ContactReach).
    seed()
    links = ContactReach.objects.all()
    astray = links.exclude(owner=F("interaction__owner"), occurred_at=F("interaction__occurred_at"))
    assert links.count() > 100
    assert not astray.exists()


def test_follow_ups_belong_to_whoever_held_the_client_when_they_were_done_or_now(db):
    seed()
    by_client = timelines()
    owners = dict(Client.objects.values_list("id", "owner_id"))
    for follow_up in FollowUp.objects.all():
        if follow_up.done_at:
            expected = by_client[follow_up.client_id].owner_id_at(follow_up.done_at)
        else:
            expected = owners[follow_up.client_id]
        assert follow_up.owner_id == expected


def test_current_owner_and_status_agree_with_their_histories(db):
    seed()
    for client in Client.objects.all():
        spans = list(client.ownerships.order_by("started_at"))
        assert spans[-1].ended_at is None and spans[-1].owner_id == client.owner_id
        for before, after in pairwise(spans):
            assert before.ended_at == after.started_at
            assert before.owner_id != after.owner_id
        latest = client.status_changes.order_by("-effective_on", "-id").first()
        assert latest.status == client.status
        assert spans[0].started_at == instant(client.relationship_started_on)
    assert ClientOwnership.objects.filter(ended_at__isnull=False).exists()
    assert ClientStatusChange.objects.filter(reason="Came back").exists() or (
        Client.objects.filter(status="churned").exists()
    )


def test_a_small_demo_has_every_kind_of_record(db):
    seed()
    for model in SUMMARY_MODELS:
        assert model.objects.exists(), model.__name__
    assert set(Client.objects.values_list("relationship_type", flat=True)) == set(
        RelationshipType.values
    )
    pairs = set(Interaction.objects.values_list("kind", "direction"))
    assert {kind for kind, _ in pairs} == set(Interaction.Kind.values)
    assert {direction for _, direction in pairs} == set(Interaction.Direction.values)
    replies = Interaction.objects.filter(in_reply_to__isnull=False).select_related("in_reply_to")
    assert replies.exists()
    for reply in replies:
        assert reply.in_reply_to.direction == "outbound"
        assert reply.in_reply_to.occurred_at <= reply.occurred_at
    assert set(SupportIssue.objects.values_list("priority", flat=True)) == set(Priority.values)
    assert any(issue.breached_sla for issue in SupportIssue.objects.exclude(resolved_at=None))
    for issue in SupportIssue.objects.all():
        assert issue.sla_hours == settings.SUPPORT_SLA_HOURS[issue.priority]
    assert set(Deal.objects.values_list("kind", flat=True)) == set(Deal.Kind.values)
    kinds = set(Deal.objects.exclude(closed_at=None).values_list("stage__kind", flat=True))
    assert kinds == {StageKind.WON, StageKind.LOST}
    assert RevenueLine.objects.values("product").distinct().count() >= 4
    assert RevenueLine.objects.filter(cost_to_serve__gt=0).exists()
    assert Project.objects.filter(completed_at__isnull=True, due_on__lt=TODAY).exists()
    assert set(FeedbackItem.objects.values_list("outcome", flat=True)) == {
        "implemented",
        "declined",
        "",
    }
    assert PartnerReferral.objects.filter(referred_client__isnull=False).exists()
    done = FollowUp.objects.exclude(done_at=None)
    assert any(f.was_on_time for f in done) and not all(f.was_on_time for f in done)
    assert FollowUp.objects.filter(done_at=None, due_on__lt=TODAY).exists()
    assert set(Response.objects.values_list("kind", flat=True)) == set(SurveyKind.values)
    assert Response.objects.filter(follow_up__isnull=False, kind=SurveyKind.NPS).exists()
    assert Response.objects.filter(may_quote=True).exclude(comment="").exists()
    assert Invitation.objects.filter(answered_at=None, status="delivered").exists()
    assert Invitation.objects.filter(answered_at=None, provisional_score__isnull=False).exists()


def month_starts(count: int) -> list[date]:
    first = TODAY.replace(day=1)
    starts = []
    for _ in range(count):
        first = (first - timedelta(days=1)).replace(day=1)
        starts.append(first)
    return starts


def test_the_demo_brm_has_data_behind_every_kpi_in_recent_months(db):
    """Every KPI of shared/kpis.md has a non-empty denominator for brm@example.com in each of
    the last three complete months."""
    seed()
    brm = User.objects.get(email="brm@example.com")
    by_client = timelines()
    clients = {c.id: c for c in Client.objects.all()}

    def book_on(day: date, kinds=None) -> list[int]:
        active = Client.objects.active_on(day).values_list("id", flat=True)
        return [
            cid
            for cid in active
            if by_client[cid].owner_id_at(instant(day)) == brm.id
            and (kinds is None or clients[cid].relationship_type in kinds)
        ]

    for first in month_starts(3):
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        after = last + timedelta(days=1)
        period = {"gte": instant(first), "lt": instant(after)}

        def between(field, period=period):
            return {f"{field}__gte": period["gte"], f"{field}__lt": period["lt"]}

        days = {"gte": first, "lt": after}
        answers = Response.objects.filter(owner=brm, **between("answered_at"))
        closes = DealStageChange.objects.filter(
            owner=brm, to_stage__kind__in=["won", "lost"], **between("changed_at")
        )
        contacts_added = [
            c
            for c in Contact.objects.filter(**between("created_at"))
            if by_client[c.client_id].owner_id_at(c.created_at) == brm.id
        ]
        strategic = book_on(last, [RelationshipType.STRATEGIC])
        partners = book_on(last, [RelationshipType.PARTNER])
        denominators = {
            "nps": answers.filter(kind="nps"),
            "csat": answers.filter(kind="csat"),
            "ces": answers.filter(kind="ces"),
            "survey_response_rate": Invitation.objects.filter(
                owner=brm, status="delivered", **between("created_at")
            ),
            "closed_loop_rate": answers.filter(
                Q(kind="nps", score__lte=6) | Q(kind="csat", score__lte=2)
            ),
            "testimonials": answers.filter(may_quote=True),
            "retention_and_churn": book_on(first),
            "tenure_depth_dormancy_engagement": book_on(last),
            "interactions_per_client": Interaction.objects.filter(
                owner=brm, **between("occurred_at")
            ),
            "follow_ups_completed": FollowUp.objects.filter(owner=brm, **between("done_at")),
            "follow_up_on_time_rate": FollowUp.objects.filter(
                owner=brm, due_on__gte=days["gte"], due_on__lt=days["lt"]
            ),
            "reply_conversion_rate": Interaction.objects.filter(
                owner=brm,
                direction="outbound",
                kind__in=["email", "message"],
                **between("occurred_at"),
            ),
            "network_reach": Interaction.objects.filter(
                owner=brm, contacts__isnull=False, **between("occurred_at")
            ),
            "network_growth": contacts_added,
            "strategic_alignment": [
                cid
                for cid in strategic
                if SharedGoal.objects.filter(
                    client_id=cid, reviews__reviewed_on__gt=last - timedelta(days=90)
                ).exists()
            ],
            "goal_attainment": SharedGoal.objects.filter(
                owner=brm, due_on__gte=days["gte"], due_on__lt=days["lt"]
            ),
            "feedback_implementation_rate": FeedbackItem.objects.filter(
                owner=brm, closed_on__gt=last - timedelta(days=365), closed_on__lte=last
            ),
            "revenue_arpc_roi": RevenueLine.objects.filter(
                owner=brm,
                cost_to_serve__gt=0,
                recognised_on__gte=days["gte"],
                recognised_on__lt=days["lt"],
            ),
            "revenue_growth_existing": RevenueLine.objects.filter(
                owner=brm,
                recognised_on__gte=(first - timedelta(days=1)).replace(day=1),
                recognised_on__lt=first,
            ),
            "upsell_rate": closes.filter(deal__kind__in=["upsell", "cross_sell"]),
            "close_rate": closes,
            "avg_deal_value_and_sales_cycle": closes.filter(to_stage__kind="won"),
            "stage_conversion_and_days": DealStageChange.objects.filter(
                owner=brm, from_stage__isnull=False, **between("changed_at")
            ),
            "first_response_hours": SupportIssue.objects.filter(
                owner=brm, **between("first_response_at")
            ),
            "resolution_hours_and_sla": SupportIssue.objects.filter(
                owner=brm, **between("resolved_at")
            ),
            "project_completion_rate": Project.objects.filter(
                owner=brm, due_on__gte=days["gte"], due_on__lt=days["lt"]
            ),
            "partners_active": partners,
            "partner_revenue": RevenueLine.objects.filter(
                owner=brm,
                client__sourced_by_partner__isnull=False,
                recognised_on__gte=days["gte"],
                recognised_on__lt=days["lt"],
            ),
            "partner_referrals": PartnerReferral.objects.filter(
                owner=brm, received_on__gte=days["gte"], received_on__lt=days["lt"]
            ),
            "partners_certified": PartnerCertification.objects.filter(
                partner_id__in=partners, valid_from__lte=last, valid_until__gte=last
            ),
        }
        empty = [key for key, rows in denominators.items() if not len(rows)]
        assert not empty, f"no data in {first:%B %Y} for {empty}"


def test_seed_demo_reports_what_exists_when_run_again(db, capsys):
    options = ["--brms=4", "--clients=30", "--months=3", "--today=2026-06-17"]
    call_command("seed_demo", *options)
    first = capsys.readouterr().out
    call_command("seed_demo", *options)
    second = capsys.readouterr().out
    assert "crm_interaction" in first and "rows/s" in first
    assert "nothing was added" in second
    assert "clients                              30" in second
    assert "brm@example.com" in second


@pytest.mark.parametrize(
    "options",
    [["--brms=0"], ["--clients=2"], ["--months=0"], ["--teams=9", "--brms=3"]],
)
def test_an_impossible_scale_is_refused_with_a_clear_message(db, options):
    with pytest.raises(CommandError, match="Invalid demo scale"):
        call_command("seed_demo", *options)
    assert not User.objects.exists()


def test_the_demo_puts_real_survey_e_mails_in_the_dev_mailbox(db, settings):
    from django.core import mail

    from demo.seed import demo_invite_to_surveys, demo_seed
    from surveys.services import outbound_email_send

    demo_seed(scale=SMALL)
    invitations = demo_invite_to_surveys(count=2)
    assert len(invitations) == 2
    for email in invitations[0].emails.all() | invitations[1].emails.all():
        assert outbound_email_send(email_id=email.pk)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(i.contact.email for i in invitations)
    assert all("/s/" in m.body for m in mail.outbox)


@needs_postgresql("planner statistics are PostgreSQL's")
def test_the_loaded_tables_have_planner_statistics_before_the_first_survey_is_sent(db):
    from django.db import connection

    lines = []
    demo_seed(scale=SMALL, today=TODAY, progress=lines.append)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT tablename FROM pg_stats WHERE tablename IN "
            "('crm_contact', 'surveys_invitation')"
        )
        analysed = sorted(row[0] for row in cursor.fetchall())
    assert analysed == ["crm_contact", "surveys_invitation"]
    assert any(line.startswith("statistics (ANALYZE)") for line in lines)


def test_most_brm_quarters_reach_the_minimum_nps_sample_while_many_months_do_not(db):
    """The demo shows both cases a manager meets: NPS judged on a quarter of answers, and
    months flagged "low sample"."""
    from collections import Counter

    from metrics.periods import Period

    # The default density (25 clients a BRM), over the two complete quarters before TODAY.
    seed(DemoScale(brms=4, clients=100, months=7, seed=3))
    first, last = date(2025, 10, 1), date(2026, 3, 31)
    answers = Response.objects.filter(
        kind=SurveyKind.NPS, answered_at__gte=instant(first), answered_at__lt=instant(last)
    ).values_list("owner_id", "answered_at")
    months, quarters = Counter(), Counter()
    for owner, answered in answers:
        day = timezone.localdate(answered)
        months[owner, Period.containing("month", day)] += 1
        quarters[owner, Period.containing("quarter", day)] += 1
    minimum = settings.SURVEY_MIN_SAMPLE
    judged_quarters = sum(1 for n in quarters.values() if n >= minimum) / len(quarters)
    low_months = sum(1 for n in months.values() if n < minimum) / len(months)
    assert judged_quarters >= 0.6, quarters
    assert low_months >= 0.5, months
