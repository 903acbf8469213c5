"""The scorecard, side-by-side and export pages render stored snapshots as they are: value,
sample, margin, target, status with a word, change and trend; "no data" is never 0; and each
page runs a fixed number of queries whatever the number of KPIs, BRMs or periods."""

import csv
import io
from datetime import date

import factory
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone

from metrics.models import Snapshot
from metrics.periods import Period
from metrics.registry import KPIS
from tests.factories import TeamFactory, TeamMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

MARCH = Period.parse("2026-03")
QUERY = "?grain=month&period=2026-03"


class SnapshotFactory(factory.django.DjangoModelFactory):
    """A stored KPI row, for tests about rendering (not about computing)."""

    class Meta:
        model = Snapshot

    subject_type = "brm"
    subject_id = 0
    kpi = "csat"
    grain = "month"
    period_start = MARCH.start
    value = 85.0
    numerator = 17.0
    denominator = 20.0
    sample = 20
    target = 80.0
    tolerance = 10.0
    status = "green"
    computed_at = factory.LazyFunction(timezone.now)
    formula_version = 1


def snap(who, kpi, value, *, period=MARCH, **fields):
    kind = "team" if who.__class__.__name__ == "Team" else "brm"
    return SnapshotFactory(
        subject_type=kind,
        subject_id=who.pk,
        kpi=kpi,
        value=value,
        period_start=period.start,
        **fields,
    )


def scorecard_url(kind, pk, query=QUERY):
    return reverse("scorecard", args=[kind, pk]) + query


def test_a_brm_sees_each_kpi_with_value_sample_target_status_and_change(client, alice):
    snap(alice, "csat", 85.0, numerator=17, denominator=20, sample=20)
    snap(alice, "csat", 70.0, period=MARCH.previous, numerator=7, denominator=10, status="red")
    snap(
        alice,
        "nps",
        40.0,
        numerator=6,
        denominator=15,
        sample=15,
        target=50,
        tolerance=20,
        status="amber",
        margin_of_error=31.2,
        parts={"promoters": 8, "passives": 5, "detractors": 2},
    )
    client.force_login(alice)
    response = client.get(scorecard_url("brm", alice.pk))
    assert response.status_code == 200
    page = response.content.decode()
    assert "85.0 %" in page and "17 of 20" in page and "≥ 80.0 %" in page
    assert "✓</span> On target" in page
    # +15 percentage points on February's 70 %, and that is better for a higher-is-better KPI.
    assert "+15.0 pp" in page and "(better)" in page and "was" in page
    # 40 ± 36 from 8 promoters, 5 passives and 2 detractors: the interval, not a bare 40.
    assert "40" in page and "95 % CI" in page and "4 to 76" in page and "n = 15" in page
    assert "!</span> Near target" in page
    assert "Promoters 8" in page and "Detractors 2" in page
    # The trend is an inline SVG described in words, no script needed.
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page
    assert "2026-03 85.0 %, on target" in page


def test_a_kpi_without_data_says_no_data_and_never_zero(client, alice):
    snap(alice, "csat", None, numerator=0, denominator=0, sample=0, status="no_data")
    snap(alice, "csat", 90.0, period=MARCH.previous)
    client.force_login(alice)
    card = client.get(scorecard_url("brm", alice.pk)).context["card"]
    row = next(row for row in card.rows if row.kpi.key == "csat")
    assert row.text == "No data"
    assert row.status.label == "No data"
    assert row.change is None
    assert "0.0 %" not in row.text


def test_a_low_sample_is_flagged_in_words(client, alice):
    snap(alice, "nps", 100.0, sample=3, denominator=3, low_sample=True, target=50, status="green")
    client.force_login(alice)
    page = client.get(scorecard_url("brm", alice.pk)).content.decode()
    assert "Low sample" in page and "n = 3" in page


