"""Newest-first cursor pages: stable while rows are inserted, no COUNT over the table.

A cursor is opaque; a tampered one (bad base64, a position of the wrong type)
is a 400 naming ``cursor``, never a 404 or 500.
"""

import re

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination

MAX_BIGINT = 2**63 - 1
ENCODED_CURSOR = re.compile(r"^[A-Za-z0-9+/=_-]{1,512}$")
TEXT_POSITION = re.compile(r"^[A-Za-z0-9_]{1,64}$")


def _check_position(model, field_name, position):
    try:
        field = model._meta.get_field(field_name)
    except FieldDoesNotExist:
        return
    value = field.to_python(position)
    if isinstance(field, models.IntegerField | models.AutoField) and not 0 <= value <= MAX_BIGINT:
        raise ValueError("position out of range")
    if isinstance(value, str) and not TEXT_POSITION.match(value):
        raise ValueError("bad position")


class NewestFirstPagination(CursorPagination):
    """``?cursor=`` from the previous page's ``next``; ``?limit=`` 1 to 100 (default 50)."""

    ordering = "-id"
    page_size = 50
    max_page_size = 100
    page_size_query_param = "limit"
    invalid_cursor_message = "Invalid cursor: use the next or previous link of a page."

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        # isdigit() alone admits "²" and other digits int() refuses.
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 3) or not 1 <= int(raw) <= self.max_page_size:
            raise exceptions.ValidationError(
                {"limit": [f"limit is a whole number from 1 to {self.max_page_size}."]}
            )
        return int(raw)

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is not None and not ENCODED_CURSOR.match(encoded):
            raise exceptions.ValidationError({"cursor": [self.invalid_cursor_message]})
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            raise exceptions.ValidationError({"cursor": [self.invalid_cursor_message]})
        return cursor

    def paginate_queryset(self, queryset, request, view=None):
        cursor = self.decode_cursor(request) if request.query_params.get(self.cursor_query_param) else None
        if cursor is not None and cursor.position is not None:
            field = self.get_ordering(request, queryset, view)[0].lstrip("-")
            try:
                _check_position(queryset.model, field, cursor.position)
            except (DjangoValidationError, ValueError, TypeError, OverflowError):
                raise exceptions.ValidationError({"cursor": [self.invalid_cursor_message]})
        return super().paginate_queryset(queryset, request, view)


class AttemptPagination(NewestFirstPagination):
    """Attempts newest first by start time, served by the (endpoint, -started_at) index."""

    ordering = ("-started_at", "-id")
