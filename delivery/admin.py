"""The operator's console for events, deliveries and the attempt log, and the webhook dashboard.

Events, deliveries and attempts are a log: the admin shows them and offers
actions (resend, cancel) that go through ``delivery.operations``; nothing is
edited by hand.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from delivery import admin_chart, dashboard, operations, states
from delivery.admin_tools import (
    ConfirmedAction,
    ConfirmedActionsMixin,
    FastListMixin,
    ReadOnlyAdminMixin,
    TargetedSearchMixin,
    TenantUidFilter,
    admin_link,
    badge,
    changelist_url,
    event_type_filter,
    exact_time,
    pretty_json,
    recent_filter,
)
from delivery.header_caps import cap_headers
from delivery.models import Attempt, Delivery, Event
from subscriptions.redaction import redact_url


def dress_admin_site(site):
    """Link the dashboard from the index; brand the site only in the standalone project.

    A host that embeds the apps keeps its own header, sidebar and index
    template; the dashboard stays reachable from the deliveries list.
    """
    if site.index_template is None:
        site.index_template = "admin/hookplatform/index.html"
    if settings.ROOT_URLCONF == "hookplatform.urls":
        site.site_header, site.site_title, site.index_title = "hookplatform console", "hookplatform", "Webhooks"
        site.enable_nav_sidebar = False  # the lists are wide; the index and breadcrumbs lead everywhere


dress_admin_site(admin.site)

STATUS_TONES = {"succeeded": "ok", "failed": "bad", "retrying": "warn", "sending": "info", "pending": "info",
                "cancelled": "muted"}
ATTEMPTS_SHOWN = 20
DELIVERIES_SHOWN = 20


def status_badge(status):
    return badge(status, STATUS_TONES.get(status, "muted"))


def attempt_outcome(attempt):
    if attempt is None:
        return "—"
    if attempt.succeeded:
        return badge(f"{attempt.response_status} OK", "ok")
    return badge(attempt.response_status or attempt.error_class or "error", "bad")


# --- Actions ---------------------------------------------------------------------

def _each(objects, operation):
    """Apply ``operation`` to each object; returns (done, refused messages)."""
    done, refused = 0, []
    for obj in objects:
        try:
            operation(obj)
            done += 1
        except ValidationError as exc:
            refused.append(f"{obj.pk}: {exc.messages[0]}")
    return done, refused


def _report(verb, done, refused):
    message = f"{verb} {done} deliver{'y' if done == 1 else 'ies'}."
    if refused:
        message += f" Skipped {len(refused)}: " + "; ".join(refused[:5])
    return message, messages.WARNING if refused else messages.SUCCESS


def _resend(request, deliveries, data):
    return _report("Resent", *_each(deliveries, operations.retry_delivery))


def _cancel(request, deliveries, data):
    return _report("Cancelled", *_each(deliveries, operations.cancel_delivery))


RESEND = ConfirmedAction(
    name="resend", label="Resend now", perform=_resend, applies=states.can_resend,
    explanation="Each delivery is sent again right away as a new attempt, with the same webhook-id and body, "
                "so receivers can tell it is the same event. Deliveries being sent right now are skipped.",
)
CANCEL = ConfirmedAction(
    name="cancel", label="Cancel", perform=_cancel, applies=states.can_cancel,
    explanation="Waiting deliveries (pending or retrying) will not be tried again. Others are skipped.",
)


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
            "rows": [(d, redact_url(d.endpoint.url), status_badge(d.status)) for d in deliveries],
            "all_url": changelist_url(Delivery, event__id__exact=obj.pk),
            "truncated": len(deliveries) == DELIVERIES_SHOWN,
        }))


# --- Deliveries ------------------------------------------------------------------------

@admin.register(Delivery)
class DeliveryAdmin(FastListMixin, TargetedSearchMixin, ConfirmedActionsMixin, ReadOnlyAdminMixin,
                    admin.ModelAdmin):
    list_display = ("id", "status_summary", "event_summary", "endpoint_summary", "attempts_summary", "created")
    list_display_links = ("id",)
    list_select_related = ("event", "endpoint", "tenant")
    list_filter = ("status", event_type_filter("event__event_type"), TenantUidFilter, recent_filter("created_at"))
    confirmed_actions = (RESEND, CANCEL)
    change_list_template = "admin/hookplatform/delivery_change_list.html"  # links the dashboard
    list_deferred = ("event__body", "endpoint__headers", "endpoint__metadata")
    actions = None  # no bulk delete of the log; the confirmed actions are added in get_actions
    fieldsets = (
        (None, {"fields": ("state", "event_link", "event_type", "endpoint_link", "tenant", "attempt_count",
                           "next_attempt", "last_attempt", "last_response", "last_error", "created", "finished")}),
        ("Payload", {"fields": ("payload",)}),
        ("Attempts", {"fields": ("attempt_log",)}),
    )
    readonly_fields = ("state", "event_link", "event_type", "endpoint_link", "last_response", "payload",
                       "attempt_log", "next_attempt", "last_attempt", "created", "finished")
    next_attempt = exact_time("next_attempt_at", "next attempt")
    last_attempt = exact_time("last_attempt_at", "last attempt")
    created, finished = exact_time("created_at", "created"), exact_time("finished_at", "finished")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def change_title(self, obj):
        return f"Delivery #{obj.pk}"

    def search_filter(self, targets):
        found = (Q(event_id__in=targets.event_ids) | Q(endpoint_id__in=targets.endpoint_ids)
                 | Q(tenant_id__in=targets.tenant_ids))
        return found | Q(pk=targets.number) if targets.number else found

    def get_urls(self):
        return [path("dashboard/", self.admin_site.admin_view(self.dashboard_view), name="webhooks_dashboard"),
                *super().get_urls()]

    def dashboard_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "title": "Webhook dashboard", **dashboard_figures()}
        return TemplateResponse(request, "admin/hookplatform/dashboard.html", context)

    @admin.display(description="event", ordering="event_id")
    def event_link(self, obj):
        return admin_link(obj.event)

    @admin.display(description="event type")
    def event_type(self, obj):
        return obj.event.event_type

    @admin.display(description="status", ordering="status")
    def status_summary(self, obj):
        if obj.next_attempt_at and obj.status in Delivery.Status.WAITING:
            return format_html('{}<br><span class="hp-muted">next {}</span>', status_badge(obj.status),
                               f"{obj.next_attempt_at:%H:%M:%S}")
        return status_badge(obj.status)

    @admin.display(description="endpoint · tenant")
    def endpoint_summary(self, obj):
        url = redact_url(obj.endpoint.url)
        return format_html('<span class="hp-url" title="{}">{}</span><br><span class="hp-muted">{}</span>',
                           url, url, obj.tenant.uid)

    @admin.display(description="attempts", ordering="attempt_count")
    def attempts_summary(self, obj):
        return format_html("{} · {}", obj.attempt_count, self.last_response(obj)) if obj.attempt_count else "0"

    @admin.display(description="event", ordering="event_id")
    def event_summary(self, obj):
        return format_html('{}<br><span class="hp-muted">{}</span>', admin_link(obj.event), obj.event.event_type)

    @admin.display(description="endpoint")
    def endpoint_link(self, obj):
        return admin_link(obj.endpoint, redact_url(obj.endpoint.url))

    @admin.display(description="status", ordering="status")
    def state(self, obj):
        return status_badge(obj.status)

    @admin.display(description="last response")
    def last_response(self, obj):
        if obj.last_response_status:
            return obj.last_response_status
        return obj.last_error[:60] or "—"

    @admin.display(description="body sent")
    def payload(self, obj):
        return pretty_json(obj.event.body)

    @admin.display(description="attempt log")
    def attempt_log(self, obj):
        attempts = list(obj.attempts.order_by("-id")[:ATTEMPTS_SHOWN])
        return mark_safe(render_to_string("admin/hookplatform/attempt_log.html", {
            "attempts": [(a, attempt_outcome(a), pretty_json(a.request_headers),
                          pretty_json(cap_headers(a.response_headers)), pretty_json(a.response_body))
                         for a in attempts],
            "all_url": changelist_url(Attempt, delivery__id__exact=obj.pk),
            "truncated": len(attempts) == ATTEMPTS_SHOWN,
        }))


def dashboard_figures():
    """Everything the dashboard page shows, from ``delivery.dashboard``'s bounded queries."""
    hours = dashboard.hourly_outcomes()
    totals = {name.replace(" ", "_"): sum(counts[name] for _, counts in hours) for name in dashboard.OUTCOMES}
    finished = totals["succeeded"] + totals["failed"]
    rate = totals["succeeded"] / finished if finished else None
    return {
        "chart": admin_chart.stacked_bars(hours),
        "totals": totals,
        "delivered_total": sum(totals.values()),
        "success_rate_text": percent(rate),
        "success_tone": "muted" if rate is None else "ok" if rate >= 0.99 else "warn" if rate >= 0.9 else "bad",
        "failing": [failing_row(*row) for row in dashboard.top_failing_endpoints()],
        "backlog": dashboard.queue_backlog(),
        "endpoints": dashboard.endpoint_counts(),
        "failed_url": changelist_url(Delivery, status="failed", within="24h"),
    }


