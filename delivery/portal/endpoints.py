"""The endpoints pages: list, detail, add, edit, delete, disable and enable; each scoped to the request's tenant."""

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from delivery.portal.access import portal_view
from delivery.portal.forms import EndpointForm, TestEventForm
from delivery.portal.paging import keyset_page
from delivery.portal.rendering import render_page
from delivery.selectors import endpoint_health
from subscriptions import endpoints
from subscriptions.models import Endpoint

PAGE_SIZE = 50
DISABLED_REASON = "Disabled in the portal."


def tenant_endpoint(request, endpoint_id):
    """The tenant's endpoint, or 404 (another tenant's id too)."""
    return get_object_or_404(Endpoint, pk=endpoint_id, tenant=request.portal_tenant)


@portal_view
def endpoint_list(request):
    """URL, status, success rate over 24 h and last delivery of a page of endpoints (no COUNT(*))."""
    page, next_cursor = keyset_page(Endpoint.objects.filter(tenant=request.portal_tenant),
                                    request.GET.get("after"), PAGE_SIZE)
    health = endpoint_health([e.pk for e in page], latency=False)  # the list shows no latency
    rows = [{"endpoint": e, "health": health[e.pk]} for e in page]
    return render_page(request, "portal/endpoint_list.html",
                       {"section": "endpoints", "rows": rows, "next_cursor": next_cursor})


def render_detail(request, endpoint, *, status=200, **extra):
    """The endpoint's page; ``extra`` adds a revealed secret, an error or a test form with errors."""
    retiring = endpoint.secrets.filter(expires_at__gt=timezone.now()).order_by("-expires_at").first()
    health = endpoint_health([endpoint.pk], latency=False, last_attempt=False)  # the page shows the rate only
    context = {"section": "endpoints", "endpoint": endpoint, "health": health[endpoint.pk],
               "retiring_until": retiring.expires_at if retiring else None, "test_form": TestEventForm()}
    return render_page(request, "portal/endpoint_detail.html", context | extra, status=status)


@portal_view
def endpoint_detail(request, endpoint_id):
    return render_detail(request, tenant_endpoint(request, endpoint_id))


def _endpoint_form(request, endpoint, save):
    """Show the form; on a valid POST call ``save(fields)`` and go to the endpoint's page."""
    form = EndpointForm(request.POST or None, endpoint=endpoint)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = save(form.domain_fields())
        except ValidationError as exc:
            form.add_domain_errors(exc)
        else:
            return redirect("portal:endpoint", endpoint.pk)
    return render_page(request, "portal/endpoint_form.html", {"section": "endpoints", "form": form,
                                                              "endpoint": endpoint},
                       status=400 if form.errors else 200)


@portal_view
def endpoint_add(request):
    return _endpoint_form(request, None, lambda fields: endpoints.create_endpoint(request.portal_tenant, **fields))


@portal_view
def endpoint_edit(request, endpoint_id):
    endpoint = tenant_endpoint(request, endpoint_id)
    return _endpoint_form(request, endpoint, lambda fields: endpoints.update_endpoint(endpoint, **fields))


@portal_view
def endpoint_delete(request, endpoint_id):
    """GET asks to confirm; POST deletes (with its deliveries and attempts)."""
    endpoint = tenant_endpoint(request, endpoint_id)
    if request.method == "POST":
        endpoints.delete_endpoint(endpoint)
        return redirect("portal:endpoints")
    return render_page(request, "portal/endpoint_delete.html", {"section": "endpoints", "endpoint": endpoint})


@require_POST
@portal_view
def endpoint_disable(request, endpoint_id):
    endpoints.disable_endpoint(tenant_endpoint(request, endpoint_id), reason=DISABLED_REASON)
    return redirect("portal:endpoint", endpoint_id)


@require_POST
@portal_view
def endpoint_enable(request, endpoint_id):
    endpoints.enable_endpoint(tenant_endpoint(request, endpoint_id))
    return redirect("portal:endpoint", endpoint_id)
