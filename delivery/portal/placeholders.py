"""Stand-ins for pages another branch builds, so that the navigation can name them."""

from django.utils.translation import gettext_lazy as _

from delivery.portal.access import portal_view
from delivery.portal.rendering import render_page


@portal_view
def deliveries(request):
    return render_page(request, "portal/placeholder.html",
                       {"section": "deliveries", "heading": _("Deliveries"),
                        "message": _("The deliveries log is not available yet.")})
