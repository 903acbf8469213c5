"""Every list page: a CSV export of exactly the rows its filters select (as the user may read
them), and a fixed number of queries whatever the number of rows."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.csvfiles import BOM
from crm.models import Deal
from tests.factories import (
    ClientFactory,
    ContactFactory,
    DealFactory,
    FollowUpFactory,
    InteractionFactory,
    SupportIssueFactory,
)


def exported(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode()
    assert text.startswith(BOM)
    return list(csv.DictReader(io.StringIO(text[len(BOM) :])))


def _overdue(client_, days=5):
    return FollowUpFactory(client=client_, due_on=timezone.localdate() - timedelta(days=days))


# Each list: (url name, how to add one row to Alice's book, the CSV column naming a row).
LISTS = {
    "contacts": ("contact_list", lambda c: ContactFactory(client=c, phone="+44 20 7946 0000")),
    "today": ("today", _overdue),
    "pipeline": ("pipeline", lambda c: DealFactory(client=c)),
    "support": ("support_queue", lambda c: SupportIssueFactory(client=c)),
}


@pytest.mark.parametrize("name", LISTS)
def test_each_list_exports_its_rows_as_csv_with_the_button_on_the_page(
    client, alice, alices_client, bob, name
):
    url_name, add = LISTS[name]
    for _ in range(3):
        add(alices_client)
    add(ClientFactory(owner=bob))  # another BRM's: never in Alice's export
    client.force_login(alice)

    page = client.get(reverse(url_name))
    rows = exported(client.get(reverse(url_name), {"format": "csv"}))

    assert "format=csv" in page.content.decode()
    assert len(rows) == 3


def test_the_today_export_holds_every_overdue_follow_up_not_one_page(client, alice, alices_client):
    for days in range(1, 31):
        _overdue(alices_client, days)
    FollowUpFactory(client=alices_client, due_on=timezone.localdate() + timedelta(days=30))
    client.force_login(alice)

    rows = exported(client.get(reverse("today"), {"format": "csv", "overdue": "2"}))

    assert len(rows) == 30
    assert rows[0]["days_overdue"] == "30"


def test_a_phone_number_is_exported_formula_safe(client, alice, alices_client):
    ContactFactory(client=alices_client, name="=cmd|' /C calc'!A0", phone="+44 20 7946 0000")
    client.force_login(alice)
    rows = exported(client.get(reverse("contact_list"), {"format": "csv"}))
    assert rows[0]["phone"] == "'+44 20 7946 0000"
    assert rows[0]["name"].startswith("'=")


def test_the_contact_export_follows_the_search(client, alice, alices_client):
    ContactFactory(client=alices_client, name="Priya Patel")
    ContactFactory(client=alices_client, name="Sam Ode")
    client.force_login(alice)
    rows = exported(client.get(reverse("contact_list"), {"q": "priya", "format": "csv"}))
    assert [row["name"] for row in rows] == ["Priya Patel"]


def test_the_pipeline_filters_by_owner_with_totals_and_the_export_follows(
    client, maria, alice, bob, alices_client
):
    for client_, value, probability in (
        (alices_client, 1000, 50),
        (ClientFactory(owner=bob), 4000, 25),
    ):
        deal = DealFactory(client=client_, value=value)
        Deal.objects.filter(pk=deal.pk).update(probability=probability)
    client.force_login(maria)

    everyone = client.get(reverse("pipeline")).context["columns"][0]
    alices = client.get(reverse("pipeline"), {"owner": alice.pk}).context["columns"][0]
    rows = exported(client.get(reverse("pipeline"), {"owner": alice.pk, "format": "csv"}))

    assert (everyone.total, everyone.weighted) == (5000, 1500)
    assert (alices.total, alices.weighted) == (1000, 500)
    assert [row["owner"] for row in rows] == [alice.email]


def test_a_brm_gets_no_owner_filter_and_cannot_see_another_brms_deals_through_it(
    client, alice, bob, alices_client
):
    DealFactory(client=ClientFactory(owner=bob), value=4000)
    client.force_login(alice)
    response = client.get(reverse("pipeline"), {"owner": bob.pk})
    assert "owner" not in response.context["form"].fields
    assert all(not column.deals for column in response.context["columns"])


def test_a_manager_filtering_by_another_teams_brm_sees_the_whole_team_not_an_error(
    client, maria, carol, alices_client
):
    DealFactory(client=alices_client)
    client.force_login(maria)
    response = client.get(reverse("pipeline"), {"owner": carol.pk})
    assert response.status_code == 200
    assert sum(len(column.deals) for column in response.context["columns"]) == 1


def _search_row(c):
    ContactFactory(client=c, name="Zara Query")
    InteractionFactory(client=c, topic="Query about renewal")


QUERY_COUNTED = {
    "contacts": ("contact_list", {}, lambda c: ContactFactory(client=c)),
    "today": ("today", {}, _overdue),
    "pipeline": ("pipeline", {}, lambda c: DealFactory(client=c)),
    "support": ("support_queue", {}, lambda c: SupportIssueFactory(client=c)),
    "search": ("search", {"q": "query"}, _search_row),
}


@pytest.mark.parametrize("fmt", ["html", "csv"])
@pytest.mark.parametrize("who", ["alice", "maria"])
@pytest.mark.parametrize("name", QUERY_COUNTED)
def test_each_list_costs_the_same_queries_for_3_or_30_rows(
    request, client, alice, django_assert_num_queries, name, who, fmt
):
    url_name, params, add = QUERY_COUNTED[name]
    params = {**params, **({"format": "csv"} if fmt == "csv" else {})}
    client.force_login(request.getfixturevalue(who))

    def add_rows(count):
        for _ in range(count):
            add(ClientFactory(owner=alice))

    add_rows(3)
    with CaptureQueriesContext(connection) as baseline:
        assert client.get(reverse(url_name), params).status_code == 200
    add_rows(27)
    with django_assert_num_queries(len(baseline)):
        assert client.get(reverse(url_name), params).status_code == 200


def test_the_search_export_holds_exactly_the_results_shown(client, alice, alices_client, bob):
    ContactFactory(client=alices_client, name="Zara Query")
    InteractionFactory(client=alices_client, topic="Query about renewal")
    _search_row(ClientFactory(owner=bob))  # Bob's: found for nobody but Bob
    client.force_login(alice)

    page = client.get(reverse("search"), {"q": "query"})
    rows = exported(client.get(reverse("search"), {"q": "query", "format": "csv"}))

    assert "format=csv" in page.content.decode()
    assert [(r["kind"], r["name"], r["client"]) for r in rows] == [
        ("contact", "Zara Query", "Acme Logistics"),
        ("interaction", "Query about renewal", "Acme Logistics"),
    ]
