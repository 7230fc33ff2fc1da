"""Sending a test event to one endpoint, and the page that shows its attempt."""

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from delivery.models import Delivery
from delivery.operations import send_test_event
from delivery.portal.access import portal_view
from delivery.portal.endpoints import render_detail, tenant_endpoint
from delivery.portal.forms import TestEventForm
from delivery.portal.rendering import render_page

WAITING = (Delivery.Status.PENDING, Delivery.Status.SENDING)


@require_POST
@portal_view
def send(request, endpoint_id):
    endpoint = tenant_endpoint(request, endpoint_id)
    form = TestEventForm(request.POST)
    if form.is_valid():
        try:
            event = send_test_event(endpoint, form.cleaned_data["event_type"])
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            return redirect("portal:endpoint-test", endpoint.pk, event.pk)
    return render_detail(request, endpoint, status=400, test_form=form)


@portal_view
def result(request, endpoint_id, event_id):
    """The test delivery and its attempts; the page reloads itself while the first attempt is on its way."""
    endpoint = tenant_endpoint(request, endpoint_id)
    delivery = get_object_or_404(Delivery.objects.select_related("event"), event_id=event_id, endpoint=endpoint,
                                 tenant=request.portal_tenant)
    attempts = list(delivery.attempts.order_by("-id")[:10])
    return render_page(request, "portal/test_result.html",
                       {"section": "endpoints", "endpoint": endpoint, "delivery": delivery, "attempts": attempts,
                        "waiting": delivery.status in WAITING and not attempts})
