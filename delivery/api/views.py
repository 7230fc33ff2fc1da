"""Events, deliveries and attempts over HTTP, and what one does to an endpoint's traffic.

Views check types, then call the domain verbs (``publish``, ``retry_delivery``,
``recover_endpoint``, ``send_test_event``, ``endpoint_stats``).
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Prefetch
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from delivery import bulk_publishing, operations, polling, publishing
from delivery.api import serializers as s
from delivery.api.filters import DeliveryFilter
from delivery.models import Attempt, Delivery, Event
from delivery.selectors import endpoint_stats
from subscriptions.api.base import ApiViewSet, check_no_body
from subscriptions.api.errors import Conflict, domain_errors
from subscriptions.api.pagination import AttemptPagination
from subscriptions.api.schema import extend_schema
from subscriptions.api.scoping import EVENT_ID, NUMBER_ID, EndpointLookupMixin, TenantScopedMixin, get_or_404
from subscriptions.api.serializers import ErrorSerializer

EVENT_ERRORS = publishing.FIELD_OF


def paginated_attempts(view, attempts):
    page = view.paginate_queryset(attempts)
    return view.get_paginated_response(s.AttemptSerializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(summary="List a tenant's events", description="Newest first."),
    retrieve=extend_schema(summary="Read an event, with each delivery's status",
                           responses={200: s.EventDetailSerializer}),
    create=extend_schema(summary="Publish an event", request=s.PublishSerializer,
                         responses={202: s.EventSerializer},
                         description="Records the event and answers 202 at once; it is sent to every matching "
                                     "endpoint of the tenant. With a known `idempotency_key` (within 24 h) the "
                                     "first event is answered and nothing new is sent."),
)
class EventViewSet(TenantScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = s.EventSerializer
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return Event.objects.filter(tenant=self.tenant)

    def get_object(self):
        deliveries = Prefetch("deliveries", queryset=Delivery.objects.order_by("-id"))
        return get_or_404(self.get_queryset().prefetch_related(deliveries), EVENT_ID, pk=self.kwargs["pk"])

    def get_serializer_class(self):
        return s.EventDetailSerializer if self.action == "retrieve" else s.EventSerializer

    def create(self, request, tenant_uid=None):
        serializer = s.PublishSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = serializer.validated_data
        with domain_errors("data", EVENT_ERRORS):
            event = publishing.publish(fields["event_type"], fields["data"], tenant=self.tenant,
                                       idempotency_key=fields["idempotency_key"])
        return Response(s.EventSerializer(event).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(summary="Publish up to 100 events at once", request=s.BatchPublishSerializer,
                   responses={202: s.BatchPublishedSerializer},
                   description="All of the events or none: one bad event refuses the request with `400`, "
                               "naming each bad event by its index (`events.<index>.<field>`), and nothing is "
                               "published. Each event is answered as `POST .../events/` would answer it, in the "
                               "order sent; a known `idempotency_key` answers the first event.")
    @action(detail=False, methods=["post"], url_path="batch", filter_backends=[], pagination_class=None)
    def batch(self, request, tenant_uid=None):
        serializer = s.BatchPublishSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        items = [{**fields, "tenant": self.tenant} for fields in serializer.validated_data["events"]]
        try:
            events = bulk_publishing.publish_many(items)
        except DjangoValidationError as exc:
            raise ValidationError({f"events.{where}": messages for where, messages in exc.message_dict.items()})
        return Response({"events": s.EventSerializer(events, many=True).data}, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    list=extend_schema(summary="List a tenant's deliveries",
                       description="Newest first; filter by `endpoint`, `event` and `status`."),
    retrieve=extend_schema(summary="Read a delivery with its latest attempts",
                           responses={200: s.DeliveryDetailSerializer}),
)
class DeliveryViewSet(TenantScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = s.DeliverySerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = DeliveryFilter
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        # The event's type by a join, without loading the event (its body may be large).
        return Delivery.objects.filter(tenant=self.tenant).annotate(event_type=F("event__event_type"))

    def get_object(self):
        return get_or_404(self.get_queryset(), NUMBER_ID, pk=self.kwargs["pk"])

    def get_serializer_class(self):
        return s.DeliveryDetailSerializer if self.action == "retrieve" else s.DeliverySerializer

    @extend_schema(summary="Send a delivery again now", request=None,
                   responses={202: s.DeliverySerializer,
                              409: OpenApiResponse(ErrorSerializer, description="Being sent right now, or its "
                                                                                "endpoint is disabled.")},
                   description="A new attempt with the same `webhook-id` and body, whatever the delivery's "
                               "state; 409 while it is being sent or while its endpoint is disabled.")
    @action(detail=True, methods=["post"], filter_backends=[])
    def retry(self, request, tenant_uid=None, pk=None):
        check_no_body(request)
        delivery = self.get_object()
        try:
            delivery = operations.retry_delivery(delivery)
        except DjangoValidationError as exc:
            raise Conflict(" ".join(exc.messages))
        return Response(s.DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(summary="List a delivery's attempts", responses={200: s.AttemptSerializer(many=True)},
                   description="Newest first.")
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=AttemptPagination)
    def attempts(self, request, tenant_uid=None, pk=None):
        delivery = get_or_404(self.get_queryset(), NUMBER_ID, pk=pk)
        return paginated_attempts(self, Attempt.objects.filter(delivery=delivery))


class EndpointTrafficViewSet(EndpointLookupMixin, ApiViewSet):
    """The operations on an endpoint's traffic, beside its CRUD in ``subscriptions.api``."""

    serializer_class = s.AttemptSerializer

    @extend_schema(summary="Send a test event to this endpoint only", request=s.TestEventSerializer,
                   responses={202: s.EventSerializer})
    @action(detail=True, methods=["post"])
    def test(self, request, tenant_uid=None, pk=None):
        endpoint = self.get_object()
        serializer = s.TestEventSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with domain_errors("data", EVENT_ERRORS):
            event = operations.send_test_event(endpoint, serializer.validated_data["event_type"],
                                               serializer.validated_data["data"])
        return Response(s.EventSerializer(event).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(summary="Resend every failed delivery since a time", request=s.RecoverSerializer,
                   responses={202: s.RecoveredSerializer,
                              409: OpenApiResponse(ErrorSerializer, description="The endpoint is disabled.")},
                   description="`since` may be at most `WEBHOOKS_RECOVER_WINDOW` (default 7 days) ago. The "
                               "deliveries become due at once and go out in the background.")
    @action(detail=True, methods=["post"])
    def recover(self, request, tenant_uid=None, pk=None):
        endpoint = self.get_object()
        serializer = s.RecoverSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        since = serializer.validated_data["since"]
        if endpoint.disabled:
            raise Conflict("The endpoint is disabled; enable it before recovering.")
        with domain_errors("since"):
            count = operations.recover_endpoint(endpoint, since=since)
        return Response(s.RecoveredSerializer({"since": since, "count": count}).data,
                        status=status.HTTP_202_ACCEPTED)

    @extend_schema(summary="Counts by outcome and latency percentiles", parameters=[s.StatsQuerySerializer],
                   description="`since` may be at most 30 days ago; latencies are those of the window's most "
                               "recent 10,000 attempts.",
                   responses={200: s.StatsSerializer})
    @action(detail=True, methods=["get"])
    def stats(self, request, tenant_uid=None, pk=None):
        endpoint = self.get_object()
        query = s.StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        with domain_errors("since"):
            stats = endpoint_stats(endpoint, query.validated_data.get("since"))
        return Response(s.StatsSerializer(stats).data)

    @extend_schema(summary="List the endpoint's attempts", responses={200: s.AttemptSerializer(many=True)},
                   description="Newest first (by start time).")
    @action(detail=True, methods=["get"], pagination_class=AttemptPagination)
    def attempts(self, request, tenant_uid=None, pk=None):
        return paginated_attempts(self, Attempt.objects.filter(endpoint=self.get_object()))

    @extend_schema(summary="Pull a polling endpoint's events", parameters=[s.PollQuerySerializer],
                   responses={200: s.PollPageSerializer},
                   description="For an endpoint of kind `polling` (a receiver without a public URL): its events "
                               "in publish order, each with the body and headers (Standard Webhooks signature "
                               "included) a push would carry, and `next_cursor`. Passing `cursor` commits it: "
                               "the events up to it are acknowledged (their deliveries succeed). Events not yet "
                               "committed are kept for at least `WEBHOOKS_RETENTION`. 400 for an http endpoint.")
    @action(detail=True, methods=["get"])
    def poll(self, request, tenant_uid=None, pk=None):
        endpoint = self.get_object()
        query = s.PollQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        with domain_errors("cursor"):
            page = polling.poll(endpoint, cursor=query.validated_data.get("cursor"),
                                limit=query.validated_data["limit"])
        return Response(s.PollPageSerializer(page).data)
