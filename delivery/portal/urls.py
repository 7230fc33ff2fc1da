"""The portal's routes (app_name "portal"); a host includes ``hookplatform.portal_urls``."""

from django.urls import path

from delivery.portal import catalogue, endpoints, entry, log

app_name = "portal"

urlpatterns = [
    path("", endpoints.endpoint_list, name="endpoints"),
    path("enter/<str:token>/", entry.enter, name="enter"),
    path("catalogue/", catalogue.catalogue, name="catalogue"),
    path("deliveries/", log.deliveries, name="deliveries"),
    path("deliveries/<str:pk>/", log.delivery, name="delivery"),
    path("deliveries/<str:pk>/resend/", log.resend, name="resend"),
    path("endpoints/<str:pk>/recover/", log.recover, name="recover"),
    path("figures/", log.figures, name="figures"),
]
