"""What the console's forms share: the domain's validation beside the fields, and JSON that never 500s.

Forms validate and save through the same domain functions as the REST API
(``create_endpoint``, ``update_endpoint``, ``create_tenant``, ...), so the
admin states no rule of its own.
"""

from django.core.exceptions import ValidationError

from delivery.endpoint_form_fields import BoundedJSONField, OptionalJSONField  # noqa: F401 (the console's forms' JSON)


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
