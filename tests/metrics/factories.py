"""Factories for the KPI tests: survey records as the KPI engine reads them, and targets."""

import itertools
from datetime import date, datetime, time

import factory
from django.utils import timezone

from metrics.models import Target
from surveys.models import Invitation, Response, SurveyKind, hash_token
from tests.factories import ClientFactory

_tokens = itertools.count()


def local(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """An instant given as wall-clock time in the organisation's time zone."""
    return timezone.make_aware(datetime.combine(date(year, month, day), time(hour, minute)))


class InvitationFactory(factory.django.DjangoModelFactory):
    """A delivered invitation (bypasses the outbox; only what the KPIs read is set)."""

    class Meta:
        model = Invitation

    client = factory.SubFactory(ClientFactory)
    contact = factory.LazyAttribute(
        lambda o: o.client.contacts.create(name="Pat Reader", email="pat@client.example")
    )
    owner = factory.LazyAttribute(lambda o: o.client.owner)
    kind = SurveyKind.NPS
    trigger = Invitation.Trigger.MANUAL
    question = "How likely are you to recommend us?"
    low_label = "Not at all likely"
    high_label = "Extremely likely"
    token_hash = factory.LazyFunction(lambda: hash_token(f"metrics-token-{next(_tokens)}"))
    created_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda o: o.created_at + timezone.timedelta(days=30))
    status = Invitation.Status.DELIVERED
    delivered_at = factory.LazyAttribute(lambda o: o.created_at)


class ResponseFactory(factory.django.DjangoModelFactory):
    """A confirmed answer, credited to the client's owner unless ``owner`` is given."""

    class Meta:
        model = Response

    client = factory.SubFactory(ClientFactory)
    owner = factory.LazyAttribute(lambda o: o.client.owner)
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
