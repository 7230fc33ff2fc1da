"""Where a one-time link lands: a GET shows a page that POSTs the token; only the POST redeems it.

Chat and mail services fetch a link to preview it before the person clicks:
a GET (or HEAD) that redeemed the token would use it up.  The page's form
posts the token back at once (``portal/enter.js``, a static file, so a strict
CSP may forbid inline scripts) and has a visible "Continue" button without
JavaScript.  The POST starts a portal session, then the token leaves the address bar.
"""

from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods

from delivery.portal.access import start_portal_session
from delivery.portal.framing import portal_headers
from delivery.portal.rendering import refuse, render_page
from subscriptions.portal_links import redeem_portal_link


def _no_referrer(response):
    response = portal_headers(response)
    response["Referrer-Policy"] = "no-referrer"  # the token is in this page's address
    return response


@ensure_csrf_cookie
@require_http_methods(["GET", "HEAD", "POST"])
def enter(request, token):
    """GET/HEAD: the page that continues (nothing is consumed); POST: redeem once, go to the endpoints."""
    if request.method != "POST":
        return _no_referrer(render_page(request, "portal/enter.html"))
    try:
        link = redeem_portal_link(token)
    except ValidationError:
        return _no_referrer(refuse(request, "link"))
    start_portal_session(request, link)
    return _no_referrer(redirect("portal:endpoints"))
