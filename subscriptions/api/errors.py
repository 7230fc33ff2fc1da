"""Errors as the contract says: 400 names each bad field, never a 500 for bad input.

Domain functions raise ``django.core.exceptions.ValidationError``; the views
translate it here, so the rules stay in the domain and one shape reaches clients.
"""

from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.views import exception_handler

NON_FIELD = "non_field_errors"


def _flatten(detail, prefix=""):
    """``{"field": ["message", ...]}`` whatever the nesting DRF produced."""
    if isinstance(detail, dict):
        flat = {}
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for field, messages in _flatten(value, name).items():
                flat.setdefault(field, []).extend(messages)
        return flat
    if isinstance(detail, list):
        flat = {}
        for item in detail:
            for field, messages in _flatten(item, prefix).items():
                flat.setdefault(field, []).extend(messages)
        return flat
    return {prefix or NON_FIELD: [str(detail)]}


def from_domain(exc, field=NON_FIELD, by_code=None):
    """A DRF 400 from a domain ``ValidationError``; plain messages go to ``field`` or by code."""
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError({name: msgs for name, msgs in exc.message_dict.items()})
    errors = {}
    for error in exc.error_list:
        name = (by_code or {}).get(error.code, field)
        errors.setdefault(name, []).extend(error.messages)
    return exceptions.ValidationError(errors)


@contextmanager
def domain_errors(field=NON_FIELD, by_code=None):
    """Run a domain call; its ``ValidationError`` becomes a 400 naming the field."""
    try:
        yield
    except DjangoValidationError as exc:
        raise from_domain(exc, field, by_code)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The resource is busy; try again."
    default_code = "conflict"


def handle_exception(exc, context):
    """DRF's handler, with 400 bodies flattened to field -> messages; domain errors and
    oversized bodies (which Django raises while DRF reads them) become JSON 400s too."""
    if isinstance(exc, DjangoValidationError):
        exc = from_domain(exc)
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = exceptions.ValidationError({NON_FIELD: [f"The request body is over {limit} bytes."]})
    if isinstance(exc, exceptions.ParseError):
        exc = exceptions.ValidationError({NON_FIELD: [str(exc.detail)]})
    response = exception_handler(exc, context)
    if response is not None and response.status_code == status.HTTP_400_BAD_REQUEST:
        response.data = _flatten(response.data)
    return response
