from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("hookplatform.api_urls")),  # hookplatform's REST API under /api/v1/
    path("ops/", include("hookplatform.ops")),  # /ops/healthz and /ops/metrics
    path("account/webhooks/", include("hookplatform.portal_urls")),  # the signed-in owner's webhook portal
]
