"""The webhook dashboard: deliveries per hour, failing endpoints and the backlog, from ``delivery.selectors``."""

from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse

from delivery import selectors
from delivery.admin.display import attempt_outcome, changelist_url, percent, rate_tone
from delivery.models import Delivery
from delivery.presentation import chart
from delivery.presentation.values import milliseconds


class DashboardMixin:
    """Serves the dashboard under the deliveries' admin (``admin:webhooks_dashboard``), to those who may view them."""

    def get_urls(self):
        return [path("dashboard/", self.admin_site.admin_view(self.dashboard_view), name="webhooks_dashboard"),
                *super().get_urls()]

    def dashboard_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "title": "Webhook dashboard", **dashboard_figures()}
        return TemplateResponse(request, "admin/hookplatform/dashboard.html", context)


def dashboard_figures():
    """Everything the dashboard page shows, from the selectors' bounded queries."""
    hours = selectors.hourly_outcomes()
    totals = {name.replace(" ", "_"): sum(counts[name] for _, counts in hours) for name in selectors.OUTCOMES}
    finished = totals["succeeded"] + totals["failed"]
    rate = totals["succeeded"] / finished if finished else None
    return {
        "chart": chart.stacked_bars(hours),
        "totals": totals,
        "delivered_total": sum(totals.values()),
        "success_rate_text": percent(rate),
        "success_tone": rate_tone(rate),
        "failing": [failing_row(*row) for row in selectors.top_failing_endpoints()],
        "backlog": selectors.queue_backlog(),
        "endpoints": selectors.endpoint_counts(),
        "failed_url": changelist_url(Delivery, status="failed", within="24h"),
    }


def failing_row(endpoint, failed, health):
    return {
        "endpoint": endpoint, "endpoint_url": endpoint.redacted_url, "failed": failed,
        "rate_text": percent(health.success_rate),
        "last": attempt_outcome(health.last_attempt),
        "p95_text": milliseconds(health.p95_ms),
        "url": reverse("admin:hookplatform_subscriptions_endpoint_change", args=[endpoint.pk]),
        "deliveries_url": changelist_url(Delivery, endpoint__id__exact=endpoint.pk, status="failed"),
    }

