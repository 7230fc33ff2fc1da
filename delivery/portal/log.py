"""The portal's log: deliveries, a delivery with every attempt, resend, recover, and an endpoint's figures.

Views are wrapped in ``portal_view`` (which sets ``request.portal_tenant`` and
refuses writes in a read-only session), ask ``queries`` and call
``delivery.operations``, the API's and the admin's own verbs; a refusal is
the domain's message.  Another tenant's ids are not found: 404.
"""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from delivery import operations, states
from delivery.header_caps import cap_headers
from delivery.portal import queries
from delivery.portal.access import portal_view
from delivery.portal.endpoints import tenant_endpoint
from delivery.portal.log_forms import FiguresForm, LogFilterForm, RecoverForm
from delivery.portal.rendering import render_page
from delivery.presentation import chart
from delivery.presentation.values import STATUS_TONES, milliseconds, pretty_json
from subscriptions.api.scoping import NUMBER_ID

CHART_LABELS = {"24h": (3, "%H:00"), "7d": (24, "%a %d")}  # an x label every n hourly bars, and its format
OUTCOME_NAMES = {"succeeded": _("Succeeded"), "in progress": _("In progress"), "failed": _("Failed"),
                 "cancelled": _("Cancelled")}  # the tiles' names of selectors.OUTCOMES


def _delivery_or_404(request, pk):
    found = queries.delivery(request.portal_tenant, int(pk)) if NUMBER_ID.match(pk) else None
    if found is None:
        raise Http404
    return found


@portal_view
@require_GET
def deliveries(request):
    """Newest first, filtered by a GET form, paged by "Newer" and "Older" links (no count)."""
    form = LogFilterForm(request.GET, tenant=request.portal_tenant)
    if not form.is_valid():
        return render_page(request, "portal/deliveries.html", {"section": "deliveries", "form": form, "page": None},
                           status=400)
    page = queries.deliveries(request.portal_tenant, form.log_filter(),
                              before=form.cleaned_data["before"], after=form.cleaned_data["after"],
                              limit=queries.PAGE_SIZE)
    kept = {name: request.GET[name] for name in ("endpoint", "status", "event_type", "event", "since", "until")
            if request.GET.get(name)}
    return render_page(request, "portal/deliveries.html", {
        "section": "deliveries",
        "form": form,
        "page": page,
        "rows": [(row, STATUS_TONES.get(row.status, "muted")) for row in page.rows],
        "filtered": bool(kept),
        "newer_url": f"?{urlencode({**kept, 'after': page.newer})}" if page.newer is not None else None,
        "older_url": f"?{urlencode({**kept, 'before': page.older})}" if page.older is not None else None,
    })


@portal_view
@require_GET
def delivery(request, pk):
    """A delivery with every attempt: time, duration, request headers (redacted), response, error."""
    return _delivery_page(request, _delivery_or_404(request, pk))


def _delivery_page(request, found, *, error=None, status=200):
    attempts = queries.attempts(found)
    return render_page(request, "portal/delivery.html", {
        "section": "deliveries",
        "delivery": found,
        "tone": STATUS_TONES.get(found.status, "muted"),
        "payload": pretty_json(found.event.body),
        "attempts": [(attempt, pretty_json(attempt.request_headers),
                      pretty_json(cap_headers(attempt.response_headers)) if attempt.response_headers else "—",
                      pretty_json(attempt.response_body) if attempt.response_body else "—")
                     for attempt in attempts],
        "truncated": len(attempts) == queries.ATTEMPTS_SHOWN,
        "can_resend": not request.portal_read_only and states.can_resend(found),
        "resent": request.GET.get("resent") == "1",
        "error": error,
    }, status=status)


@portal_view
@require_POST
def resend(request, pk):
    """Send the delivery again now, as a new attempt (``operations.retry_delivery``, as the API's ``retry``)."""
    found = _delivery_or_404(request, pk)
    try:
        operations.retry_delivery(found)
    except ValidationError as exc:
        return _delivery_page(request, found, error=" ".join(exc.messages), status=409)
    return redirect(f"{reverse('portal:delivery', args=[found.pk])}?resent=1")


@portal_view
@require_http_methods(["GET", "POST"])
def recover(request, endpoint_id):
    """Resend every failed delivery of an endpoint since a time (``operations.recover_endpoint``)."""
    endpoint = tenant_endpoint(request, endpoint_id)
    form = RecoverForm(request.POST if request.method == "POST" else None)
    count = None
    if form.is_valid():
        try:
            count = operations.recover_endpoint(endpoint, since=form.cleaned_data["since"])
        except ValidationError as exc:
            form.add_error("since", exc)
    status = 400 if request.method == "POST" and count is None else 200
    return render_page(request, "portal/recover.html", {
        "section": "figures",
        "endpoint": endpoint, "form": form, "count": count, "read_only": request.portal_read_only,
        "failed_url": f"{reverse('portal:deliveries')}?{urlencode({'endpoint': endpoint.pk, 'status': 'failed'})}",
    }, status=status)


@portal_view
@require_GET
def figures(request):
    """An endpoint's deliveries per hour by outcome (a server-drawn chart) and its latency, over 24 h or 7 days."""
    form = FiguresForm(request.GET, tenant=request.portal_tenant)
    if not form.is_valid():
        return render_page(request, "portal/figures.html", {"section": "figures", "form": form}, status=400)
    choices = form.fields["endpoint"].widget.choices
    if not choices:
        return render_page(request, "portal/figures.html", {"section": "figures", "form": form})
    endpoint = tenant_endpoint(request, form.cleaned_data["endpoint"] or choices[0][0])
    window = form.cleaned_data["window"]
    found = queries.endpoint_figures(endpoint, window)
    every, label = CHART_LABELS[window]
    return render_page(request, "portal/figures.html", {
        "section": "figures",
        "form": form,
        "endpoint": endpoint,
        "window": window,
        "chart": chart.stacked_bars(found["hours"], label_every=every, label_format=label),
        "outcomes": [(OUTCOME_NAMES.get(name, name), n) for name, n in found["totals"].items()],
        "p50": milliseconds(found["latency_ms"]["p50"]),
        "p95": milliseconds(found["latency_ms"]["p95"]),
    })
