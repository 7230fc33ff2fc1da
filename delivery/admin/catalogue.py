"""The event-type catalogue in the console: archived rather than deleted, so past events keep their type."""

from django import forms
from django.contrib import admin

from delivery.admin.forms import BoundedJSONField, DomainFormMixin, adopt
from delivery.admin.lists import FastListMixin
from subscriptions import event_types
from subscriptions.models import EventType
from subscriptions.validation import validate_event_type_name


class EventTypeForm(DomainFormMixin, forms.ModelForm):
    class Meta:
        model = EventType
        fields = ("name", "description", "schema", "archived")
        field_classes = {"schema": BoundedJSONField}

    def domain_validate(self, cleaned):
        if not self.instance.pk:
            validate_event_type_name(cleaned.get("name"))
        event_types.validate_schema(cleaned.get("schema"))


@admin.register(EventType)
class EventTypeAdmin(FastListMixin, admin.ModelAdmin):
    form = EventTypeForm
    list_display = ("name", "description", "archived", "updated_at")
    list_filter = ("archived",)
    search_fields = ("name",)

    def get_readonly_fields(self, request, obj=None):
        return ("name",) if obj else ()

    def has_delete_permission(self, request, obj=None):
        return False  # archive instead: past events keep their type

    def save_model(self, request, obj, form, change):
        data = {key: form.cleaned_data.get(key) for key in ("description", "schema", "archived")}
        if change:
            event_types.update_event_type(obj, **data)
        else:
            adopt(obj, event_types.create_event_type(form.cleaned_data["name"], **data))
