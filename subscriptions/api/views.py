"""Event types, tenants, endpoints (with their secrets) and API keys over HTTP.

Each view checks types with a serializer, then calls the same domain
function the Python API and the admin call.
"""

from django.db import transaction
from django.urls import NoReverseMatch, reverse
from drf_spectacular.utils import extend_schema_view
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from subscriptions import endpoints, event_types, portal_links, secrets, tenants
from subscriptions.api import serializers as s
from subscriptions.api.base import ApiViewSet, check_no_body
from subscriptions.api.errors import domain_errors
from subscriptions.api.permissions import PlatformKeyForWrites, PlatformKeyOnly, PlatformKeyRequired
from subscriptions.api.schema import extend_schema
from subscriptions.api.scoping import (
    NUMBER_ID,
    EndpointLookupMixin,
    get_or_404,
    visible_tenants,
)
from subscriptions.api_keys import create_api_key, revoke_api_key
from subscriptions.models import ApiKey, EventType
from subscriptions.validation import EVENT_TYPE_NAME, TENANT_UID

DISABLED_REASON = "Disabled over the API."
EVENT_TYPE_ERRORS = {"invalid_event_type": "name", "invalid_schema": "schema", "too_long": "description"}


class ReadMixin(mixins.ListModelMixin, mixins.RetrieveModelMixin):
    pass


def api_actor(request):
    """Who did it, for the audit log: the API key's prefix and name."""
    api_key = request.auth
    return f"api key {api_key.prefix}… ({api_key.name or 'unnamed'})"


def portal_link_url(request, token):
    """The absolute URL of the portal's entry for ``token`` (the host mounts ``hookplatform.portal_urls``)."""
    try:
        return request.build_absolute_uri(reverse("portal:enter", args=[token]))
    except NoReverseMatch:
        raise PortalNotMounted() from None


class PortalNotMounted(exceptions.APIException):
    status_code = status.HTTP_501_NOT_IMPLEMENTED
    default_detail = "The portal is not mounted: include hookplatform.portal_urls in the URLconf."
    default_code = "portal_not_mounted"


def partial_update_with(view, serializer_class, apply):
    """PATCH: check types, hand the given fields to ``apply(obj, fields)``, answer the object."""
    obj = view.get_object()
    serializer = serializer_class(obj, data=view.request.data, partial=True)
    serializer.is_valid(raise_exception=True)
    with domain_errors():
        obj = apply(obj, serializer.validated_data)
    return Response(view.get_serializer(obj).data)


