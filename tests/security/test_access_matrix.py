"""The access matrix: every role against Alice's client, through every page that reads it and
every endpoint that writes it. A refusal is a 404 for someone who may not even read the client
(guessing ids reveals nothing) and a 403 for someone who may read but not change it, and a
refused request saves nothing at all."""

from functools import partial

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.urls import reverse

from crm import access
from crm.models import Contact, Deal, FollowUp, Interaction, SupportIssue
from surveys.models import Invitation, Response, SurveyExclusion
from tests.security.endpoints import ENDPOINTS, OWNERS, READERS, ROLES, attempt, fingerprint

pytestmark = pytest.mark.django_db

# --- Generated from crm.access: every kind of object and every page rule it lists -------------

# Who may read Alice's object of each kind that ``crm.access.OBJECT_KINDS`` lists.
KIND_READERS = {
    "clients": READERS,
    "people": READERS,
    # A team's totals: its members and its manager; an admin sees every team.
    "teams": {"alice", "bob", "maria", "admin_user"},
    # Side by side: only who oversees the team.
    "managed teams": {"maria", "admin_user"},
    "contacts": READERS,
    "interactions": READERS,
    "follow-ups": READERS,
    "client records": READERS,
    # Someone's imports: their own, and an admin's oversight.
    "import jobs": {"alice", "admin_user"},
}
# Who each rule of ``crm.access.PERMISSIONS`` lets through.
PERMISSION_HOLDERS = {
    "see the organisation": {"admin_user"},
    "compare teams": {"maria", "oscar", "admin_user"},
    "set targets": {"admin_user"},
    "keep a book": {"alice", "bob", "carol", "admin_user"},
    "choose a new client's owner": {"admin_user"},
    "filter lists by owner": {"maria", "oscar", "admin_user"},
    "reassign clients": {"maria", "oscar", "admin_user"},
    "start on Today": {"alice", "bob", "carol"},
    "import": {"alice", "bob", "carol", "admin_user"},
    "import into any book": {"admin_user"},
    "manage webhooks": {"admin_user"},
    "configure": {"admin_user"},
}


def _alices(kind_name: str, world, team, alice) -> list[tuple[object, object, str]]:
    """Alice's objects of a kind: (object, records queryset for a scoped rule, client field).
    A scoped rule is checked on a record of every app that belongs to her client."""
    if kind_name == "client records":
        return [
            (world.dana, Contact.objects.all(), "client"),
            (world.message, Interaction.objects.all(), "client"),
            (world.follow_up, FollowUp.objects.all(), "client"),
            (world.deal, Deal.objects.all(), "client"),
            (world.issue, SupportIssue.objects.all(), "client"),
            (world.unhappy, Response.objects.all(), "client"),
            (world.unhappy.invitation, Invitation.objects.all(), "client"),
            (world.exclusion, SurveyExclusion.objects.all(), "contact__client"),
        ]
    objects = {
        "clients": world.client,
        "people": alice,
        "teams": team,
        "managed teams": team,
        "contacts": world.dana,
        "interactions": world.message,
        "follow-ups": world.follow_up,
        "import jobs": world.import_job,
    }
    return [(objects[kind_name], None, "")]


def test_every_rule_of_the_access_module_is_in_the_matrix():
    assert set(KIND_READERS) == {kind.name for kind in access.OBJECT_KINDS}
    assert set(PERMISSION_HOLDERS) == set(access.PERMISSIONS)


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("kind", access.OBJECT_KINDS, ids=lambda kind: kind.name)
def test_each_role_sees_alices_objects_of_every_kind_only_as_the_access_module_says(
    request, world, team, alice, kind, who
):
    user = request.getfixturevalue(who)
    for obj, records, field in _alices(kind.name, world, team, alice):
        if kind.scoped:
            visible = kind.visible_to(user, records, client_field=field)
            fetch = partial(kind.for_user, user, records, obj.pk, client_field=field)
        else:
            visible = kind.visible_to(user)
            fetch = partial(kind.for_user, user, obj.pk)
        label = type(obj).__name__
        if who in KIND_READERS[kind.name]:
            assert visible.filter(pk=obj.pk).exists(), label
            assert fetch() == obj, label
        else:
            assert not visible.filter(pk=obj.pk).exists(), label
            with pytest.raises(Http404):
                fetch()


@pytest.mark.parametrize("who", ROLES)
def test_only_alices_owners_may_change_her_records_through_the_access_module(request, world, who):
    user = request.getfixturevalue(who)
    for obj, records, field in _alices("client records", world, None, None):
        fetch = partial(
            access.record_for_user, user, records, obj.pk, write=True, client_field=field
        )
        if who in OWNERS:
            assert fetch() == obj
        else:
            with pytest.raises(PermissionDenied if who in READERS else Http404):
                fetch()


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("rule", access.PERMISSIONS, ids=str)
def test_each_role_passes_the_page_rules_only_as_the_access_module_says(request, rule, who):
    user = request.getfixturevalue(who)
    assert access.PERMISSIONS[rule](user) == (who in PERMISSION_HOLDERS[rule])


