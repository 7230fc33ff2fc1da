"""The portal's routes (app_name "portal"); a host includes ``hookplatform.portal_urls``."""

from django.urls import path

from delivery.portal import catalogue, endpoints, entry, log, signing_secrets, testing

app_name = "portal"

ENDPOINT = "endpoints/<str:endpoint_id>/"

urlpatterns = [
    path("", endpoints.endpoint_list, name="endpoints"),
    path("enter/<str:token>/", entry.enter, name="enter"),
    path("endpoints/new/", endpoints.endpoint_add, name="endpoint-add"),
    path(ENDPOINT, endpoints.endpoint_detail, name="endpoint"),
    path(f"{ENDPOINT}edit/", endpoints.endpoint_edit, name="endpoint-edit"),
    path(f"{ENDPOINT}delete/", endpoints.endpoint_delete, name="endpoint-delete"),
    path(f"{ENDPOINT}disable/", endpoints.endpoint_disable, name="endpoint-disable"),
    path(f"{ENDPOINT}enable/", endpoints.endpoint_enable, name="endpoint-enable"),
    path(f"{ENDPOINT}secret/", signing_secrets.reveal, name="endpoint-secret"),
    path(f"{ENDPOINT}secret/rotate/", signing_secrets.rotate, name="endpoint-rotate"),
    path(f"{ENDPOINT}test/", testing.send, name="endpoint-send-test"),
    path(f"{ENDPOINT}test/<str:event_id>/", testing.result, name="endpoint-test"),
    path("verifying/", signing_secrets.verifying, name="verifying"),
    path("catalogue/", catalogue.catalogue, name="catalogue"),
    path("deliveries/", log.deliveries, name="deliveries"),
    path("deliveries/<str:pk>/", log.delivery, name="delivery"),
    path("deliveries/<str:pk>/resend/", log.resend, name="resend"),
    path(f"{ENDPOINT}recover/", log.recover, name="recover"),
    path("figures/", log.figures, name="figures"),
]