def test_low_sample_survey_kpis_show_an_interval_and_stay_out_of_the_headline_score(client, alice):
    """An NPS of 50 from 4 answers and a CSAT of 2 of 2 are shown with their 95 % intervals
    and the status "low sample"; the score counts only the KPI judged on enough data."""
    snap(
        alice,
        "nps",
        50.0,
        numerator=2,
        denominator=4,
        sample=4,
        parts={"promoters": 3, "passives": 0, "detractors": 1},
        low_sample=True,
        status="low_sample",
    )
    snap(alice, "csat", 100.0, numerator=2, denominator=2, sample=2, low_sample=True)
    snap(alice, "churn_rate", 20.0, status="red", target=10)
    client.force_login(alice)
    response = client.get(scorecard_url("brm", alice.pk))
    card = response.context["card"]
    # Only churn (off target) is judged: 0 % on target, not 2 of 3.
    assert [part.kpi.key for part in card.composite.parts] == ["churn_rate"]
    assert card.composite.text == "0 %"
    rows = {row.kpi.key: row for row in card.rows}
    assert rows["nps"].status.label == rows["csat"].status.label == "Low sample"
    page = response.content.decode()
    # NPS 50 ± 85 clipped at 100; CSAT 2 of 2 is 34–100 % by Wilson, not simply "100 %".
    assert "−35 to 100" in page
    assert "34.2–100.0 %" in page
    assert "Low sample" in page


def test_kpis_with_no_data_in_twelve_periods_are_listed_not_shown_as_rows(client, alice):
    snap(alice, "csat", 85.0)
    client.force_login(alice)
    card = client.get(scorecard_url("brm", alice.pk)).context["card"]
    surveys = next(family for family in card.families if family.key == "surveys")
    assert [row.kpi.key for row in surveys.rows] == ["csat"]
    assert KPIS["nps"] in surveys.without_data


def test_the_headline_score_is_the_share_of_targeted_kpis_on_target(client, alice, settings):
    snap(alice, "csat", 85.0, status="green")
    snap(alice, "nps", 45.0, status="amber")
    snap(alice, "churn_rate", 20.0, status="red")
    snap(alice, "revenue", 5000.0, status="no_target", target=None)
    snap(alice, "ces", None, status="no_data")
    client.force_login(alice)
    composite = client.get(scorecard_url("brm", alice.pk)).context["card"].composite
    # Three targeted KPIs have data; one is on target. Untargeted and empty KPIs do not count.
    assert [part.kpi.key for part in composite.parts] == ["nps", "csat", "churn_rate"]
    assert composite.score == pytest.approx(100 / 3)
    settings.KPI_SCORE_WEIGHTS = {"csat": 2, "nps": 0}
    composite = client.get(scorecard_url("brm", alice.pk)).context["card"].composite
    # csat weighs 2, churn 1, NPS is left out: 2 of 3.
    assert composite.score == pytest.approx(200 / 3)
    assert "2 of 2 targeted" not in composite.text


def test_stage_breakdowns_are_listed_under_their_kpi(client, alice):
    for stage, value in [("Qualified", 50.0), ("Proposal", 75.0)]:
        snap(alice, "stage_conversion", value, breakdown=stage, status="no_target", target=None)
    client.force_login(alice)
    card = client.get(scorecard_url("brm", alice.pk)).context["card"]
    row = next(row for row in card.rows if row.kpi.key == "stage_conversion")
    assert [(b.snapshot.breakdown, b.text) for b in row.breakdowns] == [
        ("Proposal", "75.0 %"),
        ("Qualified", "50.0 %"),
    ]
    assert "breakdown=Proposal" in row.breakdowns[0].url


def test_previous_and_next_periods_are_one_click_away(client, alice):
    client.force_login(alice)
    nav = client.get(scorecard_url("brm", alice.pk)).context["nav"]
    assert nav["previous_url"].endswith("period=2026-02")
    assert nav["next_url"].endswith("period=2026-04")
    quarter = next(grain for grain in nav["grains"] if grain["label"] == "Quarter")
    assert quarter["url"].endswith("grain=quarter&period=2026-Q1")


def test_a_malformed_period_falls_back_to_the_current_month_with_a_message(client, alice):
    client.force_login(alice)
    response = client.get(scorecard_url("brm", alice.pk, "?period=March"))
    assert response.status_code == 200
    assert "not YYYY-MM" in response.context["period_error"]
    assert response.context["card"].period == Period.current("month")


