"""The portal's routes (app_name "portal"); a host includes ``hookplatform.portal_urls``."""

from django.urls import path

from delivery.portal import catalogue, endpoints, entry, placeholders

app_name = "portal"

urlpatterns = [
    path("", endpoints.endpoint_list, name="endpoints"),
    path("enter/<str:token>/", entry.enter, name="enter"),
    path("catalogue/", catalogue.catalogue, name="catalogue"),
    # Placeholder until the deliveries log lands (helper portal-b replaces this line).
    path("deliveries/", placeholders.deliveries, name="deliveries"),
]
