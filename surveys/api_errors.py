"""One error shape for the whole API: `{"errors": {<key>: [<message>, ...]}}`.

A key is the path of the input at fault: a body field (`token`), a nested one with dots
(`answers.service`), a query parameter (`since`); or `detail` when the request as a
whole is refused (not signed in, not allowed, not found, malformed JSON, method not
allowed, too many requests). Messages are in the request's language, Polish by default:
`?jezyk=` on the public endpoints, `Accept-Language` elsewhere (and for a bad `?jezyk=`).

DRF's own errors pass through `exception_handler` (the EXCEPTION_HANDLER setting), so a
client reads one shape everywhere; `error_answer` documents it in the schema. Server errors
(500) stay Django's.
"""

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

REQUEST = "detail"  # the key for errors about the request as a whole


def flatten(detail: Any, path: str = "") -> dict[str, list[str]]:
    """DRF's error detail (nested dicts and lists) as path → messages."""
    errors: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            whole = key == api_settings.NON_FIELD_ERRORS_KEY or (not path and key == REQUEST)
            inner = path if whole else f"{path}.{key}" if path else str(key)
            for name, messages in flatten(value, inner).items():
                errors.setdefault(name, []).extend(messages)
    elif isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        # A list of items (ListField, many=True): errors per position, valid ones empty.
        for index, item in enumerate(detail):
            for name, messages in flatten(item, f"{path}.{index}" if path else str(index)).items():
                errors.setdefault(name, []).extend(messages)
    elif isinstance(detail, list):
        errors[path or REQUEST] = [str(message) for message in detail]
    else:
        errors[path or REQUEST] = [str(detail)]
    return errors


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, exceptions.ParseError):
        # DRF's parser message is English and untranslatable ("JSON parse error - …").
        exc = exceptions.ParseError(_("The request body is not valid JSON."))
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = {"errors": flatten(response.data)}
    return response


class ErrorsSerializer(serializers.Serializer):
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Path of the input at fault (`token`, `answers.service`, `since`), or "
        "`detail` for the request as a whole → messages in the request's language.",
    )


def error_answer(description: str) -> OpenApiResponse:
    """A documented error answer: the one shape, and when it happens."""
    return OpenApiResponse(ErrorsSerializer, description=description)
