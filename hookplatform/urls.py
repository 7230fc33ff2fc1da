from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("hookplatform.api_urls")),
    path("webhooks/", include("hookplatform.portal_urls")),
    path("", include("hookplatform.ops")),
]

# JSON under /api/, Django's pages elsewhere (hookplatform.api_errors).
handler400 = "hookplatform.api_errors.bad_request"
handler403 = "hookplatform.api_errors.permission_denied"
handler404 = "hookplatform.api_errors.page_not_found"
handler500 = "hookplatform.api_errors.server_error"
