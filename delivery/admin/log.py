"""The operator's console for the log: events and attempts (deliveries have ``deliveries.py``).

The log is shown, never edited by hand.
"""

from django.contrib import admin
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from delivery.admin.display import (
    attempt_outcome,
    changelist_url,
    exact_time,
    status_badge,
)
from delivery.admin.lists import (
    FastListMixin,
    ReadOnlyAdminMixin,
    TargetedSearchMixin,
    TenantUidFilter,
    event_type_filter,
    recent_filter,
)
from delivery.header_caps import cap_headers
from delivery.models import Attempt, Delivery, Event
from delivery.presentation.values import pretty_json
from subscriptions.models import Endpoint

DELIVERIES_SHOWN = 20


# --- Events ------------------------------------------------------------------------

@admin.register(Event)
class EventAdmin(FastListMixin, TargetedSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "event_type", "tenant_uid", "idempotency_key", "occurred", "fanned_out")
    list_select_related = ("tenant",)
    list_filter = (event_type_filter("event_type"), TenantUidFilter, recent_filter("created_at"))
    search_help_text = "Event id, idempotency key or tenant uid."
    list_deferred = ("body",)
    fields = ("id", "event_type", "tenant", "idempotency_key", "occurred", "created", "fanned_out_time",
              "payload", "deliveries_shown")
    readonly_fields = ("occurred", "created", "fanned_out_time", "payload", "deliveries_shown")
    occurred, created = exact_time("occurred_at", "occurred"), exact_time("created_at", "created")
    fanned_out_time = exact_time("fanned_out_at", "fanned out")

    def search_filter(self, targets):
        return Q(pk__in=targets.event_ids) | Q(tenant_id__in=targets.tenant_ids)

    @admin.display(description="tenant", ordering="tenant__uid")
    def tenant_uid(self, obj):
        return obj.tenant.uid

    @admin.display(description="fanned out", boolean=True)
    def fanned_out(self, obj):
        return obj.fanned_out_at is not None

    @admin.display(description="payload (exact bytes sent)")
    def payload(self, obj):
        return pretty_json(obj.body)

    @admin.display(description="deliveries")
    def deliveries_shown(self, obj):
        deliveries = list(obj.deliveries.select_related("endpoint").order_by("-id")[:DELIVERIES_SHOWN])
        return mark_safe(render_to_string("admin/hookplatform/delivery_table.html", {
            "rows": [(d, d.endpoint.redacted_url, status_badge(d.status)) for d in deliveries],
            "all_url": changelist_url(Delivery, event__id__exact=obj.pk),
            "truncated": len(deliveries) == DELIVERIES_SHOWN,
        }))


# --- Attempts ------------------------------------------------------------------------

@admin.register(Attempt)
class AttemptAdmin(FastListMixin, TargetedSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "delivery_link", "endpoint_url", "trigger", "started", "outcome", "duration")
    list_select_related = ("endpoint",)
    list_filter = ("succeeded", "trigger", "target", recent_filter("started_at"))
    list_deferred = ("response_body", "response_headers", "request_headers", "endpoint__headers",
                     "endpoint__metadata")
    actions = None
    fieldsets = (
        (None, {"fields": ("delivery_link", "endpoint_url", "trigger", "started", "duration", "outcome",
                           "request_url", "target", "error_class", "error_message")}),
        ("Request", {"fields": ("request_headers_shown",)}),
        ("Response", {"fields": ("response_headers_shown", "response_body_shown")}),
    )
    readonly_fields = ("delivery_link", "endpoint_url", "outcome", "duration", "request_headers_shown",
                       "response_headers_shown", "response_body_shown", "started")
    started = exact_time("started_at", "started")

    def search_filter(self, targets):
        deliveries = Delivery.objects.filter(event_id__in=targets.event_ids).values_list("id", flat=True)
        endpoints = [*targets.endpoint_ids, *_endpoints_of(targets.tenant_ids)]
        found = Q(delivery_id__in=list(deliveries[:1000])) | Q(endpoint_id__in=endpoints)
        return found | Q(delivery_id=targets.number) if targets.number else found

    @admin.display(description="delivery", ordering="delivery_id")
    def delivery_link(self, obj):
        url = reverse("admin:hookplatform_delivery_delivery_change", args=[obj.delivery_id])
        return format_html('<a href="{}">#{}</a>', url, obj.delivery_id)

    @admin.display(description="endpoint")
    def endpoint_url(self, obj):
        return format_html('<span class="hp-url" title="{}">{}</span>', obj.request_url, obj.request_url)

    @admin.display(description="outcome")
    def outcome(self, obj):
        return attempt_outcome(obj)

    @admin.display(description="duration", ordering="duration_ms")
    def duration(self, obj):
        return f"{obj.duration_ms} ms"

    @admin.display(description="request headers (secrets redacted)")
    def request_headers_shown(self, obj):
        return pretty_json(obj.request_headers)

    @admin.display(description="response headers")
    def response_headers_shown(self, obj):
        return pretty_json(cap_headers(obj.response_headers)) if obj.response_headers else "—"

    @admin.display(description="response body")
    def response_body_shown(self, obj):
        return pretty_json(obj.response_body) if obj.response_body else "—"


def _endpoints_of(tenant_ids):
    return list(Endpoint.objects.filter(tenant_id__in=tenant_ids).values_list("pk", flat=True)[:1000])
