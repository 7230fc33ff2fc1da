"""Request and response bodies of events, deliveries, attempts and endpoint operations."""

import json

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from delivery.header_caps import cap_headers
from delivery.models import Attempt, Delivery, Event
from subscriptions.api.base import KnownFieldsOnly
from subscriptions.api.fields import EventDataField, HeadersField


class PublishSerializer(KnownFieldsOnly, serializers.Serializer):
    event_type = serializers.CharField(max_length=128, help_text="A live event type of the catalogue.")
    data = EventDataField()
    idempotency_key = serializers.CharField(
        max_length=255, required=False, allow_null=True, default=None,
        help_text="The same key for the same tenant within 24 h returns the first event and sends nothing new.",
    )


class BatchPublishSerializer(KnownFieldsOnly, serializers.Serializer):
    events = serializers.ListField(child=PublishSerializer(), min_length=1, max_length=100,
                                   help_text="1 to 100 events, published all together or not at all.")


class BatchPublishedSerializer(serializers.Serializer):
    events = serializers.ListField(child=serializers.DictField(), help_text="Each event, in the order sent.")


class TestEventSerializer(KnownFieldsOnly, serializers.Serializer):
    event_type = serializers.CharField(max_length=128, help_text="A live event type of the catalogue.")
    data = EventDataField(required=False, allow_null=True, default=None,
                          help_text="The example's data; a small test object if left out.")


class RecoverSerializer(KnownFieldsOnly, serializers.Serializer):
    since = serializers.DateTimeField(help_text="Resend every failed delivery to the endpoint created since then "
                                                "(at most WEBHOOKS_RECOVER_WINDOW, default 7 days, ago).")


class RecoveredSerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    count = serializers.IntegerField(help_text="How many failed deliveries are being resent.")


class StatsQuerySerializer(serializers.Serializer):
    since = serializers.DateTimeField(required=False,
                                      help_text="Start of the window, at most 30 days ago; default 24 h ago.")


class DeliveryCountsSerializer(serializers.Serializer):
    pending = serializers.IntegerField()
    sending = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    retrying = serializers.IntegerField()
    failed = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    total = serializers.IntegerField()


class AttemptCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()


class LatencySerializer(serializers.Serializer):
    p50 = serializers.IntegerField(allow_null=True)
    p90 = serializers.IntegerField(allow_null=True)
    p95 = serializers.IntegerField(allow_null=True)
    p99 = serializers.IntegerField(allow_null=True)
    max = serializers.IntegerField(allow_null=True)


class StatsSerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    deliveries = DeliveryCountsSerializer(help_text="Deliveries created in the window, by status.")
    attempts = AttemptCountsSerializer(help_text="Attempts started in the window, by outcome.")
    latency_ms = LatencySerializer(help_text="Attempt durations in ms (nearest-rank percentiles); null if none.")


class DeliveryStatusSerializer(serializers.ModelSerializer):
    """A delivery as seen from its event."""

    class Meta:
        model = Delivery
        fields = ["id", "endpoint", "status", "attempt_count", "next_attempt_at", "last_attempt_at",
                  "last_response_status", "finished_at"]
        read_only_fields = fields


class EventSerializer(serializers.ModelSerializer):
    data = serializers.SerializerMethodField()
    timestamp = serializers.DateTimeField(source="occurred_at", read_only=True,
                                          help_text="When the event occurred (the body's timestamp).")

    class Meta:
        model = Event
        fields = ["id", "event_type", "data", "timestamp", "idempotency_key", "created_at"]
        read_only_fields = fields

    @extend_schema_field(EventDataField)
    def get_data(self, event):
        return json.loads(event.body)["data"]


class EventDetailSerializer(EventSerializer):
    deliveries = DeliveryStatusSerializer(many=True, read_only=True,
                                          help_text="One per matching endpoint, with its status.")

    class Meta(EventSerializer.Meta):
        fields = EventSerializer.Meta.fields + ["deliveries"]
        read_only_fields = fields


