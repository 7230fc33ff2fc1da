"""Whose portal a request sees, and whether it may change anything.

Two ways in: the host's own function (``WEBHOOKS_PORTAL_TENANT``, the dotted
path of ``request -> tenant uid or None``), which uses the host's login; or a
portal session, started by a one-time link (``subscriptions.portal_links``)
and kept in the Django session under a key of its own, so it never logs
the browser into the admin or the host.  The host's answer wins when it
names a tenant.  Every portal view is wrapped by :func:`portal_view`.
"""

import time
from functools import wraps

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.decorators import method_decorator
from django.utils.module_loading import import_string

from delivery.portal.framing import portal_headers
from delivery.portal.rendering import refuse
from subscriptions import conf
from subscriptions.models import Tenant
from subscriptions.tenants import resolve_tenant

SESSION_KEY = "hookplatform_portal"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def start_portal_session(request, link):
    """Sign this browser into ``link``'s tenant's portal only (a new session key: no fixation)."""
    request.session.cycle_key()
    request.session[SESSION_KEY] = {
        "tenant": link.tenant.uid,
        "read_only": link.read_only,
        "expires": time.time() + conf.get().portal_session_age,
    }


def _host_tenant(request):
    path = conf.get().portal_tenant
    return import_string(path)(request) if path else None


def _session_grant(request):
    """``(uid, read_only)`` of a live portal session, else None (an expired one is dropped)."""
    session = getattr(request, "session", None)
    grant = session.get(SESSION_KEY) if session is not None else None
    if not isinstance(grant, dict):
        return None
    if not grant.get("expires", 0) > time.time():
        del session[SESSION_KEY]
        return None
    return grant["tenant"], bool(grant.get("read_only"))


def resolve_portal(request):
    """``(tenant, read_only, via)`` for this request (``via`` is "host" or "link"), or None.

    The host's tenant is created on its first visit, as ``publish`` creates
    one; a link's tenant must still exist (a deleted tenant's session opens nothing).
    """
    uid = _host_tenant(request)
    if uid is not None:
        try:
            return resolve_tenant(str(uid)), False, "host"
        except ValidationError:
            return None
    grant = _session_grant(request)
    tenant = Tenant.objects.filter(uid=grant[0]).first() if grant else None
    return (tenant, grant[1], "link") if tenant else None


def portal_view(view):
    """Wrap a portal view: 403 without a tenant, 403 for a write while read-only, framing headers always.

    Sets ``request.portal_tenant`` (a ``Tenant``), ``request.portal_read_only`` and
    ``request.portal_via`` ("host": the host's login; "link": a one-time link's session).
    """
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        access = resolve_portal(request)
        if access is None:
            return portal_headers(refuse(request, "no_tenant"))
        request.portal_tenant, request.portal_read_only, request.portal_via = access
        if request.portal_read_only and request.method not in SAFE_METHODS:
            return portal_headers(refuse(request, "read_only"))
        try:
            response = view(request, *args, **kwargs)
        except Http404:  # another tenant's id too: the portal's own page, with its headers
            response = refuse(request, "not_found", status=404)
        return portal_headers(response)

    return wrapped


class PortalMixin:
    """The same for a class-based view."""

    @method_decorator(portal_view)
    def dispatch(self, request, *args, **kwargs):
        return super().dispatch(request, *args, **kwargs)


def portal_actor(request):
    """Who did it, for the secret audit log: the host's user, or a one-time link's session."""
    who = f"user {request.user.get_username()}" if request.portal_via == "host" else "link session"
    return f"portal {who} of {request.portal_tenant.uid}"
