"""The log's routes, for the portal's URLconf to add behind its access check (``protect``)."""

from django.urls import path

from delivery.portal import log


def patterns(protect):
    """The log's URL patterns, each view wrapped in ``protect`` (which sets the request's portal tenant)."""
    return [
        path("deliveries/", protect(log.deliveries), name="deliveries"),
        path("deliveries/<str:pk>/", protect(log.delivery), name="delivery"),
        path("deliveries/<str:pk>/resend/", protect(log.resend), name="resend"),
        path("endpoints/<str:pk>/recover/", protect(log.recover), name="recover"),
        path("figures/", protect(log.figures), name="figures"),
    ]
