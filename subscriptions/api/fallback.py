"""The API's root (``v1/`` lists its routes) and the JSON 404 for any path under the prefix that names no route.

Both are public and left out of the OpenAPI document (``schema(None)``), so
they need nothing of the host's ``REST_FRAMEWORK`` defaults, not even its
schema class.
"""

import re

from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    renderer_classes,
    schema,
    throttle_classes,
)
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

API_ROOT = "hookplatform-api-root"  # the URL name of the API's prefix itself
KWARG = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def public(methods):
    """A function view of ours: JSON, no authentication, no throttle, not in the schema (DRF adds OPTIONS)."""
    def decorate(function):
        for decorator in (schema(None), renderer_classes([JSONRenderer]), permission_classes([]),
                          throttle_classes([]), authentication_classes([]), api_view(methods)):
            function = decorator(function)
        return function
    return decorate


@public(["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD"])
def not_found(request):
    raise NotFound("No such route.")


def route_templates(router):
    """Each registered prefix as a readable path (``tenants/{tenant_uid}/endpoints/``), in order, once."""
    return list(dict.fromkeys(KWARG.sub(r"{\1}", prefix) + "/" for prefix, _, _ in router.registry))


def api_root(routes):
    """``GET v1/``: the routes under it, as absolute URLs (``{tenant_uid}`` to fill in), and where the schema is."""
    @public(["GET", "HEAD"])
    def root(request):
        base = request.build_absolute_uri()
        return Response({
            "routes": {route: base + route for route in routes},
            "schema": request.build_absolute_uri("../schema/"),
            "docs": request.build_absolute_uri("../docs/"),
            "authentication": "Authorization: Bearer <api key> (python manage.py create_api_key)",
        })
    return root
