"""Survey KPIs on small hand-built datasets; expected values worked out from shared/kpis.md."""

import math

import pytest

from crm.services import follow_up_complete, follow_up_create
from surveys.models import Invitation, SurveyKind
from tests.metrics.factories import InvitationFactory, ResponseFactory, local

pytestmark = pytest.mark.django_db


def answers(client, kind, scores, when=None, **fields):
    for score in scores:
        ResponseFactory(
            client=client, kind=kind, score=score, answered_at=when or local(2026, 3, 10), **fields
        )


def test_nps_keeps_its_parts_margin_and_low_sample_flag(alice, book_client, march_values):
    answers(book_client(alice), SurveyKind.NPS, [10, 9, 9, 8, 7, 6, 3])
    values = march_values()
    nps = values.result(alice, "nps")
    # P = 3, passives = 2, D = 2, N = 7: NPS = 100 × (3 − 2) / 7 = 14.2857
    assert nps.value == pytest.approx(14.2857)
    assert (nps.numerator, nps.denominator, nps.sample) == (1, 7, 7)
    assert nps.parts == {"promoters": 3, "passives": 2, "detractors": 2}
    # margin = 1.96 × 100 × √((3/7 + 2/7 − (1/7)²) / 7) = 196 × √(34/343) = 61.7085
    assert nps.margin_of_error == pytest.approx(196 * math.sqrt(34 / 343), abs=1e-4)
    # 7 answers is under the minimum sample of 10: shown, but flagged.
    assert values.row(alice, "nps").low_sample is True


def test_a_team_nps_is_the_nps_of_all_its_answers_not_the_mean_of_its_brms(
    alice, bob, carol, team, book_client, march_values
):
    answers(book_client(alice), SurveyKind.NPS, [10, 9, 9, 8, 7, 6, 3])  # 14.29
    answers(book_client(bob), SurveyKind.NPS, [10] * 10 + [0, 0])  # (10 − 2) / 12 = 66.67
    answers(book_client(carol), SurveyKind.NPS, [5])
    values = march_values()
    assert values[bob, "nps"] == pytest.approx(66.6667)
    assert values.row(bob, "nps").low_sample is False
    # Team: P = 13, D = 4, N = 19: 100 × 9 / 19 = 47.37, not (14.29 + 66.67) / 2 = 40.48.
    assert values[team, "nps"] == pytest.approx(47.3684)
    # Organisation adds Carol's detractor: P = 13, D = 5, N = 20 → 40.
    assert values["org", "nps"] == pytest.approx(40.0)


def test_csat_ces_and_testimonials(alice, book_client, march_values):
    client = book_client(alice)
    answers(client, SurveyKind.CSAT, [5, 4, 3, 2, 1])
    answers(client, SurveyKind.CES, [1, 2, 6])
    ResponseFactory(
        client=client, comment="Superb team", may_quote=True, answered_at=local(2026, 3, 3)
    )
    ResponseFactory(client=client, comment="", may_quote=True, answered_at=local(2026, 3, 3))
    ResponseFactory(client=client, comment="Fine", may_quote=False, answered_at=local(2026, 3, 3))
    values = march_values()
    assert values[alice, "csat"] == pytest.approx(40.0)  # 2 of 5 answers are 4 or 5
    assert values[alice, "ces"] == pytest.approx(3.0)  # (1 + 2 + 6) / 3
    assert values[alice, "testimonials"] == 1  # quotable and with a comment to quote


def test_survey_kpis_without_answers_are_no_data_not_zero(alice, book_client, march_values):
    book_client(alice)
    values = march_values()
    for kpi in ("nps", "csat", "ces", "survey_response_rate", "closed_loop_rate"):
        assert values[alice, kpi] is None, kpi
    assert values.row(alice, "nps").low_sample is False


def test_answers_count_in_the_period_of_their_local_day_across_a_dst_change(
    alice, book_client, march_values
):
    client = book_client(alice)
    # London is on GMT on 1 March and on BST (UTC+1) from 29 March 2026.
    answers(client, SurveyKind.NPS, [10], when=local(2026, 2, 28, 23, 59))  # February
    answers(client, SurveyKind.NPS, [10], when=local(2026, 3, 1, 0, 0))  # first instant
    answers(client, SurveyKind.NPS, [0], when=local(2026, 3, 31, 23, 30))  # 22:30 UTC: March
    answers(client, SurveyKind.NPS, [0], when=local(2026, 4, 1, 0, 30))  # 23:30 UTC: April
    assert march_values().result(alice, "nps").parts == {
        "promoters": 1,
        "passives": 0,
        "detractors": 1,
    }


def test_response_rate_counts_confirmed_answers_of_delivered_invitations(
    alice, book_client, march_values
):
    client = book_client(alice)
    sent = local(2026, 3, 9)
    answered = InvitationFactory(client=client, created_at=sent)
    ResponseFactory(client=client, invitation=answered, answered_at=local(2026, 3, 10))
    # A score picked from the e-mail but never confirmed is not an answer.
    InvitationFactory(client=client, created_at=sent, provisional_score=9, provisional_at=sent)
    InvitationFactory(client=client, created_at=sent)
    InvitationFactory(client=client, created_at=sent)
    InvitationFactory(
        client=client, created_at=sent, status=Invitation.Status.BOUNCED, delivered_at=None
    )
    # Handed to the mail server, then reported bounced: delivered_at stays, but not delivered.
    InvitationFactory(client=client, created_at=sent, status=Invitation.Status.BOUNCED)
    result = march_values().result(alice, "survey_response_rate")
    assert (result.value, result.numerator, result.denominator) == (25.0, 1, 4)


def test_closed_loop_counts_follow_ups_done_within_two_business_days(
    alice, book_client, march_values
):
    client = book_client(alice)

    def unhappy(kind, score, answered_at, done_at=None):
        follow_up = follow_up_create(
            client=client, owner=alice, title="Call back", due_on=answered_at.date()
        )
        if done_at:
            follow_up_complete(follow_up=follow_up, at=done_at)
        ResponseFactory(
            client=client, kind=kind, score=score, answered_at=answered_at, follow_up=follow_up
        )

    # Thursday 5 March: two business days run to the end of Monday 9 March → closed.
    unhappy(SurveyKind.NPS, 6, local(2026, 3, 5, 16), local(2026, 3, 9, 17))
    # Friday 6 March: deadline end of Tuesday 10 March; done Wednesday → not closed.
    unhappy(SurveyKind.NPS, 3, local(2026, 3, 6, 9), local(2026, 3, 11, 9))
    unhappy(SurveyKind.CSAT, 2, local(2026, 3, 12, 9))  # never followed up
    unhappy(SurveyKind.CSAT, 1, local(2026, 3, 12, 9), local(2026, 3, 12, 15))  # same day
    ResponseFactory(client=client, kind=SurveyKind.CSAT, score=3, answered_at=local(2026, 3, 12))
    result = march_values().result(alice, "closed_loop_rate")
    assert (result.numerator, result.denominator, result.value) == (2, 4, 50.0)
