"""A host's URLconf as README step 3 writes it: the REST API and the ops pages under prefixes of its own."""

from django.urls import include, path

urlpatterns = [
    path("api/", include("hookplatform.api_urls")),
    path("ops/", include("hookplatform.ops")),
]
