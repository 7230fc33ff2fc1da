"""Drawing a portal page: the template with the branding, the tenant and whether it is read-only."""

from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from subscriptions import conf

REFUSALS = {
    "no_tenant": _("You have no access to this page. Sign in to your account, or ask for a new link."),
    "read_only": _("This session can only read: changes are not allowed."),
    "not_found": _("There is no such page here."),
    "link": _("This link is used, expired or unknown: ask for a new one."),
}


def branding():
    settings = conf.get()
    return {"product_name": settings.portal_product_name, "logo_url": settings.portal_logo_url,
            "accent_colour": settings.portal_accent_colour}


def render_page(request, template, context=None, *, status=200):
    """Render ``template`` (which extends ``portal/base.html``) for the request's tenant."""
    page = {"portal": branding() | {"tenant": getattr(request, "portal_tenant", None),
                                    "read_only": getattr(request, "portal_read_only", True)}}
    return render(request, template, page | (context or {}), status=status)


def refuse(request, reason, *, status=403):
    """The page a refused request gets: what went wrong (with the navigation if the tenant is known)."""
    return render_page(request, "portal/refused.html", {"message": REFUSALS[reason], "status": status},
                       status=status)