# Whose books each role reads, as list pages word it (titles, the Owner column).
BOOK_SCOPES = {
    "alice": "own",
    "bob": "own",
    "carol": "own",
    "maria": "teams",
    "oscar": "teams",
    "admin_user": "all",
}


@pytest.mark.parametrize("who", ROLES)
def test_each_role_reads_the_books_the_access_module_says(request, who):
    assert access.book_scope(request.getfixturevalue(who)) == BOOK_SCOPES[who]


@pytest.mark.parametrize("who", ROLES)
def test_only_whoever_logged_an_interaction_or_an_admin_may_edit_it(request, world, who):
    user = request.getfixturevalue(who)
    assert access.may_edit_interaction(user, world.message) == (who in OWNERS)


def test_an_anonymous_visitor_sees_nothing_and_passes_no_rule(world, team, alice):
    nobody = AnonymousUser()
    for kind in access.OBJECT_KINDS:
        for _obj, records, field in _alices(kind.name, world, team, alice):
            visible = (
                kind.visible_to(nobody, records, client_field=field)
                if kind.scoped
                else kind.visible_to(nobody)
            )
            assert not visible.exists(), kind.name
    for rule, allows in access.PERMISSIONS.items():
        assert not allows(nobody), rule
    assert access.book_scope(nobody) == "own"
    assert not access.may_edit_interaction(nobody, world.message)


# --- Through the pages --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_each_role_may_write_alices_client_only_as_the_access_rules_say(
    request, client, world, endpoint, who
):
    client.force_login(request.getfixturevalue(who))

    response = attempt(world, endpoint, lambda w: client.post(endpoint.url(w), endpoint.data(w)))

    assert response.status_code == endpoint.expected(who)


@pytest.mark.parametrize("who", ROLES)
def test_the_quick_log_offers_and_accepts_only_clients_the_user_may_change(
    request, client, world, who
):
    client.force_login(request.getfixturevalue(who))
    offered = client.get(reverse("interaction_log")).context["form"].fields["client"].queryset
    before = fingerprint(world)

    response = client.post(
        reverse("interaction_log"), {"client": world.client.pk, "kind": "call", "topic": "Hi"}
    )

    if who in OWNERS:
        assert world.client in offered
        assert response.status_code == 302
        assert fingerprint(world) != before
    else:
        assert world.client not in offered
        assert response.status_code == 422
        assert "Select a valid choice" in response.content.decode()
        assert fingerprint(world) == before


READ_PAGES = {
    "client page": lambda w: reverse("client_detail", args=[w.client.pk]),
    "client's survey results": lambda w: reverse("survey_client_results", args=[w.client.pk]),
}


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("page", READ_PAGES, ids=str)
def test_each_role_reads_alices_client_pages_only_as_the_access_rules_say(
    request, client, world, page, who
):
    client.force_login(request.getfixturevalue(who))
    response = client.get(READ_PAGES[page](world))
    assert response.status_code == (200 if who in READERS else 404)
    if response.status_code == 404:
        assert world.client.name not in response.content.decode()


@pytest.mark.parametrize("who", ROLES)
def test_survey_results_for_everyone_list_only_answers_from_readable_clients(
    request, client, world, who
):
    world.unhappy.comment = "The invoices were wrong"
    world.unhappy.save()
    client.force_login(request.getfixturevalue(who))
    page = client.get(reverse("survey_results"), {"period": "all"}).content.decode()
    assert ("The invoices were wrong" in page) == (who in READERS)


SCORECARD_PAGES = {
    "Alice's scorecard": lambda alice, team: reverse("scorecard", args=["brm", alice.pk]),
    "Alice's scorecard as CSV": lambda alice, team: reverse(
        "scorecard_export", args=["brm", alice.pk]
    ),
    "Alice's NPS records": lambda alice, team: reverse(
        "kpi_records", args=["brm", alice.pk, "nps"]
    ),
    "the team side by side": lambda alice, team: reverse("team_matrix", args=[team.pk]),
    "the team side by side as CSV": lambda alice, team: reverse(
        "team_matrix_export", args=[team.pk]
    ),
}
SCORECARD_READERS = {
    "Alice's scorecard": READERS,
    "Alice's scorecard as CSV": READERS,
    "Alice's NPS records": READERS,
    "the team side by side": {"maria", "admin_user"},
    "the team side by side as CSV": {"maria", "admin_user"},
}


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("page", SCORECARD_PAGES, ids=str)
def test_each_role_opens_alices_scorecards_and_exports_only_as_the_access_rules_say(
    request, client, alice, team, page, who
):
    client.force_login(request.getfixturevalue(who))
    response = client.get(SCORECARD_PAGES[page](alice, team))
    assert response.status_code == (200 if who in SCORECARD_READERS[page] else 404)


