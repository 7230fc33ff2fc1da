"""Finding objects by the ids in a URL, within what the caller's key may see.

Anything that does not exist, is malformed, or belongs to another tenant is
the same 404, so a tenant key learns nothing about other tenants.
"""

import re

from django.http import Http404

from subscriptions.models import Endpoint, Tenant
from subscriptions.validation import TENANT_UID

ENDPOINT_ID = re.compile(r"^ep_[0-9A-Z]{26}$")
EVENT_ID = re.compile(r"^msg_[0-9A-Z]{26}$")
NUMBER_ID = re.compile(r"^[0-9]{1,18}$")
ANY_SEGMENT = "[^/]+"


def get_or_404(queryset, pattern, **lookup):
    """The one object matching ``lookup``, after checking the URL value's shape."""
    ((field, value),) = lookup.items()
    if not isinstance(value, str) or len(value) > 128 or not pattern.match(value):
        raise Http404
    found = queryset.filter(**lookup).first()
    if found is None:
        raise Http404
    return found


def visible_tenants(request):
    key = request.auth
    if key is None:
        return Tenant.objects.none()
    return Tenant.objects.all() if key.is_platform else Tenant.objects.filter(pk=key.tenant_id)


def tenant_or_404(request, uid):
    return get_or_404(visible_tenants(request), TENANT_UID, uid=uid)


class TenantScopedMixin:
    """For views under ``/tenants/{tenant_uid}/``: ``self.tenant`` is the caller's to see, or 404."""

    tenant = None  # until initial(); the schema generator sees empty querysets

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.tenant = tenant_or_404(request, kwargs.get("tenant_uid"))



class EndpointLookupMixin(TenantScopedMixin):
    """``self.get_object()`` is an endpoint of the URL's tenant, or 404."""

    lookup_value_regex = ANY_SEGMENT

    def get_queryset(self):
        # send_state: failing_since and last_success_at, kept by delivery; one join, not a query per endpoint
        return Endpoint.objects.filter(tenant=self.tenant).select_related("send_state").order_by("-id")

    def get_object(self):
        return get_or_404(self.get_queryset(), ENDPOINT_ID, pk=self.kwargs["pk"])
