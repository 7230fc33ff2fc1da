"""Tenants in the console: created and changed through ``create_tenant`` / ``update_tenant``, never deleted here."""

from django import forms
from django.contrib import admin
from django.utils.html import format_html

from delivery.admin.display import changelist_url
from delivery.admin.forms import BoundedJSONField, DomainFormMixin, adopt
from delivery.admin.lists import FastListMixin
from subscriptions import tenants
from subscriptions.models import Endpoint, Tenant
from subscriptions.validation import validate_metadata, validate_tenant_uid


class TenantForm(DomainFormMixin, forms.ModelForm):
    class Meta:
        model = Tenant
        fields = ("uid", "name", "contact_email", "metadata")
        field_classes = {"metadata": BoundedJSONField}

    def domain_validate(self, cleaned):
        if not self.instance.pk:
            validate_tenant_uid(cleaned.get("uid"))
        validate_metadata(cleaned.get("metadata") or {})


@admin.register(Tenant)
class TenantAdmin(FastListMixin, admin.ModelAdmin):
    form = TenantForm
    list_display = ("uid", "name", "contact_email", "endpoints_link", "created_at")
    search_fields = ("=uid", "name")
    search_help_text = "Exact tenant uid, or part of the name."
    readonly_fields = ("created_at", "endpoints_link")

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "uid") if obj else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False  # a tenant's cascade is millions of rows: deleted through the API, not a form

    def save_model(self, request, obj, form, change):
        data = {key: form.cleaned_data.get(key) for key in ("name", "contact_email")}
        data["metadata"] = form.cleaned_data.get("metadata") or {}
        if change:
            tenants.update_tenant(obj, **data)
        else:
            adopt(obj, tenants.create_tenant(form.cleaned_data["uid"], **data))

    @admin.display(description="endpoints")
    def endpoints_link(self, obj):
        return format_html('<a href="{}">Endpoints</a>', changelist_url(Endpoint, tenant_uid=obj.uid))
