"""An endpoint's signing secret in the portal: revealed on a POST only, rotated, and how to verify it."""

from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from delivery.portal.access import portal_actor, portal_view
from delivery.portal.endpoints import render_detail, tenant_endpoint
from delivery.portal.rendering import render_page
from delivery.portal.snippets import tenant_schemes
from subscriptions import secrets


@require_POST
@portal_view
def reveal(request, endpoint_id):
    """The secret in the answer's body (never in a URL, never cached); the reveal is audited."""
    endpoint = tenant_endpoint(request, endpoint_id)
    return render_detail(request, endpoint, secret=secrets.reveal_secret(endpoint, actor=portal_actor(request)))


@require_POST
@portal_view
def rotate(request, endpoint_id):
    """A new secret; the endpoint's page then says until when the old one keeps signing."""
    endpoint = tenant_endpoint(request, endpoint_id)
    try:
        secrets.rotate_secret(endpoint, actor=portal_actor(request))
    except secrets.RotationRateLimited as exc:
        return render_detail(request, endpoint, status=429, secret_error=exc.messages[0])
    return redirect("portal:endpoint", endpoint.pk)


@portal_view
def verifying(request):
    """How to check a signature, with the header names of each scheme the tenant's endpoints use."""
    return render_page(request, "portal/verifying.html",
                       {"section": "endpoints", "schemes": tenant_schemes(request.portal_tenant)})