@extend_schema_view(
    list=extend_schema(summary="List event types", description="Newest first."),
    create=extend_schema(summary="Create an event type", description="Needs a platform key."),
    retrieve=extend_schema(summary="Read an event type"),
    partial_update=extend_schema(summary="Change an event type", request=s.EventTypeUpdateSerializer,
                                 description="`description`, `schema`, `archived`. Needs a platform key."),
    destroy=extend_schema(
        summary="Archive an event type",
        description="Archives the type: it takes no new events, while its past events and deliveries stay "
                    "readable. `PATCH {\"archived\": false}` brings it back. Needs a platform key.",
    ),
)
class EventTypeViewSet(ReadMixin, ApiViewSet):
    serializer_class = s.EventTypeSerializer
    permission_classes = [PlatformKeyForWrites]
    lookup_field = "name"
    lookup_value_regex = "[^/]+"
    queryset = EventType.objects.order_by("-id")

    def get_object(self):
        return get_or_404(EventType.objects.all(), EVENT_TYPE_NAME, name=self.kwargs["name"])

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with domain_errors("name", EVENT_TYPE_ERRORS):
            event_type = event_types.create_event_type(**serializer.validated_data)
        return Response(self.get_serializer(event_type).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, name=None):
        def apply(event_type, fields):
            with domain_errors("schema", EVENT_TYPE_ERRORS):
                return event_types.update_event_type(event_type, **fields)
        return partial_update_with(self, s.EventTypeUpdateSerializer, apply)

    def destroy(self, request, name=None):
        event_types.archive_event_type(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="List tenants", description="Platform keys only."),
    create=extend_schema(summary="Create a tenant", description="Platform keys only."),
    retrieve=extend_schema(summary="Read a tenant"),
    partial_update=extend_schema(summary="Change a tenant", request=s.TenantUpdateSerializer),
    destroy=extend_schema(summary="Delete a tenant",
                          description="Deletes the tenant with its endpoints, events, deliveries and keys."),
)
class TenantViewSet(ReadMixin, ApiViewSet):
    serializer_class = s.TenantSerializer
    permission_classes = [PlatformKeyOnly]
    lookup_field = "uid"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return visible_tenants(self.request).order_by("-id")

    def get_object(self):
        tenant = get_or_404(self.get_queryset(), TENANT_UID, uid=self.kwargs["uid"])
        self.check_object_permissions(self.request, tenant)
        return tenant

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        with domain_errors("uid", {"invalid": "metadata", "too_long": "metadata"}):
            tenant = tenants.create_tenant(fields.pop("uid"), **fields)
        return Response(self.get_serializer(tenant).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, uid=None):
        def apply(tenant, fields):
            with domain_errors("metadata"):
                return tenants.update_tenant(tenant, **fields)
        return partial_update_with(self, s.TenantUpdateSerializer, apply)

    def destroy(self, request, uid=None):
        self.get_object().delete()
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="Make a one-time link into the tenant's portal", request=s.PortalSessionSerializer,
                   responses={201: s.PortalSessionCreatedSerializer},
                   description="Opening `url` in a browser signs it into this tenant's portal and nothing else "
                               "(a portal session lasting `WEBHOOKS_PORTAL_SESSION_AGE`). The link works once "
                               "and until `expires_at`. `read_only: true` shows the portal without changes. "
                               "Platform keys only.")
    @action(detail=True, methods=["post"], url_path="portal-sessions", permission_classes=[PlatformKeyRequired])
    def portal_sessions(self, request, uid=None):
        tenant = self.get_object()
        serializer = s.PortalSessionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with domain_errors():
            link, token = portal_links.create_portal_link(tenant, **serializer.validated_data)
        data = {"url": portal_link_url(request, token), "expires_at": link.expires_at}
        return Response(s.PortalSessionCreatedSerializer(data).data, status=status.HTTP_201_CREATED)


def _apply_endpoint_changes(endpoint, fields):
    """Editable fields through ``update_endpoint``; ``disabled`` through disable/enable."""
    disabled = fields.pop("disabled", None)
    with transaction.atomic():
        if fields:
            endpoint = endpoints.update_endpoint(endpoint, **fields)
        if disabled is True and not endpoint.disabled:
            endpoint = endpoints.disable_endpoint(endpoint, reason=DISABLED_REASON)
        elif disabled is False and endpoint.disabled:
            endpoint = endpoints.enable_endpoint(endpoint)
    return endpoint


def _secret_answer(key, row):
    return s.SecretSerializer({"key": key, "created_at": row.created_at}).data


