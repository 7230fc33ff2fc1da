"""What every hookplatform API view shares, set on the views rather than in global settings.

A host mounting the API keeps its own ``REST_FRAMEWORK`` defaults for its
own views; ours always authenticate with Bearer keys, speak JSON only,
paginate by cursor and answer errors in one shape.
"""

from drf_spectacular.openapi import AutoSchema
from rest_framework import renderers, viewsets

from subscriptions.api.authentication import BearerKeyAuthentication
from subscriptions.api.errors import handle_exception
from subscriptions.api.pagination import NewestFirstPagination
from subscriptions.api.parsers import BoundedJSONParser
from subscriptions.api.permissions import HasApiKey
from subscriptions.api.throttling import ApiKeyRateThrottle


class ApiViewMixin:
    authentication_classes = [BearerKeyAuthentication]
    permission_classes = [HasApiKey]
    throttle_classes = [ApiKeyRateThrottle]
    parser_classes = [BoundedJSONParser]
    renderer_classes = [renderers.JSONRenderer]
    pagination_class = NewestFirstPagination
    schema = AutoSchema()
    # PUT is not part of the contract: changes are PATCHes.
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_exception_handler(self):
        return handle_exception


class ApiViewSet(ApiViewMixin, viewsets.GenericViewSet):
    pass
