"""The operator's console for tenants, the event-type catalogue, endpoints and API keys.

Forms validate and save through the same domain functions as the REST API
(``create_endpoint``, ``update_endpoint``, ``create_api_key``, ...); actions
call ``disable_endpoint``, ``enable_endpoint``, ``rotate_secret``,
``recover_endpoint`` and ``send_test_event``.  No part of a secret is shown
but on an explicit, audited reveal; a new API key on its own page, once.
"""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.utils.timesince import timesince

from delivery import dashboard, operations
from delivery.admin import attempt_outcome
from delivery.admin_tools import (
    CHANGE_FORM_TEMPLATE,
    ConfirmedAction,
    ConfirmedActionsMixin,
    FastListMixin,
    ReadOnlyAdminMixin,
    TargetedSearchMixin,
    TenantUidFilter,
    badge,
    changelist_url,
    exact_time,
    pretty_json,
)
from subscriptions import api_keys, endpoints, event_types, secrets, tenants
from subscriptions.admin_fields import BoundedJSONField
from subscriptions.models import ApiKey, Endpoint, EventType, SecretAccess, Tenant
from subscriptions.validation import validate_event_type_name, validate_metadata, validate_tenant_uid

REVEAL_PERMISSION = "subscriptions.reveal_secret"
PLATFORM_KEY_PERMISSION = "subscriptions.add_platform_key"


def staff_actor(request):
    return f"staff user {request.user.get_username()}"