def test_an_empty_period_explains_how_snapshots_are_taken(client, alice):
    client.force_login(alice)
    page = client.get(scorecard_url("brm", alice.pk)).content.decode()
    assert "No KPIs have been computed for 2026-03 yet" in page


def _fill(subject, kpis, periods):
    for kpi in kpis:
        for back in range(periods):
            snap(subject, kpi, 50.0, period=MARCH.shift(-back))


def test_the_scorecard_runs_the_same_queries_for_two_kpis_or_all_kpis_over_a_year(
    client, alice, django_assert_num_queries
):
    client.force_login(alice)
    _fill(alice, ["csat", "nps"], 1)
    with django_assert_num_queries(5) as small:
        client.get(scorecard_url("brm", alice.pk))
    Snapshot.objects.all().delete()
    _fill(alice, list(KPIS), 12)
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(scorecard_url("brm", alice.pk))


def test_the_team_matrix_puts_the_recomputed_team_beside_each_brm(client, alice, bob, maria, team):
    snap(team, "nps", 47.4, sample=19, denominator=19, target=50, tolerance=20, status="amber")
    snap(alice, "nps", 14.3, sample=7, denominator=7, status="red", low_sample=True)
    snap(bob, "nps", 66.7, sample=12, denominator=12, status="green")
    client.force_login(maria)
    response = client.get(reverse("team_matrix", args=[team.pk]) + QUERY)
    matrix = response.context["matrix"]
    assert [c.name for c in matrix.columns] == [
        "Enterprise North (team)",
        "Alice Adams",
        "Bob Brown",
    ]
    nps = next(row for family, rows in matrix.families for row in rows if row.kpi.key == "nps")
    # The team's own value (47.4 from all 19 answers), not the mean of 14.3 and 66.7.
    assert [cell.text for cell in nps.cells] == ["47", "14", "67"]
    # Alice's 7 answers are a low sample: shown, not judged.
    assert [cell.status.label for cell in nps.cells] == ["Near target", "Low sample", "On target"]
    page = response.content.decode()
    assert "low sample" in page


def test_the_matrix_sorts_brms_by_any_kpi_best_or_worst_first(client, alice, bob, maria, team):
    snap(alice, "churn_rate", 5.0, status="green", target=10)
    snap(bob, "churn_rate", 2.0, status="green", target=10)
    snap(alice, "csat", 90.0)
    snap(bob, "csat", 60.0, status="red")
    client.force_login(maria)
    url = reverse("team_matrix", args=[team.pk]) + QUERY

    def names(query):
        return [c.name for c in client.get(url + query).context["matrix"].columns[1:]]

    assert names("&sort=csat") == ["Alice Adams", "Bob Brown"]
    assert names("&sort=csat&order=worst") == ["Bob Brown", "Alice Adams"]
    # Lower churn is better, so Bob comes first.
    assert names("&sort=churn_rate") == ["Bob Brown", "Alice Adams"]
    assert names("&sort=nonsense") == ["Alice Adams", "Bob Brown"]


def test_the_matrix_runs_the_same_queries_for_one_or_five_brms(
    client, maria, alice, team, django_assert_num_queries
):
    client.force_login(maria)
    url = reverse("team_matrix", args=[team.pk]) + QUERY
    _fill(alice, ["csat", "nps"], 1)
    with django_assert_num_queries(5) as small:
        client.get(url)
    for n in range(4):
        brm = UserFactory(full_name=f"Extra {n}")
        TeamMembershipFactory(team=team, user=brm, started_on=date(2025, 1, 1))
        _fill(brm, list(KPIS), 1)
    _fill(team, list(KPIS), 1)
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(url)


def test_an_admin_compares_teams_and_the_organisation(client, admin_user, team, other_team):
    snap(team, "csat", 90.0)
    snap(other_team, "csat", 60.0, status="red")
    SnapshotFactory(subject_type="org", subject_id=0, kpi="csat", value=72.0)
    client.force_login(admin_user)
    matrix = client.get(reverse("team_overview") + QUERY).context["matrix"]
    assert [c.name for c in matrix.columns] == [
        "Organisation",
        "Enterprise North",
        "Mid-market South",
    ]
    csat = matrix.families[0][1][0]
    assert [cell.text for cell in csat.cells] == ["72.0 %", "90.0 %", "60.0 %"]


