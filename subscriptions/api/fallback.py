"""The JSON 404 for any path under the API's prefix that names no route."""

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, authentication_classes, permission_classes, renderer_classes
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer

API_ROOT = "hookplatform-api-root"  # the URL name of the API's prefix itself


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS"])
@authentication_classes([])
@permission_classes([])
@renderer_classes([JSONRenderer])
def not_found(request):
    raise NotFound("No such route.")
