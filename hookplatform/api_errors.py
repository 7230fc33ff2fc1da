"""JSON for every error answer under the REST API's prefix, including those Django makes before a view runs.

A bad Host header, an oversized body, a crash or a CSRF refusal is answered
by Django's (HTML) handlers, not by DRF.  ``ApiErrorsMiddleware``, first in
``MIDDLEWARE``, turns any non-JSON error answer under the prefix where
``hookplatform.api_urls`` is mounted into the API's error shape: ``400`` as
``{"non_field_errors": [...]}``, anything else as ``{"detail": "..."}``.
The standalone project also points ``handler400/403/404/500`` here.
"""

from django.http import JsonResponse
from django.urls import NoReverseMatch, reverse
from django.views import defaults

from subscriptions.api.errors import NON_FIELD
from subscriptions.api.fallback import API_ROOT

MESSAGES = {
    400: "Bad request: the request or its Host header is not acceptable.",
    403: "Forbidden.",
    404: "No such route.",
    405: "Method not allowed.",
    413: "The request body is too large.",
    500: "Internal server error; the error is logged.",
}


def api_prefix(urlconf=None):
    """Where ``hookplatform.api_urls`` is mounted (e.g. ``/api/``), or None if it is not."""
    try:
        return reverse(API_ROOT, urlconf=urlconf)
    except NoReverseMatch:
        return None


def under_api(request):
    prefix = api_prefix(getattr(request, "urlconf", None))
    return prefix is not None and request.path.startswith(prefix)


def json_error(status):
    message = MESSAGES.get(status) or MESSAGES[400 if status < 500 else 500]
    body = {NON_FIELD: [message]} if status == 400 else {"detail": message}
    return JsonResponse(body, status=status)


def _is_json(response):
    return response.get("Content-Type", "").split(";")[0].strip().endswith("json")


class ApiErrorsMiddleware:
    """Put it first in ``MIDDLEWARE``: it then also sees the answers other middleware produce."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code >= 400 and not _is_json(response) and under_api(request):
            replacement = json_error(response.status_code)
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if header in response:
                    replacement[header] = response[header]
            return replacement
        return response


def _handler(status, default):
    def handler(request, exception=None, **kwargs):
        if under_api(request):
            return json_error(status)
        return default(request, exception) if status != 500 else default(request)

    return handler


bad_request = _handler(400, defaults.bad_request)
permission_denied = _handler(403, defaults.permission_denied)
page_not_found = _handler(404, defaults.page_not_found)
server_error = _handler(500, defaults.server_error)
