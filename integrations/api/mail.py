"""``POST /api/v1/mail/``: a raw RFC 822 message, as inbound-mail services forward it, captured
for the token's user exactly as if it had reached their capture address."""

from __future__ import annotations

import logging

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import parsers, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations.mail.capture import mail_capture
from integrations.mail.parse import MalformedMail
from integrations.models import CapturedEmail

logger = logging.getLogger(__name__)


class RawMailParser(parsers.BaseParser):
    media_type = "message/rfc822"

    def parse(self, stream, media_type=None, parser_context=None) -> bytes:
        return stream.read() if stream is not None else b""


CAPTURE_RESULT = inline_serializer(
    "CapturedMail",
    {
        "id": serializers.IntegerField(),
        "status": serializers.ChoiceField(CapturedEmail.Status.choices),
        "interaction": serializers.IntegerField(allow_null=True),
        "client": serializers.IntegerField(allow_null=True),
        "review_reason": serializers.CharField(),
        "duplicate": serializers.BooleanField(),
    },
)


class MailCaptureView(APIView):
    parser_classes = [RawMailParser]

    @extend_schema(
        request={"message/rfc822": OpenApiTypes.BINARY},
        responses={201: CAPTURE_RESULT, 200: CAPTURE_RESULT},
        summary="Capture a raw e-mail for the calling user",
    )
    def post(self, request):
        try:
            captured, new = mail_capture(raw=request.data, user=request.user, source="api")
        except MalformedMail as error:
            logger.warning("Malformed mail posted by user %s rejected: %s", request.user.pk, error)
            return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        duplicate = not new
        interaction = captured.interaction
        return Response(
            {
                "id": captured.pk,
                "status": captured.status,
                "interaction": interaction.pk if interaction else None,
                "client": interaction.client_id if interaction else None,
                "review_reason": captured.review_reason,
                "duplicate": duplicate,
            },
            status=status.HTTP_200_OK if duplicate else status.HTTP_201_CREATED,
        )