class AttemptSerializer(serializers.ModelSerializer):
    request_headers = HeadersField(read_only=True, help_text="As sent; signatures redacted.")
    response_headers = HeadersField(read_only=True, allow_null=True,
                                    help_text="What the receiver answered with; null without an answer.")

    class Meta:
        model = Attempt
        fields = ["id", "delivery", "endpoint", "trigger", "started_at", "duration_ms", "succeeded",
                  "request_url", "request_headers", "response_status", "response_headers",
                  "response_body", "error_class", "error_message"]
        fields += ["target"]  # edge policy; added after the others, which keep their meaning
        read_only_fields = fields
        extra_kwargs = {"target": {"help_text": "Which of the endpoint's URLs this attempt went to: `url`, or "
                                                "`fallback_url` (right after an attempt to `url` that failed with "
                                                "no answer or a 5xx). `request_url` is that URL, redacted."}}

    def to_representation(self, attempt):
        data = super().to_representation(attempt)
        data["response_headers"] = cap_headers(data["response_headers"])  # rows stored before the cap
        return data


class DeliverySerializer(serializers.ModelSerializer):
    event_type = serializers.CharField(read_only=True, help_text="The event's type.")

    class Meta:
        model = Delivery
        fields = ["id", "event", "event_type", "endpoint", "status", "attempt_count", "next_attempt_at",
                  "last_attempt_at", "last_response_status", "last_error", "created_at", "finished_at"]
        read_only_fields = fields


ATTEMPTS_IN_DETAIL = 20


class DeliveryDetailSerializer(DeliverySerializer):
    """The delivery with its latest attempts: manual resends have no end, so the page must."""

    attempts = serializers.SerializerMethodField(
        help_text=f"The latest {ATTEMPTS_IN_DETAIL} attempts, newest first; every attempt is listed, page by "
                  "page, at `attempts_url`.")
    attempts_url = serializers.SerializerMethodField(help_text="Every attempt of the delivery, newest first.")

    class Meta(DeliverySerializer.Meta):
        fields = DeliverySerializer.Meta.fields + ["attempts", "attempts_url"]
        read_only_fields = fields

    @extend_schema_field(AttemptSerializer(many=True))
    def get_attempts(self, delivery):
        return AttemptSerializer(delivery.attempts.order_by("-id")[:ATTEMPTS_IN_DETAIL], many=True).data

    def get_attempts_url(self, delivery) -> str:
        request = self.context["request"]
        kwargs = {**request.resolver_match.kwargs, "pk": delivery.pk}
        return request.build_absolute_uri(reverse("delivery-attempts", kwargs=kwargs))


class PollQuerySerializer(serializers.Serializer):
    cursor = serializers.CharField(
        required=False, allow_blank=True, max_length=32,
        help_text="A `next_cursor` of an earlier answer. Passing it commits it: every event up to it is "
                  "acknowledged, and the answer starts after it. Without it the answer starts after the last "
                  "committed cursor.")
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=50,
                                     help_text="Events per answer, 1 to 100 (default 50).")


class PolledEventSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The event's id: the `webhook-id`.")
    event_type = serializers.CharField()
    delivery_id = serializers.IntegerField(help_text="The delivery of this event to this endpoint.")
    body = serializers.CharField(help_text="The exact body a push would send; the signature is over these bytes "
                                           "(UTF-8).")
    headers = serializers.DictField(child=serializers.CharField(),
                                    help_text="The headers a push would send, signed at this poll: `webhook-id`, "
                                              "`webhook-timestamp`, `webhook-signature`, `content-type`, "
                                              "`user-agent`.")
    created_at = serializers.DateTimeField(help_text="When the event was published.")


class PollPageSerializer(serializers.Serializer):
    events = PolledEventSerializer(many=True, help_text="In publish order, oldest first.")
    next_cursor = serializers.CharField(help_text="Pass it back to get the next events (and commit these).")
    committed = serializers.CharField(help_text="The endpoint's committed cursor after this call.")
    done = serializers.BooleanField(help_text="No more events wait right now: poll again later.")
