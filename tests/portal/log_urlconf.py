"""The log's routes behind a stand-in access check: the tenant and read-only flag come from test headers."""

from django.urls import include, path

from delivery.portal.log_urls import patterns
from subscriptions.models import Tenant


def protect(view):
    def as_tenant(request, *args, **kwargs):
        request.portal_tenant = Tenant.objects.get(uid=request.headers["X-Test-Tenant"])
        request.portal_read_only = request.headers.get("X-Test-Read-Only") == "1"
        return view(request, *args, **kwargs)

    return as_tenant


urlpatterns = [path("webhooks/", include((patterns(protect), "portal")))]
