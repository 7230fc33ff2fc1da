"""Where a one-time link lands: it starts a portal session for its tenant, then leaves the token behind."""

from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from delivery.portal.access import start_portal_session
from delivery.portal.framing import portal_headers
from delivery.portal.rendering import refuse
from subscriptions.portal_links import redeem_portal_link


@require_GET
def enter(request, token):
    """Redeem the link (once) and go to the endpoints page, so the token leaves the address bar."""
    try:
        link = redeem_portal_link(token)
    except ValidationError:
        return portal_headers(refuse(request, "link"))
    start_portal_session(request, link)
    response = portal_headers(redirect("portal:endpoints"))
    response["Referrer-Policy"] = "no-referrer"
    return response
