"""Endpoints in the console: the form, the list with each row's 24-hour health, the audited secret reveal.

The form validates and saves through ``create_endpoint`` / ``update_endpoint``;
no part of a secret shows but on an explicit, audited reveal.
"""

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.timesince import timesince

from delivery import selectors
from delivery.admin.actions import ConfirmedActionsMixin
from delivery.admin.display import (
    attempt_outcome,
    badge,
    changelist_url,
    exact_time,
    percent,
    rate_tone,
)
from delivery.admin.endpoint_actions import ENDPOINT_ACTIONS
from delivery.admin.endpoint_forms import SHAPE_FIELDS, EndpointForm
from delivery.admin.forms import adopt, staff_actor
from delivery.admin.lists import FastListMixin, TargetedSearchMixin, TenantUidFilter
from delivery.models import Delivery
from delivery.presentation.values import milliseconds, pretty_json
from subscriptions import endpoints, receiver_auth, secrets
from subscriptions.endpoint_policy import POLICY_FIELDS
from subscriptions.models import Endpoint

REVEAL_PERMISSION = "hookplatform_subscriptions.reveal_secret"
RECEIVER_AUTH_FIELDS = ("receiver_credentials", "tls_client_cert", "replace_tls_client_key", "tls_ca_bundle",
                        "oauth2_token_url", "oauth2_client_id", "replace_oauth2_client_secret", "oauth2_scope",
                        "oauth2_audience")


class EndpointChangeList(ChangeList):
    """Attaches each shown endpoint's 24-hour health, computed for the page's rows only."""

    def get_results(self, request):
        super().get_results(request)
        self.result_list = list(self.result_list)
        health = selectors.endpoint_health([endpoint.pk for endpoint in self.result_list])
        for endpoint in self.result_list:
            endpoint.health = health[endpoint.pk]


class FailingFilter(admin.SimpleListFilter):
    title = "health"
    parameter_name = "health"

    def lookups(self, request, model_admin):
        return [("failing", "Failing now"), ("healthy", "Healthy"), ("disabled", "Disabled")]

    def queryset(self, request, queryset):
        filters = {"failing": {"disabled": False, "send_state__failing_since__isnull": False},
                   "healthy": {"disabled": False, "send_state__failing_since__isnull": True},
                   "disabled": {"disabled": True}}
        return queryset.filter(**filters[self.value()]) if self.value() in filters else queryset


