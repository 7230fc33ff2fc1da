"""What the console's forms share: the domain's validation beside the fields, and JSON that never 500s.

Forms validate and save through the same domain functions as the REST API
(``create_endpoint``, ``update_endpoint``, ``create_tenant``, ...), so the
admin states no rule of its own.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.fields import InvalidJSONInput

from subscriptions.validation import MAX_JSON_DEPTH


def staff_actor(request):
    """Who did it, for the audit log."""
    return f"staff user {request.user.get_username()}"


def add_errors(form, exc):
    """Put a domain ValidationError on the form, field by field where it names one."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def adopt(obj, saved):
    """Make the admin's unsaved instance the row a domain function created, so the admin redirects to it."""
    for model_field in saved._meta.concrete_fields:
        setattr(obj, model_field.attname, getattr(saved, model_field.attname))
    obj._state.adding, obj._state.db = False, saved._state.db


class DomainFormMixin:
    """A ModelForm whose ``clean`` runs the domain's validation, so errors show beside the fields."""

    def domain_validate(self, cleaned):
        raise NotImplementedError

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            try:
                self.domain_validate(cleaned)
            except ValidationError as exc:
                add_errors(self, exc)
        return cleaned


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


class OptionalJSONField(BoundedJSONField):
    """Empty stays empty (Django would print ``null``), meaning "leave as it is"."""

    def prepare_value(self, value):
        return "" if value is None else super().prepare_value(value)
