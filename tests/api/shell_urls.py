"""Test-only URLconfs: the standalone project plus views that crash or read a body as a host's would."""

from django.http import HttpResponse
from django.urls import include, path

from hookplatform.urls import *  # noqa: F403  (its urlpatterns and handler400/404/500, whatever they are)


def crash(request):
    raise RuntimeError("boom: internal detail that must not leak")


def host_page(request):
    return HttpResponse("the host's own page")


def reads_form(request):
    return HttpResponse(str(len(request.POST)))


# The project's own URLconf (its handler400/404/500) with two extra routes under /api/.
urlpatterns = [path("api/crash/", crash), path("api/form/", reads_form), *urlpatterns]  # noqa: F405


class Host:
    """A host that mounts the API under its own prefix and keeps Django's HTML error handlers."""

    urlpatterns = [path("hooks/api/crash/", crash), path("hooks/api/", include("hookplatform.api_urls"))]


class SharingHost:
    """A host with routes of its own under the API's prefix, after the API."""

    urlpatterns = [path("api/", include("hookplatform.api_urls")), path("api/shop/", host_page)]
