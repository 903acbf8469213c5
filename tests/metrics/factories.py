"""Factories for the KPI tests: survey records as the KPI engine reads them, and targets."""

from datetime import date, datetime, time

import factory
from django.utils import timezone

from accounts.models import Team
from crm.services import client_reassign, interaction_log
from metrics.models import Snapshot, Target
from metrics.periods import Period
from surveys.models import Response, SurveyKind
from tests.factories import ClientFactory, ClientRecordFactory
from tests.surveys import factories as survey_factories


def stored_snapshot(who, kpi: str, period: Period, breakdown: str = "") -> Snapshot:
    """The snapshot row stored for ``who`` (a BRM, or a Team) for ``kpi`` in ``period``;
    Snapshot.DoesNotExist when none was."""
    subject_type = "team" if isinstance(who, Team) else "brm"
    return Snapshot.objects.get(
        subject_type=subject_type,
        subject_id=who.pk,
        kpi=kpi,
        grain=period.grain,
        period_start=period.start,
        breakdown=breakdown,
    )


def logged(client, kind: str, occurred_at: datetime, **details):
    """An interaction with ``client`` logged through ``interaction_log`` by its owner."""
    return interaction_log(
        client=client, logged_by=client.owner, kind=kind, occurred_at=occurred_at, **details
    )


def hand_over(client, *, to, at: datetime) -> None:
    """Reassign ``client`` to ``to`` from ``at`` and reload it, so that what a test records for
    it next is in the new owner's name."""
    client_reassign(client=client, new_owner=to, at=at)
    client.refresh_from_db()


def local(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """An instant given as wall-clock time in the organisation's time zone."""
    return timezone.make_aware(datetime.combine(date(year, month, day), time(hour, minute)))


class InvitationFactory(survey_factories.InvitationFactory):
    """A delivered invitation to a contact made for ``client`` (bypasses the outbox)."""

    client = factory.SubFactory(ClientFactory)
    contact = factory.LazyAttribute(
        lambda o: o.client.contacts.create(name="Pat Reader", email="pat@client.example")
    )


class ResponseFactory(ClientRecordFactory):
    """A confirmed answer, credited to the client's owner unless ``owner`` is given."""

    class Meta:
        model = Response

    kind = SurveyKind.NPS
    score = 9
    answered_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyAttribute(lambda o: o.answered_at)
    source = Response.Source.IMPORT


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Target

    kpi = "nps"
    value = 50.0
    effective_from = date(2020, 1, 1)