@admin.register(Endpoint)
class EndpointAdmin(FastListMixin, TargetedSearchMixin, ConfirmedActionsMixin, admin.ModelAdmin):
    form = EndpointForm
    list_display = ("endpoint", "tenant_uid", "state", "success_rate", "last_outcome", "p50", "p95",
                    "attempts_24h")
    list_display += ("kind",)
    list_select_related = ("tenant", "send_state")
    list_filter = (FailingFilter, TenantUidFilter)
    search_help_text = "Endpoint URL (part of it) or id, or tenant uid."
    confirmed_actions = ENDPOINT_ACTIONS
    list_deferred = ("headers", "metadata")
    list_deferred += SHAPE_FIELDS
    autocomplete_fields = ("tenant",)
    readonly_fields = ("id", "state", "disabled_reason", "disabled_time", "failing_time", "last_success",
                       "headers_shown", "signing_secret", "created", "updated", "health_24h",
                       "receiver_credentials")
    readonly_fields += ("kind",)
    fieldsets = (
        (None, {"fields": ("tenant", "kind", "url", "description", "event_types", "rate_limit", "metadata")}),
        ("Headers", {"fields": ("headers_shown", "replace_headers")}),
        ("Delivery policy", {"fields": POLICY_FIELDS}),
        ("What it gets and in what shape", {"fields": SHAPE_FIELDS}),
        ("Ordered delivery", {"fields": ("ordered",)}),
        ("Health", {"fields": ("state", "disabled_reason", "disabled_time", "failing_time", "last_success",
                               "health_24h")}),
        ("Signing", {"fields": ("signing_secret",)}),
        ("Authentication to the receiver", {"fields": RECEIVER_AUTH_FIELDS}),
        ("Record", {"fields": ("id", "created", "updated")}),
    )
    disabled_time = exact_time("disabled_at", "disabled at")
    failing_time = exact_time("send_state__failing_since", "failing since")
    last_success = exact_time("send_state__last_success_at", "last success at")
    created, updated = exact_time("created_at"), exact_time("updated_at")
    add_fieldsets = ((None, {"fields": ("tenant", "kind", "url", "description", "event_types", "rate_limit",
                                        "metadata", "replace_headers")}),
                     ("Delivery policy", {"fields": POLICY_FIELDS}),
                     ("Authentication to the receiver", {"fields": RECEIVER_AUTH_FIELDS[1:]}),
                     ("What it gets and in what shape", {"fields": SHAPE_FIELDS}),
                     ("Ordered delivery", {"fields": ("ordered",)}))

    def get_changelist(self, request, **kwargs):
        return EndpointChangeList

    def change_title(self, obj):
        return f"Endpoint {obj.redacted_url}"

    def get_fieldsets(self, request, obj=None):
        return self.fieldsets if obj else self.add_fieldsets

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "tenant") if obj else ()

    def search_filter(self, targets):
        return Q(pk__in=targets.endpoint_ids) | Q(tenant_id__in=targets.tenant_ids)

    def has_delete_permission(self, request, obj=None):
        return False  # an endpoint's log can be millions of rows: disable it here, delete through the API

    def save_model(self, request, obj, form, change):
        if change:  # the stored row: the form already put the submitted (redacted) URL on ``obj``
            adopt(obj, endpoints.update_endpoint(Endpoint.objects.get(pk=obj.pk), **form.changed_fields()))
        else:
            created = endpoints.create_endpoint(form.cleaned_data["tenant"], **form.domain_fields(),
                                                kind=form.new_kind())
            adopt(obj, created)

    def get_urls(self):
        return [path("<path:object_id>/secret/", self.admin_site.admin_view(self.reveal_view),
                     name="hookplatform_subscriptions_endpoint_secret"),
                path("<path:object_id>/credentials/", self.admin_site.admin_view(self.reveal_credentials_view),
                     name="hookplatform_subscriptions_endpoint_credentials"), *super().get_urls()]

    def reveal_view(self, request, object_id):
        """Shows the full signing secret after a confirming POST, to staff allowed to see it; logged."""
        return self._reveal(request, object_id, "signing secret", "reveal_secret.html",
                            lambda endpoint, actor: {"secret": secrets.reveal_secret(endpoint, actor=actor)})

    def reveal_credentials_view(self, request, object_id):
        """The TLS client key and the OAuth2 client secret, after a confirming POST, to the same staff; logged."""
        return self._reveal(request, object_id, "receiver credentials", "reveal_credentials.html",
                            lambda endpoint, actor: {"credentials": receiver_auth.reveal_credentials(
                                endpoint, actor=actor)})

    def _reveal(self, request, object_id, what, template, reveal):
        endpoint = self.get_object(request, object_id)
        if endpoint is None or not request.user.has_perm(REVEAL_PERMISSION):
            raise PermissionDenied
        shown = {}
        if request.method == "POST":
            shown = reveal(endpoint, staff_actor(request))
            self.log_change(request, endpoint, f"Revealed the {what}")
        context = {**self.admin_site.each_context(request), "title": f"Reveal {what}", "opts": self.opts,
                   "original": endpoint, "endpoint_label": endpoint.redacted_url, "media": self.media,
                   "revealed": bool(shown), **shown}
        return TemplateResponse(request, f"admin/hookplatform/{template}", context)

    @admin.display(description="endpoint", ordering="url")
    def endpoint(self, obj):
        return format_html('<strong class="hp-url">{}</strong><br><span class="hp-muted">{}</span>{}',
                           obj.redacted_url, obj.pk, self.ordered_badge(obj))

    def ordered_badge(self, obj):
        """Ordered delivery: said on the list, beside the id."""
        return format_html(" {}", badge("ordered", "info")) if obj.ordered else ""

    @admin.display(description="tenant", ordering="tenant__uid")
    def tenant_uid(self, obj):
        return obj.tenant.uid

    @admin.display(description="status", ordering="disabled")
    def state(self, obj):
        if obj.disabled:
            return format_html('{}<br><span class="hp-muted">{}</span>', badge("disabled", "bad"),
                               obj.disabled_reason)
        failing_since = getattr(getattr(obj, "send_state", None), "failing_since", None)
        if failing_since:
            return format_html('{}<br><span class="hp-muted" title="since {} UTC">for {}</span>',
                               badge("failing", "warn"), f"{failing_since:%Y-%m-%d %H:%M}",
                               timesince(failing_since, depth=1))
        return badge("enabled", "ok")

    @admin.display(description="success 24 h")
    def success_rate(self, obj):
        rate = obj.health.success_rate
        return "—" if rate is None else badge(percent(rate), rate_tone(rate))

    @admin.display(description="last outcome")
    def last_outcome(self, obj):
        attempt = obj.health.last_attempt
        if attempt is None:
            return "—"
        return format_html('{}<br><span class="hp-muted">{}</span>', attempt_outcome(attempt),
                           f"{attempt.started_at:%H:%M:%S}")

    @admin.display(description="p50")
    def p50(self, obj):
        return milliseconds(obj.health.p50_ms)

    @admin.display(description="p95")
    def p95(self, obj):
        return milliseconds(obj.health.p95_ms)

    @admin.display(description="attempts 24 h")
    def attempts_24h(self, obj):
        return f"{obj.health.attempts:,}"

    @admin.display(description="headers")
    def headers_shown(self, obj):
        return pretty_json(obj.shown_headers) if obj.headers else "—"

    @admin.display(description="last 24 hours")
    def health_24h(self, obj):
        health = selectors.endpoint_health([obj.pk])[obj.pk]
        return format_html("{} attempts · {} succeeded · p50 {} · p95 {} · <a href=\"{}\">deliveries</a>",
                           f"{health.attempts:,}", percent(health.success_rate), milliseconds(health.p50_ms),
                           milliseconds(health.p95_ms), changelist_url(Delivery, endpoint__id__exact=obj.pk))

    @admin.display(description="credentials")
    def receiver_credentials(self, obj):
        held = [label for label, present in (("TLS client key", obj.tls_client_key),
                                             ("OAuth2 client secret", obj.oauth2)) if present]
        if not held:
            return "—"
        return format_html('{} set <a class="button hp-reveal" href="{}">Reveal</a>', " and ".join(held),
                           reverse("admin:hookplatform_subscriptions_endpoint_credentials", args=[obj.pk]))

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
                           reverse("admin:hookplatform_subscriptions_endpoint_secret", args=[obj.pk]))

