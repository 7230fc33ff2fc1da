"""What every hookplatform API view shares, set on the views rather than in global settings.

A host mounting the API keeps its own ``REST_FRAMEWORK`` defaults for its
own views; ours always authenticate with Bearer keys, speak JSON only,
paginate by cursor and answer errors in one shape.
"""

from collections.abc import Mapping

from drf_spectacular.openapi import AutoSchema
from rest_framework import exceptions, renderers, viewsets

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


def unknown_fields(data, fields):
    """Each field of a request body that ``fields`` does not take, with why: ``{name: [message]}``."""
    if not isinstance(data, Mapping):
        return {}
    errors = {}
    for name in data:
        field = fields.get(name)
        if field is None:
            errors[name] = ["Unknown field."]
        elif field.read_only:
            errors[name] = ["This field is read-only."]
    return errors


class KnownFieldsOnly:
    """Serializer mixin for every request body: a field it does not take answers 400 naming it.

    DRF drops unknown and read-only fields silently, so a misspelt or
    unsupported field (``filtr``, a field of a later version) would be saved
    as if it had never been sent: the caller would get 201 and something
    else than asked.  Nested serializers with this mixin check their own keys.
    """

    def to_internal_value(self, data):
        errors = unknown_fields(data, self.fields)
        if errors:
            raise exceptions.ValidationError(errors)
        return super().to_internal_value(data)


def check_no_body(request):
    """For routes that take no body: any field sent is unknown (400), not silently ignored."""
    errors = unknown_fields(request.data, {})
    if errors:
        raise exceptions.ValidationError(errors)
