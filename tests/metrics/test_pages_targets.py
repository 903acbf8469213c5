"""Admins change a KPI's target globally or for a team from a date; earlier targets stay as
history and snapshots already taken keep the target they were taken with."""

from datetime import date

import pytest
from django.urls import reverse

from metrics.models import Snapshot, Target
from metrics.periods import Period
from metrics.services import snapshot_take
from surveys.models import SurveyKind
from tests.metrics.factories import ResponseFactory, TargetFactory, local

pytestmark = pytest.mark.django_db


def post(client, **data):
    return client.post(reverse("targets"), data)


def test_an_admin_sets_a_team_target_from_a_date(client, admin_user, team):
    client.force_login(admin_user)
    response = post(
        client, kpi="nps", team=team.pk, value="60", tolerance="", effective_from="2026-04-01"
    )
    assert response.status_code == 302
    target = Target.objects.get()
    assert (target.kpi, target.team, target.value, target.tolerance) == ("nps", team, 60.0, None)
    assert target.effective_from == date(2026, 4, 1) and target.created_by == admin_user
    page = client.get(response.url).content.decode()
    assert "Enterprise North: 60" in page and "target 60 for Enterprise North" in page


def test_the_page_shows_what_is_in_force_and_the_history(client, admin_user, team):
    TargetFactory(kpi="csat", value=75, effective_from=date(2025, 1, 1))
    TargetFactory(kpi="csat", value=85, effective_from=date(2026, 1, 1))
    TargetFactory(kpi="csat", value=95, effective_from=date(2099, 1, 1))
    client.force_login(admin_user)
    response = client.get(reverse("targets") + "?kpi=csat")
    csat = next(line for line in response.context["lines"] if line.kpi.key == "csat")
    assert csat.global_text == "≥ 85.0 %"
    assert [row.value for row, _ in response.context["history"]] == [95, 85, 75]
    nps = next(line for line in response.context["lines"] if line.kpi.key == "nps")
    assert nps.global_text == "≥ 50" and nps.global_row is None


def test_a_second_target_for_the_same_day_and_scope_is_refused_and_nothing_is_lost(
    client, admin_user
):
    TargetFactory(kpi="nps", value=50, effective_from=date(2026, 4, 1))
    client.force_login(admin_user)
    response = post(client, kpi="nps", value="70", effective_from="2026-04-01")
    assert response.status_code == 400
    assert Target.objects.get().value == 50
    assert response.context["form"].errors


@pytest.mark.parametrize(
    ("field", "value"),
    [("value", "lots"), ("tolerance", "-1"), ("effective_from", "soon"), ("kpi", "happiness")],
)
def test_bad_input_gets_a_clear_error_on_its_field(client, admin_user, field, value):
    client.force_login(admin_user)
    data = {"kpi": "nps", "value": "60", "effective_from": "2026-04-01", field: value}
    response = post(client, **data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Target.objects.exists()


def test_a_new_target_does_not_rewrite_a_scorecard_already_taken(
    client, admin_user, alice, book_client
):
    march = Period.parse("2026-03")
    ResponseFactory(
        client=book_client(alice), kind=SurveyKind.NPS, score=10, answered_at=local(2026, 3, 3)
    )
    snapshot_take(period=march, freeze=True)
    client.force_login(admin_user)
    post(client, kpi="nps", value="99", effective_from="2026-01-01")
    row = Snapshot.objects.get(subject_type="brm", subject_id=alice.pk, kpi="nps", grain="month")
    assert row.target == 50
    page = client.get(
        reverse("scorecard", args=["brm", alice.pk]) + "?period=2026-03"
    ).content.decode()
    assert "≥ 50" in page
