"""Survey factories. ``InvitationFactory`` keeps the raw token on the instance (``.token``) as a
test convenience: the database stores only its hash, as the real service does."""

from datetime import timedelta

import factory
from django.utils import timezone

from surveys.models import (
    Invitation,
    OutboundEmail,
    Response,
    SurveyExclusion,
    SurveyKind,
    hash_token,
)
from surveys.services import new_token
from tests.factories import ClientFactory, ContactFactory


class InvitationFactory(factory.django.DjangoModelFactory):
    """A delivered invitation, as if its e-mail went out (bypasses the outbox)."""

    class Meta:
        model = Invitation

    token = factory.LazyFunction(new_token)
    contact = factory.SubFactory(ContactFactory)
    client = factory.LazyAttribute(lambda o: o.contact.client)
    owner = factory.LazyAttribute(lambda o: o.client.owner)
    kind = SurveyKind.NPS
    trigger = Invitation.Trigger.MANUAL
    question = "How likely are you to recommend us to a friend or colleague?"
    low_label = "Not at all likely"
    high_label = "Extremely likely"
    token_hash = factory.LazyAttribute(lambda o: hash_token(o.token))
    created_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda o: o.created_at + timedelta(days=30))
    status = Invitation.Status.DELIVERED
    delivered_at = factory.LazyAttribute(lambda o: o.created_at)

    @classmethod
    def _create(cls, model_class, *args, token, **kwargs):
        invitation = super()._create(model_class, *args, **kwargs)
        invitation.token = token
        return invitation


class ResponseFactory(factory.django.DjangoModelFactory):
    """A confirmed answer; its invitation is marked answered, as ``response_record`` does."""

    class Meta:
        model = Response

    invitation = factory.SubFactory(InvitationFactory)
    client = factory.LazyAttribute(lambda o: o.invitation.client)
    contact = factory.LazyAttribute(lambda o: o.invitation.contact)
    owner = factory.LazyAttribute(lambda o: o.invitation.owner)
    kind = factory.LazyAttribute(lambda o: o.invitation.kind)
    score = 9
    answered_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyAttribute(lambda o: o.answered_at)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        response = super()._create(model_class, *args, **kwargs)
        Invitation.objects.filter(pk=response.invitation_id, answered_at__isnull=True).update(
            answered_at=response.answered_at
        )
        return response


class UninvitedResponseFactory(factory.django.DjangoModelFactory):
    """An answer with no invitation behind it (an imported one, or one whose invitation is
    not part of the test), credited to the client's owner unless ``owner`` is given."""

    class Meta:
        model = Response

    client = factory.SubFactory(ClientFactory)
    owner = factory.LazyAttribute(lambda o: o.client.owner)
    kind = SurveyKind.NPS
    score = 9
    answered_at = factory.LazyFunction(timezone.now)


class SurveyExclusionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyExclusion

    contact = factory.SubFactory(ContactFactory)
    excluded_by = factory.LazyAttribute(lambda o: o.contact.client.owner)
    reason = "Mid-way through a contract dispute handled by legal"


class OutboundEmailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutboundEmail

    purpose = OutboundEmail.Purpose.ALERT
    to = factory.Sequence(lambda n: f"brm{n}@example.com")
    subject = "Unhappy answer"
    text_body = "Call them back."
