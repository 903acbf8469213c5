"""Errors the services raise, answered as the API's JSON errors instead of a 500."""

from django.core.exceptions import ValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler


def api_exception_handler(exc, context):
    """Django's ValidationError (the services' "this would be an impossible state") becomes a
    400 with the same messages the pages show; everything else is DRF's usual answer."""
    if isinstance(exc, ValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    return exception_handler(exc, context)
