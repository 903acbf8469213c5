"""factory_boy factories for every app. Services create history rows; factories that bypass a
service say so, and tests that care about history go through the services."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import Role, Team, TeamMembership, User
from crm import models as crm

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    role = Role.BRM
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class TeamMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamMembership

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory)
    capacity = TeamMembership.Capacity.MEMBER
    started_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=365))


class ClientFactory(factory.django.DjangoModelFactory):
    """A client with its first ownership and status rows, as ``client_create`` makes them."""

    class Meta:
        model = crm.Client

    name = factory.Sequence(lambda n: f"Client {n} Ltd")
    relationship_type = crm.RelationshipType.FUNCTIONAL
    relationship_started_on = factory.LazyFunction(
        lambda: timezone.localdate() - timedelta(days=400)
    )
    owner = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from crm.services import client_create

        return client_create(**kwargs)


class ClientRecordFactory(factory.django.DjangoModelFactory):
    """A record of a client, credited to the client's owner unless ``owner`` is given."""

    class Meta:
        abstract = True

    client = factory.SubFactory(ClientFactory)
    owner = factory.LazyAttribute(lambda o: o.client.owner)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = crm.Contact

    client = factory.SubFactory(ClientFactory)
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"contact{n}@client.example")
    role = "Head of Operations"


class InteractionFactory(ClientRecordFactory):
    class Meta:
        model = crm.Interaction

    logged_by = factory.LazyAttribute(lambda o: o.client.owner)
    kind = crm.Interaction.Kind.MEETING
    direction = crm.Interaction.Direction.OUTBOUND
    occurred_at = factory.LazyFunction(timezone.now)
    topic = "Quarterly review"


class FollowUpFactory(ClientRecordFactory):
    class Meta:
        model = crm.FollowUp

    title = "Send the proposal"
    due_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=3))


class SupportIssueFactory(ClientRecordFactory):
    class Meta:
        model = crm.SupportIssue

    title = "Invoices do not reconcile"
    priority = crm.Priority.NORMAL
    sla_hours = 72
    opened_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=5))


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = crm.Product
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Product {n}")


class RevenueLineFactory(ClientRecordFactory):
    class Meta:
        model = crm.RevenueLine

    product = factory.SubFactory(ProductFactory)
    recognised_on = factory.LazyFunction(timezone.localdate)
    amount = Decimal("1000.00")
    cost_to_serve = Decimal("400.00")


class DealFactory(factory.django.DjangoModelFactory):
    """A deal as ``deal_create`` makes it: in the first open stage, with its creation row in the
    stage history."""

    class Meta:
        model = crm.Deal

    client = factory.SubFactory(ClientFactory)
    title = factory.Sequence(lambda n: f"Deal {n}")
    value = Decimal("5000.00")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from crm.services import deal_create

        return deal_create(**kwargs)