@pytest.mark.parametrize("who", ROLES)
def test_each_role_exports_only_the_clients_it_may_read(request, client, world, who):
    client.force_login(request.getfixturevalue(who))
    for record_type in ("clients", "contacts", "follow_ups"):
        response = client.get(reverse("imports:export", args=[record_type]))
        assert response.status_code == 200
        assert (world.client.name in response.content.decode()) == (who in READERS), record_type


LIST_PAGES = ("client_list", "contact_list", "pipeline", "support_queue", "worklist")


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("fmt", ["page", "csv"])
@pytest.mark.parametrize("url_name", LIST_PAGES)
def test_each_list_page_and_its_csv_show_alices_client_only_to_its_readers(
    request, client, world, url_name, fmt, who
):
    world.follow_up.due_on = world.follow_up.due_on.replace(year=2020)
    world.follow_up.save()
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse(url_name), {"format": "csv"} if fmt == "csv" else {})
    if url_name == "worklist" and not access.may_compare_teams(response.wsgi_request.user):
        assert response.status_code == 403
        return
    assert response.status_code == 200
    if fmt == "csv":
        assert response["Content-Type"].startswith("text/csv")
    assert (world.client.name in response.content.decode()) == (who in READERS)


IMPORTERS = {"alice", "bob", "carol", "admin_user"}


@pytest.mark.parametrize("who", ROLES)
def test_only_brms_and_admins_reach_the_import_page(request, client, world, who):
    client.force_login(request.getfixturevalue(who))
    before = fingerprint(world)
    page = client.get(reverse("imports:import"))
    upload = client.post(reverse("imports:import"), {"record_type": "contacts"})
    assert page.status_code == (200 if who in IMPORTERS else 403)
    assert upload.status_code == (422 if who in IMPORTERS else 403)
    assert fingerprint(world) == before


@pytest.mark.parametrize("who", ["bob", "carol"])
def test_a_brm_cannot_import_records_into_someone_elses_book(
    request, client, world, import_jobs_run, who
):
    client.force_login(request.getfixturevalue(who))
    before = fingerprint(world)
    text = (
        "client,occurred_at,kind,logged_by,topic\n"
        f"{world.client.name},2025-01-06T10:00:00+00:00,call,{who}@example.com,Poach\n"
    )
    with import_jobs_run():
        uploaded = client.post(
            reverse("imports:import"),
            {"record_type": "interactions", "file": SimpleUploadedFile("x.csv", text.encode())},
        )
    checked = client.get(uploaded["Location"])
    assert checked.status_code == 422
    assert not checked.context["may_confirm"]
    # Their own dry run is all that was written.
    assert _without_import_jobs(fingerprint(world)) == _without_import_jobs(before)


def _without_import_jobs(fingerprint: tuple) -> tuple:
    counts, fields = fingerprint
    return {table: n for table, n in counts.items() if table != "crm.ImportJob"}, fields


ANONYMOUS_GETS = [
    "today",
    "client_list",
    "pipeline",
    "support_queue",
    "survey_results",
    "scorecard_home",
    "team_overview",
    "targets",
    "imports:import",
    "dev_mailbox",
    "interaction_log",
]


@pytest.mark.parametrize("name", ANONYMOUS_GETS)
def test_anonymous_visitors_are_sent_to_log_in_from_every_page(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_anonymous_writes_are_sent_to_log_in_and_save_nothing(client, world, endpoint):
    before = fingerprint(world)
    response = client.post(endpoint.url(world), endpoint.data(world))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert fingerprint(world) == before


def test_a_manager_cannot_hand_a_client_to_a_brm_outside_their_teams(client, world, maria, carol):
    client.force_login(maria)
    before = fingerprint(world)
    response = client.post(
        reverse("client_reassign", args=[world.client.pk]),
        {"reassign-new_owner": carol.pk, "reassign-reason": "Poaching"},
    )
    assert response.status_code == 422
    assert fingerprint(world) == before


@pytest.mark.parametrize("who", ROLES)
def test_only_admins_set_targets(request, client, world, who):
    client.force_login(request.getfixturevalue(who))
    before = fingerprint(world)
    response = client.post(
        reverse("targets"),
        {"kpi": "nps", "value": "60", "effective_from": "2026-01-01"},
    )
    if who == "admin_user":
        assert response.status_code == 302
        assert fingerprint(world) != before
    else:
        assert response.status_code == 404
        assert fingerprint(world) == before