def test_a_manager_of_one_team_goes_straight_to_its_brms(client, maria, team):
    client.force_login(maria)
    response = client.get(reverse("team_overview") + QUERY)
    assert response.status_code == 302
    assert response.url == reverse("team_matrix", args=[team.pk]) + "?grain=month&period=2026-03"


def test_the_scorecard_exports_as_csv_with_raw_numbers_and_empty_no_data(client, alice):
    snap(alice, "csat", 85.0)
    snap(alice, "ces", None, status="no_data", numerator=0, denominator=0, sample=0)
    client.force_login(alice)
    response = client.get(reverse("scorecard_export", args=["brm", alice.pk]) + QUERY)
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    by_kpi = {row["kpi"]: row for row in rows if row["family"] != "score"}
    assert by_kpi["csat"]["value"] == "85.0" and by_kpi["csat"]["status"] == "green"
    assert by_kpi["ces"]["value"] == "" and by_kpi["ces"]["status"] == "no_data"


def test_the_team_matrix_exports_as_csv_with_a_column_per_person(client, maria, alice, team):
    alice.full_name = "=HYPERLINK(1)"
    alice.save()
    snap(team, "csat", 88.0)
    snap(alice, "csat", 85.0)
    client.force_login(maria)
    response = client.get(reverse("team_matrix_export", args=[team.pk]) + QUERY)
    header, csat, *_ = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    # A name that a spreadsheet would run as a formula is written as text.
    assert "'=HYPERLINK(1)" in header
    assert csat[:5] == ["Surveys", "csat", "Client satisfaction (CSAT)", "percent", "80.0"]
    assert csat[5:9] == ["88.0", "green", "85.0", "green"]


@pytest.mark.parametrize("who", ["alice", "maria", "admin_user"])
def test_every_role_gets_the_scorecard_from_the_menu(client, request, who, team):
    user = request.getfixturevalue(who)
    client.force_login(user)
    response = client.get(reverse("scorecard_home"), follow=True)
    assert response.status_code == 200
    assert "Scorecard" in [item["label"] for item in response.context["nav_items"]]
    subject = response.context["subject"]
    expected = {"alice": ("brm", user.pk), "maria": ("team", team.pk), "admin_user": ("org", 0)}
    assert (subject.type, subject.id) == expected[who]


def test_a_weight_for_an_unknown_kpi_stops_the_page_with_a_clear_error(client, alice, settings):
    settings.KPI_SCORE_WEIGHTS = {"happiness": 2}
    client.force_login(alice)
    with pytest.raises(ImproperlyConfigured, match="unknown KPI 'happiness'"):
        client.get(scorecard_url("brm", alice.pk))


@pytest.mark.parametrize("who", ["alice", "maria", "admin_user"])
def test_everyone_who_may_see_alices_scorecard_sees_the_same_stored_numbers(
    client, request, who, alice
):
    snap(alice, "csat", 85.0, numerator=17, denominator=20, sample=20)
    snap(alice, "retention_rate", 92.0, numerator=23, denominator=25, sample=25, target=90)
    client.force_login(request.getfixturevalue(who))
    response = client.get(scorecard_url("brm", alice.pk))
    shown = {row.kpi.key: (row.text, row.sample_text) for row in response.context["card"].rows}
    assert shown == {"csat": ("85.0 %", "17 of 20"), "retention_rate": ("92.0 %", "23 of 25")}
    # Each of them may open the records behind the numbers.
    assert f"/scorecard/brm/{alice.pk}/kpi/csat/" in response.content.decode()


def test_the_teams_overview_runs_the_same_queries_for_two_or_six_teams(
    client, admin_user, team, other_team, django_assert_num_queries
):
    client.force_login(admin_user)
    url = reverse("team_overview") + QUERY
    _fill(team, ["csat"], 1)
    with django_assert_num_queries(4) as small:
        client.get(url)
    for n in range(4):
        extra = TeamFactory(name=f"Extra team {n}")
        _fill(extra, list(KPIS), 1)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert len(response.context["matrix"].columns) == 7
