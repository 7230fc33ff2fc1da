"""The REST API, mounted by a host with ``path("api/", include("hookplatform.api_urls"))``.

Routes of contract section 3 under ``v1/`` (which lists them); the OpenAPI document at
``schema/`` and interactive docs at ``docs/``.  Anything else under the
prefix answers a JSON 404 (``hookplatform.api_errors`` makes the answers
Django gives before a view runs JSON too).
"""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from delivery.api.views import DeliveryViewSet, EndpointTrafficViewSet, EventViewSet
from subscriptions.api.fallback import API_ROOT, api_root, not_found, route_templates
from subscriptions.api.schema import SCHEMA_SETTINGS
from subscriptions.api.views import ApiKeyViewSet, EndpointViewSet, EventTypeViewSet, TenantViewSet

TENANT = r"tenants/(?P<tenant_uid>[^/]+)"

router = SimpleRouter()
router.register("event-types", EventTypeViewSet, basename="event-type")
router.register("tenants", TenantViewSet, basename="tenant")
router.register(f"{TENANT}/endpoints", EndpointViewSet, basename="endpoint")
router.register(f"{TENANT}/endpoints", EndpointTrafficViewSet, basename="endpoint-traffic")
router.register(f"{TENANT}/events", EventViewSet, basename="event")
router.register(f"{TENANT}/deliveries", DeliveryViewSet, basename="delivery")
router.register("api-keys", ApiKeyViewSet, basename="api-key")

urlpatterns = [
    path("v1/", api_root(route_templates(router)), name="hookplatform-api-v1"),
    path("v1/", include(router.urls)),
    re_path(r"^v1/", not_found),
    # Public pages: no Session or Basic authentication, which would answer password guesses (L9); not
    # documents of their own (schema=None), so the host's DEFAULT_SCHEMA_CLASS never matters.
    path("schema/", SpectacularAPIView.as_view(custom_settings=SCHEMA_SETTINGS, authentication_classes=[],
                                               schema=None), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema", authentication_classes=[], schema=None),
         name="api-docs"),
    # The prefix itself; reversing it tells ApiErrorsMiddleware where the API is mounted.  Other
    # unknown paths fall through to the host's routes (which may share the prefix), then to a 404.
    path("", not_found, name=API_ROOT),
]