@extend_schema_view(
    list=extend_schema(summary="List a tenant's endpoints", description="Newest first."),
    create=extend_schema(summary="Create an endpoint", responses={201: s.EndpointCreatedSerializer},
                         description="The answer includes the signing secret, this once."),
    retrieve=extend_schema(summary="Read an endpoint"),
    partial_update=extend_schema(summary="Change an endpoint",
                                 description="`disabled: true` stops sending (deliveries are kept); "
                                             "`false` resumes."),
    destroy=extend_schema(summary="Delete an endpoint", description="With its deliveries and attempts."),
)
class EndpointViewSet(EndpointLookupMixin, ReadMixin, ApiViewSet):
    serializer_class = s.EndpointSerializer

    def create(self, request, tenant_uid=None):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        disabled = fields.pop("disabled", False)
        with domain_errors(), transaction.atomic():
            endpoint = endpoints.create_endpoint(self.tenant, **fields)
            if disabled:
                endpoint = endpoints.disable_endpoint(endpoint, reason=DISABLED_REASON)
        data = s.EndpointCreatedSerializer(endpoint).data | {"secret": secrets.current_secret(endpoint).reveal()}
        return Response(data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, tenant_uid=None, pk=None):
        return partial_update_with(self, s.EndpointSerializer, _apply_endpoint_changes)

    def destroy(self, request, tenant_uid=None, pk=None):
        endpoints.delete_endpoint(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="Try the content filter on an event", request=s.FilterTestSerializer,
                   responses={200: s.FilterTestResultSerializer},
                   description="Whether an event with this `event_type` and `data` passes the endpoint's saved "
                               "filter, or the `filter` given instead (checked as when saved: 400 names the bad "
                               "path or operator). Event types are not considered; nothing is sent or saved.")
    @action(detail=True, methods=["post"], url_path="filter-test")
    def filter_test(self, request, tenant_uid=None, pk=None):
        endpoint = self.get_object()
        serializer = s.FilterTestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = serializer.validated_data
        with domain_errors("filter"):
            matched = endpoints.filter_matches(endpoint, event_type=fields["event_type"], data=fields["data"],
                                               content_filter=fields["filter"])
        return Response({"matches": matched})

    @extend_schema(summary="Render the body template for a sample event", request=s.TemplatePreviewSerializer,
                   responses={200: s.TemplatePreviewResultSerializer},
                   description="The endpoint's saved template, or the `body_template` given instead, rendered as a "
                               "delivery would be (sandboxed, bounded in time and size, JSON checked); 400 on "
                               "`body_template` says why it failed. Nothing is sent or saved.")
    @action(detail=True, methods=["post"], url_path="template-preview")
    def template_preview(self, request, tenant_uid=None, pk=None):
        endpoint = self.get_object()
        serializer = s.TemplatePreviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with domain_errors("body_template"):
            body, content_type = endpoints.preview_body(endpoint, **serializer.validated_data)
        return Response({"body": body, "content_type": content_type})

    @extend_schema(summary="Reveal the endpoint's signing secret", request=None,
                   responses={200: s.SecretSerializer})
    @action(detail=True, methods=["get"], url_path="secret")
    def secret(self, request, tenant_uid=None, pk=None):
        endpoint = self.get_object()
        key = secrets.reveal_secret(endpoint, actor=api_actor(request))
        return Response(_secret_answer(key, secrets.current_secret(endpoint)))

    @extend_schema(summary="Rotate the signing secret", request=None,
                   responses={200: s.SecretSerializer, 429: s.ErrorSerializer},
                   description="A new secret becomes current; the old one keeps signing for the grace period "
                               "(default 24 h), so receivers see two signatures meanwhile. Any older secret "
                               "stops signing at once. At most `WEBHOOKS_SECRET_ROTATIONS_PER_HOUR` rotations "
                               "per endpoint and hour: more answer 429 with `Retry-After`.")
    @action(detail=True, methods=["post"], url_path="secret/rotate")
    def rotate(self, request, tenant_uid=None, pk=None):
        check_no_body(request)
        try:
            new = secrets.rotate_secret(self.get_object(), actor=api_actor(request))
        except secrets.RotationRateLimited as exc:
            raise exceptions.Throttled(wait=exc.retry_after, detail=exc.messages[0]) from None
        return Response(_secret_answer(new.reveal(), new))


@extend_schema_view(
    list=extend_schema(summary="List API keys", description="Prefixes only, newest first. Platform keys only."),
    create=extend_schema(summary="Create an API key", request=s.ApiKeyCreateSerializer,
                         responses={201: s.ApiKeyCreatedSerializer},
                         description="The answer includes the key, this once. Platform keys only."),
    retrieve=extend_schema(summary="Read an API key"),
    destroy=extend_schema(summary="Revoke an API key",
                          description="The key stops working at once; it stays listed as revoked."),
)
class ApiKeyViewSet(ReadMixin, ApiViewSet):
    serializer_class = s.ApiKeySerializer
    permission_classes = [PlatformKeyRequired]
    lookup_value_regex = "[^/]+"
    queryset = ApiKey.objects.select_related("tenant").order_by("-id")

    def get_object(self):
        return get_or_404(self.get_queryset(), NUMBER_ID, pk=self.kwargs["pk"])

    def create(self, request):
        serializer = s.ApiKeyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        uid = serializer.validated_data["tenant"]
        tenant = None
        if uid is not None:
            tenant = visible_tenants(request).filter(uid=uid).first() if TENANT_UID.match(uid) else None
            if tenant is None:
                return Response({"tenant": [f"No tenant {uid!r}."]}, status=status.HTTP_400_BAD_REQUEST)
        api_key, key = create_api_key(tenant=tenant, name=serializer.validated_data["name"])
        data = s.ApiKeyCreatedSerializer(api_key).data | {"key": key}
        return Response(data, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        revoke_api_key(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
