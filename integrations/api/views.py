"""REST API v1 over the book, survey answers and KPI snapshots.

Every list and object goes through the access module (``crm.access``, and
``metrics.selectors.snapshots_visible_to`` for scorecards): a row of a client the caller may not
read does not exist (404), a client they may read but not change answers writes with 403. Every
write calls the same service as the page, so crediting, validation and history match.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crm import services
from crm.access import client_for_user, clients_visible_to, record_for_user, records_visible_to
from crm.models import (
    Client,
    Contact,
    Deal,
    DealStage,
    FollowUp,
    Interaction,
    RevenueLine,
    SupportIssue,
)
from integrations.api import serializers as s
from integrations.api.pagination import SyncCursorPagination
from metrics.selectors import snapshots_visible_to
from surveys.models import Response as SurveyResponse

SYNC_PARAMETERS = [
    OpenApiParameter(
        "updated_since",
        OpenApiTypes.DATETIME,
        description="Only rows changed at or after this instant (ISO 8601; naive means the "
        "organisation's time zone).",
    ),
    OpenApiParameter("client", OpenApiTypes.INT, description="Only rows of this client."),
]


def parse_instant(value: str, name: str):
    """An ISO 8601 date-time from a query parameter; 400 naming the parameter otherwise."""
    try:
        instant = parse_datetime(value.strip())
    except ValueError:
        instant = None
    if instant is None:
        raise serializers.ValidationError({name: "Give an ISO 8601 date-time."})
    if timezone.is_naive(instant):
        instant = timezone.make_aware(instant)
    return instant


def parse_id(value: str, name: str) -> int:
    if not value.isdigit():
        raise serializers.ValidationError({name: "Give a numeric id."})
    return int(value)


class SyncListMixin:
    """``?updated_since=`` and ``?client=`` on lists; cursor pages oldest change first."""

    pagination_class = SyncCursorPagination
    updated_field = "updated_at"
    client_field = "client"

    def filter_queryset(self, queryset):
        params = self.request.query_params
        if "updated_since" in params:
            since = parse_instant(params["updated_since"], "updated_since")
            queryset = queryset.filter(**{f"{self.updated_field}__gte": since})
        if "client" in params and self.client_field:
            queryset = queryset.filter(**{self.client_field: parse_id(params["client"], "client")})
        return queryset


def record_action(
    name: str,
    service,
    *,
    record: str,
    takes: type[serializers.Serializer] | None = None,
    by: str | None = None,
):
    """A ``POST /<id>/<name>/`` endpoint of a viewset: the record must be one the caller may
    change (404/403 otherwise, through ``writable``); the input validated by ``takes`` (none
    when ``None``) goes to ``service(<record>=record, [<by>=caller,] **input)``, the same
    service the page calls; the answer is the record as the viewset lists it, read again."""

    def endpoint(self, request, pk=None):
        target = self.writable(pk)
        data = self.inputs(takes)[1] if takes is not None else {}
        if by is not None:
            data[by] = request.user
        service(**{record: target}, **data)
        return self.shown(target)

    endpoint.__name__ = endpoint.__qualname__ = name
    return extend_schema(request=takes)(action(detail=True, methods=["post"])(endpoint))


def record_create(service, *, takes: type[serializers.Serializer], by: str | None = None):
    """A viewset's ``create``: ``takes`` validates the input, whose ``client`` must be one the
    caller may change (404/403 otherwise); ``service(client=client, [<by>=caller,] **input)``
    creates the record; the answer is 201 with the record as the viewset lists it."""

    @extend_schema(request=takes)
    def create(self, request):
        client, data = self.inputs(takes)
        if by is not None:
            data[by] = request.user
        return self.created(service(client=client, **data))

    return create


@extend_schema_view(list=extend_schema(parameters=SYNC_PARAMETERS))
class ReadViewSet(SyncListMixin, viewsets.ReadOnlyModelViewSet):
    """Lists and reads of one record type, limited to the clients the caller may read; lists
    take ``?updated_since=`` and ``?client=``."""

    model = None
    related: tuple[str, ...] = ()

    def get_queryset(self):
        records = self.model.objects.select_related(*self.related)
        return records_visible_to(self.request.user, records)

    def writable(self, pk) -> object:
        """The record ``pk`` if the caller may change its client (404/403 otherwise)."""
        return record_for_user(self.request.user, self.model.objects.all(), pk, write=True)

    def shown(self, record, status_code: int = status.HTTP_200_OK) -> Response:
        """``record`` as its list shows it, read again after the service changed it."""
        record = self.get_queryset().get(pk=record.pk)
        return Response(self.get_serializer(record).data, status=status_code)

    def created(self, record) -> Response:
        return self.shown(record, status.HTTP_201_CREATED)

    def inputs(self, serializer_class) -> tuple[Client | None, dict]:
        """Validated input, and the client it names if the caller may change it."""
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        client = None
        if "client" in data:
            client = client_for_user(self.request.user, data.pop("client"), write=True)
        return client, data


# A record type the API also creates (``create = record_create(...)`` or its own). No
# docstring: a viewset's docstring is its operations' description in the schema.
class WriteViewSet(mixins.CreateModelMixin, ReadViewSet):
    pass


class ClientViewSet(ReadViewSet):
    """Clients in the caller's reach; churn and reactivate as on the client page."""

    serializer_class = s.ClientSerializer
    client_field = "pk"

    def get_queryset(self):
        return clients_visible_to(self.request.user)

    def writable(self, pk) -> Client:
        return client_for_user(self.request.user, pk, write=True)

    churn = record_action(
        "churn", services.client_churn, record="client", takes=s.ChurnInput, by="by"
    )
    reactivate = record_action(
        "reactivate", services.client_reactivate, record="client", takes=s.ReactivateInput, by="by"
    )


