"""What the API shows of each record (read serializers) and what it accepts to create one
(input serializers; the services validate the domain rules and save)."""

from __future__ import annotations

from rest_framework import serializers

from crm.input_rules import validate_single_line, validate_text, validate_year
from crm.models import (
    Client,
    Contact,
    Deal,
    DealStage,
    FollowUp,
    Interaction,
    LostReason,
    Priority,
    RevenueLine,
    SupportIssue,
)
from metrics.models import Snapshot
from surveys.models import Response

# --- Reads --------------------------------------------------------------------------------------


def book_record_fields(*fields: str) -> list[str]:
    """What the API shows of a book record: its id, client and owner (credited when it
    happened), then ``fields``, then ``updated_at`` (what ``?updated_since=`` reads)."""
    return ["id", "client", "owner", *fields, "updated_at"]


class ClientSerializer(serializers.ModelSerializer):
    class Meta:
        model = Client
        fields = [
            "id",
            "name",
            "relationship_type",
            "relationship_started_on",
            "status",
            "owner",
            "industry",
            "website",
            "notes",
            "sourced_by_partner",
            "created_at",
            "updated_at",
        ]


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = [
            "id",
            "client",
            "name",
            "email",
            "phone",
            "role",
            "opted_out_of_surveys",
            "created_at",
            "updated_at",
        ]


class InteractionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Interaction
        fields = book_record_fields(
            "logged_by",
            "kind",
            "direction",
            "occurred_at",
            "topic",
            "summary",
            "contacts",
            "in_reply_to",
            "created_at",
        )


class FollowUpSerializer(serializers.ModelSerializer):
    class Meta:
        model = FollowUp
        fields = book_record_fields(
            "title", "due_on", "done_at", "outcome", "origin", "interaction", "created_at"
        )


class DealSerializer(serializers.ModelSerializer):
    stage_name = serializers.CharField(source="stage.name", read_only=True)
    effective_probability = serializers.IntegerField(
        read_only=True,
        help_text="Percent the pipeline weighs the deal by: its probability, else its "
        "stage's default_probability, else 0.",
    )

    class Meta:
        model = Deal
        fields = book_record_fields(
            "title",
            "kind",
            "value",
            "stage",
            "stage_name",
            "expected_close_on",
            "probability",
            "effective_probability",
            "created_at",
            "closed_at",
            "lost_reason",
            "lost_note",
            "partner",
            "partner_role",
        )


class DealStageSerializer(serializers.ModelSerializer):
    class Meta:
        model = DealStage
        fields = ["id", "name", "position", "kind", "default_probability"]


class SupportIssueSerializer(serializers.ModelSerializer):
    class Meta:
        model = SupportIssue
        fields = book_record_fields(
            "contact",
            "title",
            "priority",
            "sla_hours",
            "status",
            "opened_at",
            "first_response_at",
            "resolved_at",
        )


class RevenueLineSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = RevenueLine
        fields = book_record_fields(
            "product", "recognised_on", "amount", "cost_to_serve", "deal", "description"
        )


class SurveyAnswerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Response
        fields = [
            "id",
            "client",
            "contact",
            "owner",
            "kind",
            "score",
            "comment",
            "may_quote",
            "answered_at",
            "source",
            "follow_up",
            "updated_at",
        ]


class SnapshotSerializer(serializers.ModelSerializer):
    class Meta:
        model = Snapshot
        fields = [
            "id",
            "subject_type",
            "subject_id",
            "kpi",
            "grain",
            "period_start",
            "breakdown",
            "value",
            "numerator",
            "denominator",
            "sample",
            "margin_of_error",
            "low_sample",
            "target",
            "tolerance",
            "status",
            "frozen",
            "formula_version",
            "computed_at",
        ]


# --- Inputs -------------------------------------------------------------------------------------


MULTI_LINE = {"base_template": "textarea.html"}


class CheckedInput(serializers.Serializer):
    """An API input with the site's input rules (``crm.input_rules``), as ``CheckedForm`` gives
    every web form: text refuses control characters (single-line unless the field is styled as
    a textarea, like its form field), dates refuse years out of bounds. So the API accepts what
    the pages accept, no more."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            if isinstance(field, serializers.CharField):
                multiline = field.style.get("base_template") == MULTI_LINE["base_template"]
                field.validators.append(validate_text if multiline else validate_single_line)
            elif isinstance(field, serializers.DateField | serializers.DateTimeField):
                field.validators.append(validate_year)
        return fields


class _ForClient(CheckedInput):
    client = serializers.IntegerField(help_text="Id of a client you may change.")


class ContactInput(_ForClient):
    name = serializers.CharField(max_length=150)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    role = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class InteractionInput(_ForClient):
    kind = serializers.ChoiceField(Interaction.Kind.choices)
    direction = serializers.ChoiceField(Interaction.Direction.choices, required=False)
    occurred_at = serializers.DateTimeField(required=False)
    topic = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    summary = serializers.CharField(required=False, allow_blank=True, default="", style=MULTI_LINE)
    contacts = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    in_reply_to = serializers.IntegerField(
        required=False, help_text="Id of the outbound message of this client this one answers."
    )


class FollowUpInput(_ForClient):
    title = serializers.CharField(max_length=200)
    due_on = serializers.DateField()


class FollowUpCompleteInput(CheckedInput):
    outcome = serializers.CharField(required=False, allow_blank=True, default="", style=MULTI_LINE)


class DealInput(_ForClient):
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(Deal.Kind.choices, default=Deal.Kind.NEW)
    value = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    expected_close_on = serializers.DateField(required=False, allow_null=True, default=None)


class DealMoveInput(CheckedInput):
    to_stage = serializers.PrimaryKeyRelatedField(queryset=DealStage.objects.all())
    at = serializers.DateTimeField(required=False)
    lost_reason = serializers.PrimaryKeyRelatedField(
        queryset=LostReason.objects.filter(active=True),
        required=False,
        help_text="For a move to a lost stage.",
    )
    lost_note = serializers.CharField(
        max_length=300, required=False, allow_blank=True, style=MULTI_LINE
    )


class SupportIssueInput(_ForClient):
    title = serializers.CharField(max_length=200)
    priority = serializers.ChoiceField(Priority.choices, default=Priority.NORMAL)


class RevenueLineInput(_ForClient):
    product = serializers.CharField(max_length=150)
    recognised_on = serializers.DateField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    cost_to_serve = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, default=0
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ChurnInput(CheckedInput):
    on = serializers.DateField(required=False)
    reason = serializers.CharField(max_length=200)


class ReactivateInput(CheckedInput):
    on = serializers.DateField(required=False)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
