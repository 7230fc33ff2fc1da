"""The tenant portal, mounted by a host with ``path("webhooks/", include("hookplatform.portal_urls"))``.

Whose portal a request sees: ``WEBHOOKS_PORTAL_TENANT`` (the host's own
login) or a one-time link from ``POST /api/v1/tenants/{uid}/portal-sessions/``
(``delivery.portal.access``).  URL names live in the ``portal`` namespace.
"""

from django.urls import include, path

urlpatterns = [
    path("", include("delivery.portal.urls")),
]
