"""The endpoints pages: list, add, edit, delete, disable and enable; each scoped to the request's tenant."""

from django.shortcuts import get_object_or_404

from delivery.portal.access import portal_view
from delivery.portal.paging import keyset_page
from delivery.portal.rendering import render_page
from delivery.selectors import endpoint_health
from subscriptions.models import Endpoint

PAGE_SIZE = 50


def tenant_endpoint(request, endpoint_id):
    """The tenant's endpoint, or 404 (another tenant's id too)."""
    return get_object_or_404(Endpoint, pk=endpoint_id, tenant=request.portal_tenant)


@portal_view
def endpoint_list(request):
    """URL, status, success rate over 24 h and last delivery of a page of endpoints (no COUNT(*))."""
    endpoints, next_cursor = keyset_page(Endpoint.objects.filter(tenant=request.portal_tenant),
                                         request.GET.get("after"), PAGE_SIZE)
    health = endpoint_health([e.pk for e in endpoints])
    rows = [{"endpoint": e, "health": health[e.pk]} for e in endpoints]
    return render_page(request, "portal/endpoint_list.html",
                       {"section": "endpoints", "rows": rows, "next_cursor": next_cursor})
