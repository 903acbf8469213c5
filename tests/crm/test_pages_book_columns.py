"""The book's columns people expect: revenue, renewal and NPS over 12 months, each sortable,
and the CSV export of exactly the rows the filters select."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.csvfiles import BOM
from crm.models import Deal
from surveys.models import Response, SurveyKind
from surveys.selectors import survey_results
from tests.factories import (
    ClientFactory,
    DealFactory,
    FollowUpFactory,
    InteractionFactory,
    RevenueLineFactory,
)
from tests.surveys.factories import UninvitedResponseFactory

BOOK = reverse("client_list")


def names(response) -> list[str]:
    return [client.name for client in response.context["page"].object_list]


def answer(client, score, *, days_ago=10, kind=SurveyKind.NPS):
    return UninvitedResponseFactory(
        client=client, kind=kind, score=score, answered_at=timezone.now() - timedelta(days=days_ago)
    )


def rows(response) -> list[dict]:
    text = b"".join(response.streaming_content if response.streaming else [response.content])
    text = text.decode()
    assert text.startswith(BOM)
    return list(csv.DictReader(io.StringIO(text[len(BOM) :])))


def test_nps_over_12_months_shows_the_score_with_its_number_of_answers(
    client, alice, alices_client
):
    for score in (10, 9, 8, 3):
        answer(alices_client, score)
    answer(alices_client, 0, days_ago=400)  # older than 12 months: not counted
    answer(alices_client, 1, kind=SurveyKind.CSAT)  # not an NPS answer
    client.force_login(alice)

    response = client.get(BOOK)
    row = response.context["page"].object_list[0]

    expected = survey_results(
        responses=Response.objects.filter(
            client=alices_client, answered_at__gte=timezone.now() - timedelta(days=365)
        ),
        invitations=alices_client.invitations.all(),
    ).nps
    assert (row.nps_n, row.nps) == (4, 25.0) == (expected.n, expected.value)
    assert "n=4" in response.content.decode()


def test_revenue_and_the_open_renewal_date_per_client(client, alice, alices_client):
    today = timezone.localdate()
    RevenueLineFactory(client=alices_client, amount=Decimal("1200.00"))
    RevenueLineFactory(
        client=alices_client, amount=Decimal("300.00"), recognised_on=today - timedelta(days=30)
    )
    RevenueLineFactory(
        client=alices_client, amount=Decimal("999.00"), recognised_on=today - timedelta(days=400)
    )
    DealFactory(
        client=alices_client, kind=Deal.Kind.RENEWAL, expected_close_on=today + timedelta(days=60)
    )
    DealFactory(
        client=alices_client, kind=Deal.Kind.RENEWAL, expected_close_on=today + timedelta(days=20)
    )
    DealFactory(
        client=alices_client, kind=Deal.Kind.UPSELL, expected_close_on=today + timedelta(days=5)
    )
    client.force_login(alice)

    row = client.get(BOOK).context["page"].object_list[0]

    assert row.revenue_12m == Decimal("1500.00")
    assert row.renewal_on == today + timedelta(days=20)


BIG, SMALL, SOON, EMPTY = "Big Spender", "Small Spender", "Renews Soon", "Empty Ltd"


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("-revenue", [BIG, SMALL, EMPTY, SOON]),
        ("revenue", [SMALL, BIG, EMPTY, SOON]),
        ("renewal", [SOON, BIG, EMPTY, SMALL]),
        ("-renewal", [SOON, BIG, EMPTY, SMALL]),
        ("-nps", [BIG, SMALL, EMPTY, SOON]),
        ("nps", [SMALL, BIG, EMPTY, SOON]),
        ("-name", [SMALL, SOON, EMPTY, BIG]),
    ],
)
def test_every_column_sorts_and_empty_values_go_last(client, alice, sort, order):
    today = timezone.localdate()
    big = ClientFactory(name="Big Spender", owner=alice)
    small = ClientFactory(name="Small Spender", owner=alice)
    soon = ClientFactory(name="Renews Soon", owner=alice)
    ClientFactory(name="Empty Ltd", owner=alice)
    RevenueLineFactory(client=big, amount=Decimal("9000.00"))
    RevenueLineFactory(client=small, amount=Decimal("10.00"))
    DealFactory(client=soon, kind=Deal.Kind.RENEWAL, expected_close_on=today + timedelta(days=9))
    answer(big, 10)
    answer(small, 2)
    client.force_login(alice)

    assert names(client.get(BOOK, {"sort": sort})) == order


@pytest.mark.parametrize("sort", ["password", "-", "nps;drop", "--name", "x" * 300])
def test_a_sort_outside_the_whitelist_falls_back_to_name(client, alice, alices_client, sort):
    ClientFactory(name="Zulu Zinc", owner=alice)
    client.force_login(alice)
    response = client.get(BOOK, {"sort": sort})
    assert response.status_code == 200
    assert names(response) == ["Acme Logistics", "Zulu Zinc"]


def test_a_column_heading_sorts_then_reverses(client, alice, alices_client):
    client.force_login(alice)
    headers = client.get(BOOK).context["headers"]
    assert headers["revenue"].querystring == "sort=-revenue"
    headers = client.get(BOOK, {"sort": "-revenue"}).context["headers"]
    assert headers["revenue"].querystring == "sort=revenue"
    assert headers["revenue"].direction == "descending"


def test_the_csv_export_holds_every_filtered_row_and_nothing_else(client, maria, alice, bob, carol):
    for n in range(30):
        ClientFactory(name=f"Alice client {n:02d}", owner=alice, industry="Retail")
    ClientFactory(name='=HYPERLINK("http://evil")', owner=alice, industry="Retail")
    ClientFactory(name="Bobs Bakery", owner=bob, industry="Food")
    ClientFactory(name="Carols Cars", owner=carol, industry="Retail")  # another team's
    client.force_login(maria)

    page = client.get(BOOK, {"q": "retail"})
    response = client.get(BOOK, {"q": "retail", "format": "csv", "page": "2"})

    assert response["Content-Type"].startswith("text/csv")
    exported = rows(response)
    assert len(exported) == 31 == page.context["page"].paginator.count
    assert "Carols Cars" not in {row["client"] for row in exported}
    assert '\'=HYPERLINK("http://evil")' in {row["client"] for row in exported}
    assert {"nps_12m", "nps_answers_12m", "revenue_12m", "renewal_on"} <= set(exported[0])
    assert "format=csv" in page.content.decode()


@pytest.mark.parametrize("who", ["alice", "maria", "admin_user"])
def test_the_book_with_every_column_costs_the_same_queries_for_3_or_30_clients(
    request, client, alice, django_assert_num_queries, who
):
    def add_clients(count):
        for _ in range(count):
            book_client = ClientFactory(owner=alice)
            InteractionFactory(client=book_client)
            FollowUpFactory(client=book_client)
            RevenueLineFactory(client=book_client)
            DealFactory(client=book_client, kind=Deal.Kind.RENEWAL)
            answer(book_client, 9)

    client.force_login(request.getfixturevalue(who))
    add_clients(3)
    with CaptureQueriesContext(connection) as baseline:
        assert len(names(client.get(BOOK, {"sort": "-nps"}))) == 3
    with CaptureQueriesContext(connection) as export_baseline:
        assert len(rows(client.get(BOOK, {"format": "csv"}))) == 3
    add_clients(27)
    with django_assert_num_queries(len(baseline)):
        assert len(names(client.get(BOOK, {"sort": "-nps"}))) == 25
    with django_assert_num_queries(len(export_baseline)):
        assert len(rows(client.get(BOOK, {"format": "csv"}))) == 30
