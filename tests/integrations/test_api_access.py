"""The access matrix over every API endpoint: each role against Alice's client, with a
read-write token. The API answers exactly as the pages do (tests/security/test_access_matrix.py):
a row of a client the caller may not read does not exist, a client they may only read refuses
writes, and a refused write saves nothing."""

import pytest
from django.urls import get_resolver

from tests.integrations.endpoints import READS, WRITES
from tests.security.endpoints import READERS, ROLES, attempt, fingerprint

pytestmark = pytest.mark.django_db

BASE = "/api/v1/"


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("resource", READS, ids=str)
def test_each_role_reads_alices_records_through_the_api_only_as_the_pages_allow(
    request, api, world, resource, who
):
    pk = READS[resource](world)
    caller = api(request.getfixturevalue(who), "read")

    detail = caller.get(f"{BASE}{resource}/{pk}/")
    listed = caller.get(f"{BASE}{resource}/", {"page_size": 500})

    assert listed.status_code == 200
    listed_ids = {row["id"] for row in listed.json()["results"]}
    if who in READERS:
        assert detail.status_code == 200
        assert detail.json()["id"] == pk
        assert pk in listed_ids
    else:
        assert detail.status_code == 404
        assert pk not in listed_ids
        assert world.client.name not in detail.content.decode()


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.name)
def test_each_role_writes_alices_client_through_the_api_only_as_the_pages_allow(
    request, api, world, write, who
):
    caller = api(request.getfixturevalue(who), "write")

    response = attempt(
        world, write, lambda w: caller.post(f"{BASE}{write.path(w)}", write.data(w), format="json")
    )

    assert response.status_code == write.expected(who), response.content


@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.name)
def test_a_read_only_token_cannot_write_even_its_owners_own_book(api, world, alice, write):
    if write.prepare:
        write.prepare(world)
    before = fingerprint(world)

    response = api(alice, "read").post(
        f"{BASE}{write.path(world)}", write.data(world), format="json"
    )

    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert fingerprint(world) == before


def test_the_matrix_covers_every_api_route(world):
    """A new endpoint must join READS or WRITES (or be named here as public reference data),
    or this fails."""
    routes = set()

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns, route)
            elif route.startswith("api/v1/"):
                routes.add(route.removeprefix("api/v1/"))

    walk(get_resolver().url_patterns)
    # Reference data, and mail capture, which only ever writes to the caller's own book
    # (tests/integrations/test_mail_capture.py).
    reference = {"", "schema/", "deal-stages/", "deal-stages/<pk>/", "mail/"}
    exercised = {f"{r}/" for r in READS} | {f"{r}/<pk>/" for r in READS}
    for write in WRITES:
        parts = write.path(world).split("/")
        exercised.add("/".join("<pk>" if part.isdigit() else part for part in parts))
    normalised = {r.replace("(?P<pk>[^/.]+)", "<pk>").lstrip("^").rstrip("$") for r in routes}
    assert normalised - reference <= exercised, sorted(normalised - reference - exercised)
