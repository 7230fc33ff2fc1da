"""Deliveries in the console, with the actions an operator takes on them: resend and cancel.

The actions go through ``delivery.operations``; whether a delivery may be
resent or cancelled is asked of ``delivery.states``, and a refusal is the
domain's own message.  The log itself is never edited by hand.
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from delivery import operations, states
from delivery.admin.actions import ConfirmedAction, ConfirmedActionsMixin
from delivery.admin.dashboard import DashboardMixin
from delivery.admin.display import admin_link, attempt_outcome, changelist_url, exact_time, status_badge
from delivery.admin.lists import (
    FastListMixin,
    ReadOnlyAdminMixin,
    TargetedSearchMixin,
    TenantUidFilter,
    event_type_filter,
    recent_filter,
)
from delivery.header_caps import cap_headers
from delivery.models import Attempt, Delivery
from delivery.presentation.values import pretty_json

ATTEMPTS_SHOWN = 20


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


# --- Deliveries ------------------------------------------------------------------------

@admin.register(Delivery)
class DeliveryAdmin(DashboardMixin, FastListMixin, TargetedSearchMixin, ConfirmedActionsMixin, ReadOnlyAdminMixin,
                    admin.ModelAdmin):
    list_display = ("id", "status_summary", "event_summary", "endpoint_summary", "attempts_summary", "created")
    list_display_links = ("id",)
    list_select_related = ("event", "endpoint", "tenant")
    list_filter = ("status", event_type_filter("event__event_type"), TenantUidFilter, recent_filter("created_at"))
    confirmed_actions = (RESEND, CANCEL)
    change_list_template = "admin/hookplatform/delivery_change_list.html"  # links the dashboard
    list_deferred = ("event__body", "endpoint__headers", "endpoint__metadata", "body")
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
        if obj.status in Delivery.Status.WAITING and obj.endpoint.ordered and not obj.endpoint.disabled:
            return format_html('{}<br><span class="hp-muted">in line</span>', status_badge(obj.status))
        return status_badge(obj.status)

    @admin.display(description="endpoint · tenant")
    def endpoint_summary(self, obj):
        url = obj.endpoint.redacted_url
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
        return admin_link(obj.endpoint, obj.endpoint.redacted_url)

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
        if obj.body_error:  # its body template failed: nothing was ever sent
            return f"None: {obj.body_error}"
        return pretty_json(obj.event.body if obj.body is None else obj.body)  # its own shape (issue 15)

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
