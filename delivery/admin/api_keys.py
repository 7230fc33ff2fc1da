"""API keys in the console, and the audit log of secret reveals and rotations.

Keys are minted by ``create_api_key``: the key shows once, on the answer's
page, then only its prefix; hashes never.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html

from delivery.admin.actions import CHANGE_FORM_TEMPLATE, ConfirmedAction, ConfirmedActionsMixin
from delivery.admin.display import badge
from delivery.admin.forms import adopt
from delivery.admin.lists import FastListMixin, ReadOnlyAdminMixin, TenantUidFilter
from subscriptions import api_keys
from subscriptions.models import ApiKey, SecretAccess

PLATFORM_KEY_PERMISSION = "hookplatform_subscriptions.add_platform_key"


class ApiKeyForm(forms.ModelForm):
    may_mint_platform_keys = False  # set per request by ApiKeyAdmin.get_form

    class Meta:
        model = ApiKey
        fields = ("name", "tenant")
        help_texts = {"tenant": "Leave empty for a platform key, which acts on every tenant (needs the "
                                "\"Can mint platform API keys\" permission)."}

    def clean_tenant(self):
        """A platform key reads every tenant's secrets: minting one is its own permission."""
        tenant = self.cleaned_data.get("tenant")
        if tenant is None and not self.may_mint_platform_keys:
            raise ValidationError("Choose a tenant: you may not mint platform keys.")
        return tenant


@admin.register(ApiKey)
class ApiKeyAdmin(FastListMixin, ConfirmedActionsMixin, admin.ModelAdmin):
    """Keys are minted by ``create_api_key``: the key shows once, then only its prefix; hashes never."""

    form = ApiKeyForm
    list_display = ("key_prefix", "name", "scope", "created_at", "last_used_at", "revoked")
    list_select_related = ("tenant",)
    list_filter = (TenantUidFilter,)
    search_fields = ("=prefix", "name")
    autocomplete_fields = ("tenant",)
    change_form_template = CHANGE_FORM_TEMPLATE
    confirmed_actions = (
        ConfirmedAction(name="revoke", label="Revoke", perform=lambda request, objects, data: _revoke(objects),
                        applies=lambda key: key.revoked_at is None,
                        explanation="Revoked keys stop working at once. This cannot be undone."),
    )

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "tenant")
        return ("key_prefix", "name", "scope", "created_at", "last_used_at", "revoked_at")

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj else ()

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.may_mint_platform_keys = request.user.has_perm(PLATFORM_KEY_PERMISSION)
        return form

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {"show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False}
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def save_model(self, request, obj, form, change):
        if change:
            return
        created, key = api_keys.create_api_key(tenant=form.cleaned_data.get("tenant"),
                                               name=form.cleaned_data.get("name") or "")
        adopt(obj, created)
        obj.minted_key = key

    def response_add(self, request, obj, post_url_continue=None):
        """The new key on this answer's page, once: never in the (signed, readable) messages cookie."""
        context = {**self.admin_site.each_context(request), "title": "New API key", "opts": self.opts,
                   "original": obj, "key": obj.minted_key}
        response = TemplateResponse(request, "admin/hookplatform/api_key_created.html", context)
        add_never_cache_headers(response)
        return response

    @admin.display(description="key")
    def key_prefix(self, obj):
        return format_html("<code>{}…</code>", obj.prefix)

    @admin.display(description="scope")
    def scope(self, obj):
        return badge("platform", "info") if obj.tenant_id is None else obj.tenant.uid

    @admin.display(description="revoked", boolean=True)
    def revoked(self, obj):
        return obj.revoked_at is not None


def _revoke(objects):
    live = [key for key in objects if key.revoked_at is None]
    for key in live:
        api_keys.revoke_api_key(key)
    return f"Revoked {len(live)} API key(s).", messages.SUCCESS if live else messages.WARNING


@admin.register(SecretAccess)
class SecretAccessAdmin(FastListMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit log of secret reveals and rotations (API, admin and Python): read-only, for staff."""

    list_display = ("at", "endpoint_id", "action", "actor")
    list_filter = ("action",)
    search_fields = ("=endpoint__id", "actor")
    search_help_text = "Exact endpoint id, or part of the actor (an API key prefix, a staff user name)."

    def has_change_permission(self, request, obj=None):
        return False
