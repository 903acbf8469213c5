"""The contact links carry their interaction's credited owner and instant (``crm.ContactReach``,
kept by the triggers of migration ``crm.0016``), whatever writes the links or the interaction:
what the KPI engine's contacts reached count."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from crm.edits import interaction_update
from crm.models import ContactReach, Interaction
from crm.services import interaction_log
from tests.factories import ClientFactory, ContactFactory, InteractionFactory, UserFactory
from tests.markers import needs_postgresql

pytestmark = pytest.mark.django_db

Link = Interaction.contacts.through


def _credits() -> dict[tuple[int, int], tuple[int | None, object]]:
    """(interaction, contact) -> (owner, instant) as the links carry them."""
    return {
        (reach.interaction_id, reach.contact_id): (reach.owner_id, reach.occurred_at)
        for reach in ContactReach.objects.all()
    }


def test_contacts_named_when_logging_and_when_correcting_carry_the_interactions_credit():
    client = ClientFactory()
    ann, ben = ContactFactory(client=client), ContactFactory(client=client)
    at = timezone.now() - timedelta(days=3)
    call = interaction_log(
        client=client, logged_by=client.owner, kind="call", occurred_at=at, contacts=[ann]
    )
    interaction_update(
        interaction=call, by=client.owner, topic="Renewal", summary="", contacts=[ann, ben]
    )
    assert _credits() == {
        (call.pk, ann.pk): (client.owner_id, at),
        (call.pk, ben.pk): (client.owner_id, at),
    }


def test_links_follow_an_interaction_given_another_owner_or_instant_and_no_other():
    client = ClientFactory()
    ann = ContactFactory(client=client)
    moved, kept = InteractionFactory(client=client), InteractionFactory(client=client)
    moved.contacts.set([ann])
    kept.contacts.set([ann])
    bob = UserFactory()
    later = moved.occurred_at + timedelta(days=40)
    # Past the services (an admin's correction, a script): a QuerySet update, then a save.
    Interaction.objects.filter(pk=moved.pk).update(owner=bob)
    moved.refresh_from_db()
    moved.occurred_at = later
    moved.save()
    assert _credits() == {
        (moved.pk, ann.pk): (bob.pk, later),
        (kept.pk, ann.pk): (client.owner_id, kept.occurred_at),
    }


def test_links_written_in_bulk_or_moved_to_another_interaction_take_its_credit():
    client = ClientFactory()
    ann, ben = ContactFactory(client=client), ContactFactory(client=client)
    first = InteractionFactory(client=client)
    second = InteractionFactory(
        client=client, owner=UserFactory(), occurred_at=first.occurred_at - timedelta(days=9)
    )
    # As an import or the demo loader writes them: rows of the link table, no model instance.
    Link.objects.bulk_create(
        [Link(interaction=first, contact=ann), Link(interaction=first, contact=ben)]
    )
    Link.objects.filter(contact=ben).update(interaction=second)
    assert _credits() == {
        (first.pk, ann.pk): (first.owner_id, first.occurred_at),
        (second.pk, ben.pk): (second.owner_id, second.occurred_at),
    }


def test_a_credit_written_on_a_link_directly_is_replaced_by_its_interactions():
    interaction = InteractionFactory()
    interaction.contacts.set([ContactFactory(client=interaction.client)])
    ContactReach.objects.update(owner=UserFactory(), occurred_at=timezone.now() - timedelta(9))
    assert set(_credits().values()) == {(interaction.owner_id, interaction.occurred_at)}


def test_a_link_to_an_interaction_that_does_not_exist_is_refused_not_left_without_credit():
    contact = ContactFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Link.objects.bulk_create([Link(interaction_id=999_999, contact=contact)])
    assert not ContactReach.objects.exists()


@needs_postgresql("two transactions writing at once are PostgreSQL's (SQLite has one writer)")
def test_a_contact_named_while_its_interaction_changes_owner_takes_the_new_owner(
    transactional_db,
):
    client = ClientFactory()
    ann = ContactFactory(client=client)
    interaction = InteractionFactory(client=client)
    bob = UserFactory()
    changed, release = threading.Event(), threading.Event()

    def correction():
        with transaction.atomic():
            Interaction.objects.filter(pk=interaction.pk).update(owner=bob)
            changed.set()
            release.wait(10)
        connection.close()

    def naming():
        interaction.contacts.add(ann)
        connection.close()

    corrector, namer = threading.Thread(target=correction), threading.Thread(target=naming)
    corrector.start()
    changed.wait(10)
    namer.start()
    # The link waits for the uncommitted correction (a lock on the interaction); released
    # only then, so that without that lock the link would be written with the old owner.
    deadline = time.monotonic() + 5
    while namer.is_alive() and time.monotonic() < deadline and not _someone_waits_on_a_lock():
        time.sleep(0.02)
    release.set()
    corrector.join()
    namer.join()
    assert _credits() == {(interaction.pk, ann.pk): (bob.pk, interaction.occurred_at)}


def _someone_waits_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock')"
        )
        return cursor.fetchone()[0]