class ContactViewSet(WriteViewSet):
    model = Contact
    serializer_class = s.ContactSerializer

    create = record_create(services.contact_create, takes=s.ContactInput)


class InteractionViewSet(WriteViewSet):
    """Interactions; a reply names the outbound message it answers (``in_reply_to``), which is
    what reply conversion counts."""

    model = Interaction
    serializer_class = s.InteractionSerializer

    def get_queryset(self):
        return super().get_queryset().prefetch_related("contacts")

    @extend_schema(request=s.InteractionInput, responses={201: s.InteractionSerializer})
    def create(self, request):
        client, data = self.inputs(s.InteractionInput)
        contact_ids = set(data.pop("contacts"))
        contacts = list(Contact.objects.filter(client=client, pk__in=contact_ids))
        if len(contacts) != len(contact_ids):
            raise serializers.ValidationError({"contacts": "Name contacts of this client only."})
        reply_to = data.pop("in_reply_to", None)
        if reply_to is not None:
            reply_to = Interaction.objects.filter(client=client, pk=reply_to).first()
            if reply_to is None:
                raise serializers.ValidationError({"in_reply_to": "Name a message of this client."})
        interaction = services.interaction_log(
            client=client, logged_by=request.user, contacts=contacts, in_reply_to=reply_to, **data
        )
        return self.created(interaction)


class FollowUpViewSet(WriteViewSet):
    model = FollowUp
    serializer_class = s.FollowUpSerializer

    @extend_schema(request=s.FollowUpInput, responses={201: s.FollowUpSerializer})
    def create(self, request):
        client, data = self.inputs(s.FollowUpInput)
        return self.created(services.follow_up_create(client=client, owner=client.owner, **data))

    complete = record_action(
        "complete", services.follow_up_complete, record="follow_up", takes=s.FollowUpCompleteInput
    )


class DealViewSet(WriteViewSet):
    model = Deal
    related = ("stage",)
    serializer_class = s.DealSerializer

    create = record_create(services.deal_create, takes=s.DealInput, by="created_by")

    move = record_action("move", services.deal_move, record="deal", takes=s.DealMoveInput, by="by")


class DealStageViewSet(viewsets.ReadOnlyModelViewSet):
    """The pipeline's stages, for ``move``'s ``to_stage``."""

    serializer_class = s.DealStageSerializer
    queryset = DealStage.objects.order_by("position")
    pagination_class = None


class SupportIssueViewSet(WriteViewSet):
    model = SupportIssue
    serializer_class = s.SupportIssueSerializer

    create = record_create(services.support_issue_open, takes=s.SupportIssueInput)

    respond = record_action("respond", services.support_issue_respond, record="issue")
    resolve = record_action("resolve", services.support_issue_resolve, record="issue")


class RevenueLineViewSet(WriteViewSet):
    model = RevenueLine
    related = ("product",)
    serializer_class = s.RevenueLineSerializer

    @extend_schema(request=s.RevenueLineInput, responses={201: s.RevenueLineSerializer})
    def create(self, request):
        client, data = self.inputs(s.RevenueLineInput)
        line = services.revenue_line_record(client=client, product_name=data.pop("product"), **data)
        return self.created(line)


class SurveyAnswerViewSet(ReadViewSet):
    """Confirmed survey answers (read only: answers come from the people surveyed)."""

    model = SurveyResponse
    serializer_class = s.SurveyAnswerSerializer


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "updated_since",
                OpenApiTypes.DATETIME,
                description="Computed at or after this instant.",
            ),
            OpenApiParameter("kpi", OpenApiTypes.STR),
            OpenApiParameter("grain", OpenApiTypes.STR, enum=["month", "quarter", "year"]),
            OpenApiParameter("subject_type", OpenApiTypes.STR, enum=["brm", "team", "org"]),
            OpenApiParameter("subject_id", OpenApiTypes.INT),
            OpenApiParameter("period_start", OpenApiTypes.DATE),
        ]
    )
)
class SnapshotViewSet(SyncListMixin, viewsets.ReadOnlyModelViewSet):
    """KPI snapshots of the scorecards the caller may open."""

    serializer_class = s.SnapshotSerializer
    updated_field = "computed_at"
    client_field = ""
    filters = ("kpi", "grain", "subject_type", "subject_id", "period_start")

    class Pagination(SyncCursorPagination):
        ordering = ("computed_at", "id")

    pagination_class = Pagination

    def get_queryset(self):
        return snapshots_visible_to(self.request.user)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        wanted = {k: v for k, v in self.request.query_params.items() if k in self.filters}
        if "subject_id" in wanted:
            wanted["subject_id"] = parse_id(wanted["subject_id"], "subject_id")
        if "period_start" in wanted:
            try:
                wanted["period_start"] = serializers.DateField().to_internal_value(
                    wanted["period_start"]
                )
            except serializers.ValidationError as error:
                raise serializers.ValidationError({"period_start": error.detail}) from error
        return queryset.filter(**wanted)