def _add_errors(form, exc):
    """Put a domain ValidationError on the form, field by field where it names one."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _adopt(obj, saved):
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
                _add_errors(self, exc)
        return cleaned


# --- Tenants ----------------------------------------------------------------------

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
            _adopt(obj, tenants.create_tenant(form.cleaned_data["uid"], **data))

    @admin.display(description="endpoints")
    def endpoints_link(self, obj):
        return format_html('<a href="{}">Endpoints</a>', changelist_url(Endpoint, tenant_uid=obj.uid))


# --- Event types ------------------------------------------------------------------------

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
            _adopt(obj, event_types.create_event_type(form.cleaned_data["name"], **data))


# --- Endpoints ------------------------------------------------------------------------

class OptionalJSONField(BoundedJSONField):
    """Empty stays empty (Django would print ``null``), meaning "leave as it is"."""

    def prepare_value(self, value):
        return "" if value is None else super().prepare_value(value)


class EndpointForm(DomainFormMixin, forms.ModelForm):
    url = forms.URLField(max_length=2048, assume_scheme="https",
                         widget=forms.URLInput(attrs={"class": "vURLField hp-wide-input"}))
    replace_headers = OptionalJSONField(
        required=False, label="Replace headers",
        help_text="A JSON object of custom headers. Leave empty to keep the current ones (shown above, "
                  "credentials redacted); enter {} to remove them all.")

    class Meta:
        model = Endpoint
        fields = ("tenant", "url", "description", "event_types", "rate_limit", "metadata")
        field_classes = {"event_types": BoundedJSONField, "metadata": BoundedJSONField}

    def domain_fields(self):
        """The editable fields as the domain functions take them."""
        cleaned = self.cleaned_data
        fields = {name: cleaned.get(name) for name in ("url", "description", "rate_limit")}
        fields["description"] = fields["description"] or ""
        fields["event_types"] = cleaned.get("event_types") or []
        fields["metadata"] = cleaned.get("metadata") or {}
        if cleaned.get("replace_headers") is not None:
            fields["headers"] = cleaned["replace_headers"]
        return fields

    def changed_fields(self):
        """The fields an edit changes: credentials still reading <redacted> are kept (same origin only)."""
        return {name: value for name, value in self.domain_fields().items()
                if name in self.changed_data or name == "headers" and "replace_headers" in self.changed_data}

    def domain_validate(self, cleaned):
        if not self.instance._state.adding:
            endpoints.prepare_changes(Endpoint.objects.get(pk=self.instance.pk), self.changed_fields())
        else:
            endpoints.validate_endpoint_fields(self.domain_fields())
            if cleaned.get("tenant"):
                endpoints.check_endpoint_cap(cleaned["tenant"])


class EndpointChangeList(ChangeList):
    """Attaches each shown endpoint's 24-hour health, computed for the page's rows only."""

    def get_results(self, request):
        super().get_results(request)
        self.result_list = list(self.result_list)
        health = dashboard.endpoint_health([endpoint.pk for endpoint in self.result_list])
        for endpoint in self.result_list:
            endpoint.health = health[endpoint.pk]


class DisableForm(forms.Form):
    reason = forms.CharField(max_length=512, initial="Disabled by an operator.",
                             help_text="Shown to the tenant and on the endpoint list.")


class TestEventForm(forms.Form):
    event_type = forms.ChoiceField(help_text="The example event goes to the selected endpoints only.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = EventType.objects.filter(archived=False).values_list("name", flat=True)[:500]
        self.fields["event_type"].choices = [(name, name) for name in names]


class RecoverForm(forms.Form):
    since = forms.SplitDateTimeField(widget=AdminSplitDateTime, label="Resend failed deliveries created since",
                                     help_text="UTC.")

    def clean_since(self):
        since = self.cleaned_data["since"]
        if since > timezone.now():
            raise ValidationError("Pick a time in the past.")
        return since


def _disable(request, objects, data):
    done = [e for e in objects if not e.disabled]
    for endpoint in done:
        endpoints.disable_endpoint(endpoint, reason=data["reason"])
    return _counted("Disabled", done, len(objects) - len(done), "already disabled")


def _enable(request, objects, data):
    done = [e for e in objects if e.disabled]
    for endpoint in done:
        endpoints.enable_endpoint(endpoint)
    return _counted("Enabled", done, len(objects) - len(done), "already enabled")


def _counted(verb, done, skipped, why):
    message = f"{verb} {len(done)} endpoint{'' if len(done) == 1 else 's'}"
    if done:
        message += ": " + ", ".join(e.pk for e in done[:10])
    message += f". Skipped {skipped} {why}." if skipped else "."
    return message, messages.SUCCESS if done else messages.WARNING


def _rotate(request, objects, data):
    rotated, limited = [], []
    for endpoint in objects:
        try:
            secrets.rotate_secret(endpoint, actor=staff_actor(request))
            rotated.append(endpoint)
        except secrets.RotationRateLimited as exc:
            limited.append(f"{endpoint.pk} (retry in {exc.retry_after} s)")
    grace = timedelta(seconds=_grace_seconds())
    message = (f"Rotated the secret of {len(rotated)} endpoint{'' if len(rotated) == 1 else 's'}. "
               f"The previous secret keeps signing for {grace}; any older one stopped at once.")
    if limited:
        message += " Not rotated, too many rotations within the hour: " + ", ".join(limited[:10]) + "."
    return message, messages.SUCCESS if not limited else messages.WARNING if rotated else messages.ERROR


def _grace_seconds():
    from subscriptions import conf

    return int(conf.get().secret_grace_period)


def _send_test(request, objects, data):
    sent = [operations.send_test_event(endpoint, data["event_type"]) for endpoint in objects]
    ids = ", ".join(event.pk for event in sent[:10])
    return f"Sent a test {data['event_type']} event to {len(sent)} endpoint(s): {ids}.", messages.SUCCESS


def _recover(request, objects, data):
    counts = {endpoint.pk: operations.recover_endpoint(endpoint, since=data["since"]) for endpoint in objects}
    total = sum(counts.values())
    detail = ", ".join(f"{pk}: {n}" for pk, n in list(counts.items())[:10])
    return (f"Resending {total} failed deliver{'y' if total == 1 else 'ies'} created since "
            f"{data['since']:%Y-%m-%d %H:%M} UTC ({detail}).", messages.SUCCESS if total else messages.WARNING)


ENDPOINT_ACTIONS = (
    ConfirmedAction(name="disable", label="Disable", perform=_disable, form_class=DisableForm,
                    applies=lambda endpoint: not endpoint.disabled,
                    explanation="Nothing is sent to a disabled endpoint. Its waiting deliveries are kept and "
                                "resume when it is enabled again."),
    ConfirmedAction(name="enable", label="Enable", perform=_enable, applies=lambda endpoint: endpoint.disabled,
                    explanation="Sending resumes, kept deliveries first; the failure streak starts afresh."),
    ConfirmedAction(name="recover", label="Recover failed deliveries", perform=_recover, form_class=RecoverForm,
                    initial=lambda objects: {"since": timezone.now() - timedelta(hours=24)},
                    explanation="Every failed delivery to these endpoints created since the time below is sent "
                                "again now, as a new attempt."),
    ConfirmedAction(name="send_test", label="Send test event", perform=_send_test, form_class=TestEventForm,
                    explanation="An example event of the chosen type is published to these endpoints only."),
    ConfirmedAction(name="rotate_secret", label="Rotate secret", perform=_rotate,
                    explanation="A new signing secret becomes current. The old one keeps signing alongside it "
                                "for the grace period, so receivers can switch without losing events."),
)


class FailingFilter(admin.SimpleListFilter):
    title = "health"
    parameter_name = "health"

    def lookups(self, request, model_admin):
        return [("failing", "Failing now"), ("healthy", "Healthy"), ("disabled", "Disabled")]

    def queryset(self, request, queryset):
        filters = {"failing": {"disabled": False, "failing_since__isnull": False},
                   "healthy": {"disabled": False, "failing_since__isnull": True},
                   "disabled": {"disabled": True}}
        return queryset.filter(**filters[self.value()]) if self.value() in filters else queryset


@admin.register(Endpoint)
class EndpointAdmin(FastListMixin, TargetedSearchMixin, ConfirmedActionsMixin, admin.ModelAdmin):
    form = EndpointForm
    list_display = ("endpoint", "tenant_uid", "state", "success_rate", "last_outcome", "p50", "p95",
                    "attempts_24h")
    list_select_related = ("tenant",)
    list_filter = (FailingFilter, TenantUidFilter)
    search_help_text = "Endpoint URL (part of it) or id, or tenant uid."
    confirmed_actions = ENDPOINT_ACTIONS
    list_deferred = ("headers", "metadata")
    autocomplete_fields = ("tenant",)
    readonly_fields = ("id", "state", "disabled_reason", "disabled_time", "failing_time", "last_success",
                       "headers_shown", "signing_secret", "created", "updated", "health_24h")
    fieldsets = (
        (None, {"fields": ("tenant", "url", "description", "event_types", "rate_limit", "metadata")}),
        ("Headers", {"fields": ("headers_shown", "replace_headers")}),
        ("Health", {"fields": ("state", "disabled_reason", "disabled_time", "failing_time", "last_success",
                               "health_24h")}),
        ("Signing", {"fields": ("signing_secret",)}),
        ("Record", {"fields": ("id", "created", "updated")}),
    )
    disabled_time, failing_time = exact_time("disabled_at", "disabled at"), exact_time("failing_since")
    last_success, created, updated = exact_time("last_success_at"), exact_time("created_at"), exact_time("updated_at")
    add_fieldsets = ((None, {"fields": ("tenant", "url", "description", "event_types", "rate_limit", "metadata",
                                        "replace_headers")}),)

    def get_changelist(self, request, **kwargs):
        return EndpointChangeList

    def change_title(self, obj):
        return f"Endpoint {obj.redacted_url}"

    def get_fieldsets(self, request, obj=None):
        return self.fieldsets if obj else self.add_fieldsets

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "tenant") if obj else ()

    def search_filter(self, targets):
        from django.db.models import Q

        return Q(pk__in=targets.endpoint_ids) | Q(tenant_id__in=targets.tenant_ids)

    def has_delete_permission(self, request, obj=None):
        return False  # an endpoint's log can be millions of rows: disable it here, delete through the API

    def save_model(self, request, obj, form, change):
        if change:  # the stored row: the form already put the submitted (redacted) URL on ``obj``
            _adopt(obj, endpoints.update_endpoint(Endpoint.objects.get(pk=obj.pk), **form.changed_fields()))
        else:
            created = endpoints.create_endpoint(form.cleaned_data["tenant"], **form.domain_fields())
            _adopt(obj, created)

    def get_urls(self):
        return [path("<path:object_id>/secret/", self.admin_site.admin_view(self.reveal_view),
                     name="subscriptions_endpoint_secret"), *super().get_urls()]

    def reveal_view(self, request, object_id):
        """Shows the full secret after a confirming POST, to staff allowed to see it; the reveal is logged."""
        endpoint = self.get_object(request, object_id)
        if endpoint is None or not request.user.has_perm(REVEAL_PERMISSION):
            raise PermissionDenied
        secret = None
        if request.method == "POST":
            secret = secrets.reveal_secret(endpoint, actor=staff_actor(request))
            self.log_change(request, endpoint, "Revealed the signing secret")
        context = {**self.admin_site.each_context(request), "title": "Reveal signing secret", "opts": self.opts,
                   "original": endpoint, "endpoint_label": endpoint.redacted_url, "secret": secret,
                   "media": self.media}
        return TemplateResponse(request, "admin/hookplatform/reveal_secret.html", context)

    @admin.display(description="endpoint", ordering="url")
    def endpoint(self, obj):
        return format_html('<strong class="hp-url">{}</strong><br><span class="hp-muted">{}</span>',
                           obj.redacted_url, obj.pk)

    @admin.display(description="tenant", ordering="tenant__uid")
    def tenant_uid(self, obj):
        return obj.tenant.uid

    @admin.display(description="status", ordering="disabled")
    def state(self, obj):
        if obj.disabled:
            return format_html('{}<br><span class="hp-muted">{}</span>', badge("disabled", "bad"),
                               obj.disabled_reason)
        if obj.failing_since:
            return format_html('{}<br><span class="hp-muted" title="since {} UTC">for {}</span>',
                               badge("failing", "warn"), f"{obj.failing_since:%Y-%m-%d %H:%M}",
                               timesince(obj.failing_since, depth=1))
        return badge("enabled", "ok")

    @admin.display(description="success 24 h")
    def success_rate(self, obj):
        rate = obj.health.success_rate
        if rate is None:
            return "—"
        tone = "ok" if rate >= 0.99 else "warn" if rate >= 0.9 else "bad"
        return badge(f"{rate:.1%}", tone)

    @admin.display(description="last outcome")
    def last_outcome(self, obj):
        attempt = obj.health.last_attempt
        if attempt is None:
            return "—"
        return format_html('{}<br><span class="hp-muted">{}</span>', attempt_outcome(attempt),
                           f"{attempt.started_at:%H:%M:%S}")

    @admin.display(description="p50")
    def p50(self, obj):
        return _ms(obj.health.p50_ms)

    @admin.display(description="p95")
    def p95(self, obj):
        return _ms(obj.health.p95_ms)

    @admin.display(description="attempts 24 h")
    def attempts_24h(self, obj):
        return f"{obj.health.attempts:,}"

    @admin.display(description="headers")
    def headers_shown(self, obj):
        return pretty_json(obj.shown_headers) if obj.headers else "—"

    @admin.display(description="last 24 hours")
    def health_24h(self, obj):
        health = dashboard.endpoint_health([obj.pk])[obj.pk]
        rate = f"{health.success_rate:.1%}" if health.success_rate is not None else "—"
        return format_html("{} attempts · {} succeeded · p50 {} · p95 {} · <a href=\"{}\">deliveries</a>",
                           f"{health.attempts:,}", rate, _ms(health.p50_ms), _ms(health.p95_ms),
                           changelist_url(_delivery_model(), endpoint__id__exact=obj.pk))

    @admin.display(description="signing secret")
    def signing_secret(self, obj):
        keys = list(obj.secrets.all())
        current = next((s for s in keys if s.expires_at is None), None)
        retiring = [s for s in keys if s.expires_at is not None and s.is_active()]
        shown = f"set {current.created_at:%Y-%m-%d %H:%M} UTC" if current else "—"
        if retiring:
            shown = format_html("{} (previous secret signs until {} UTC)", shown,
                                f"{retiring[0].expires_at:%Y-%m-%d %H:%M}")
        return format_html('{} <a class="button hp-reveal" href="{}">Reveal</a>', shown,
                           reverse("admin:subscriptions_endpoint_secret", args=[obj.pk]))


def _ms(value):
    return f"{value:,.0f} ms" if value is not None else "—"


def _delivery_model():
    from delivery.models import Delivery

    return Delivery


# --- API keys ----------------------------------------------------------------------

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
        _adopt(obj, created)
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