def failing_row(endpoint, failed, health):
    return {
        "endpoint": endpoint, "endpoint_url": redact_url(endpoint.url), "failed": failed,
        "rate_text": percent(health.success_rate),
        "last": attempt_outcome(health.last_attempt),
        "p95_text": f"{health.p95_ms:,.0f} ms" if health.p95_ms is not None else "—",
        "url": reverse("admin:subscriptions_endpoint_change", args=[endpoint.pk]),
        "deliveries_url": changelist_url(Delivery, endpoint__id__exact=endpoint.pk, status="failed"),
    }


def percent(rate):
    return "—" if rate is None else f"{rate:.1%}"


# --- Attempts ------------------------------------------------------------------------

@admin.register(Attempt)
class AttemptAdmin(FastListMixin, TargetedSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "delivery_link", "endpoint_url", "trigger", "started", "outcome", "duration")
    list_select_related = ("endpoint",)
    list_filter = ("succeeded", "trigger", recent_filter("started_at"))
    list_deferred = ("response_body", "response_headers", "request_headers", "endpoint__headers",
                     "endpoint__metadata")
    actions = None
    fieldsets = (
        (None, {"fields": ("delivery_link", "endpoint_url", "trigger", "started", "duration", "outcome",
                           "request_url", "error_class", "error_message")}),
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
        return format_html('<a href="{}">#{}</a>', reverse("admin:delivery_delivery_change", args=[obj.delivery_id]),
                           obj.delivery_id)

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
    from subscriptions.models import Endpoint

    return list(Endpoint.objects.filter(tenant_id__in=tenant_ids).values_list("pk", flat=True)[:1000])
