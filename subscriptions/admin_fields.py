"""Form fields of the admin that never turn hostile input into a 500."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.fields import InvalidJSONInput

from subscriptions.validation import MAX_JSON_DEPTH


class BoundedJSONField(forms.JSONField):
    """JSON nested deeper than Python's recursion limit is a form error, not a RecursionError (L12)."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except RecursionError:
            raise ValidationError(f"Nested over {MAX_JSON_DEPTH} levels.", code="invalid") from None

    def bound_data(self, data, initial):
        try:
            return super().bound_data(data, initial)
        except RecursionError:  # shown again as typed
            return InvalidJSONInput(data)

    def has_changed(self, initial, data):
        try:
            return super().has_changed(initial, data)
        except RecursionError:
            return True
