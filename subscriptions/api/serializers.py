"""Request and response bodies of the catalogue, tenants, endpoints, secrets and API keys.

Serializers check types and shapes only; the rules (names, URLs, headers,
limits) are the domain functions', which the views call.
"""

from rest_framework import serializers

from subscriptions.api.fields import EventTypeFilterField, HeadersField, JsonSchemaField, MetadataField
from subscriptions.models import ApiKey, Endpoint, EventType, Tenant


class ErrorSerializer(serializers.Serializer):
    """An error other than bad input (the same shape as the ``Error`` component)."""

    detail = serializers.CharField()

    class Meta:
        ref_name = "Error"


class EventTypeSerializer(serializers.ModelSerializer):
    schema = JsonSchemaField(required=False, allow_null=True)

    class Meta:
        model = EventType
        fields = ["name", "description", "schema", "archived", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"name": {"validators": []}}  # uniqueness is the domain's answer


class EventTypeUpdateSerializer(EventTypeSerializer):
    class Meta(EventTypeSerializer.Meta):
        read_only_fields = ["name", "created_at", "updated_at"]


class TenantSerializer(serializers.ModelSerializer):
    metadata = MetadataField(required=False)

    class Meta:
        model = Tenant
        fields = ["uid", "name", "metadata", "contact_email", "created_at"]
        read_only_fields = ["created_at"]
        extra_kwargs = {"uid": {"validators": []}}


class TenantUpdateSerializer(TenantSerializer):
    class Meta(TenantSerializer.Meta):
        read_only_fields = ["uid", "created_at"]


class EndpointSerializer(serializers.ModelSerializer):
    url = serializers.CharField(max_length=2048, required=False, allow_blank=True,
                                help_text="http(s) URL that receives the webhooks; required for an `http` "
                                          "endpoint, left out (empty) for a `polling` one.")
    event_types = EventTypeFilterField(required=False)
    headers = HeadersField(required=False)
    metadata = MetadataField(required=False)
    rate_limit = serializers.IntegerField(required=False, allow_null=True,
                                          help_text="Requests per second, 1 to 100000; null for none.")
    disabled = serializers.BooleanField(required=False, help_text="Stop (true) or resume (false) sending.")
    # Kept by the send path in its own row (``endpoint.send_state``); null for an endpoint without one.
    failing_since = serializers.DateTimeField(source="send_state.failing_since", read_only=True, allow_null=True)
    last_success_at = serializers.DateTimeField(source="send_state.last_success_at", read_only=True, allow_null=True)
    # Polling endpoints (issue 17).
    kind = serializers.ChoiceField(
        choices=Endpoint.Kind.choices, required=False,
        help_text="`http` (default): deliveries are POSTed to `url`. `polling`: no URL; the consumer pulls the "
                  "events with `GET .../endpoints/{id}/poll/`. Set at creation only.")

    class Meta:
        model = Endpoint
        fields = ["id", "url", "description", "event_types", "headers", "rate_limit", "metadata",
                  "disabled", "disabled_reason", "disabled_at", "failing_since", "last_success_at",
                  "created_at", "updated_at"]
        fields += ["kind"]
        read_only_fields = ["id", "disabled_reason", "disabled_at", "failing_since", "last_success_at",
                            "created_at", "updated_at"]

    def to_representation(self, endpoint):
        """The URL as stored (its credentials read ``<redacted>``); custom headers by name, values
        ``<redacted>`` (they are kept encrypted and only ever sent)."""
        data = super().to_representation(endpoint)
        data["url"] = endpoint.redacted_url
        data["headers"] = endpoint.shown_headers
        return data


class EndpointCreatedSerializer(EndpointSerializer):
    secret = serializers.CharField(read_only=True, help_text="The signing secret, shown this once.")

    class Meta(EndpointSerializer.Meta):
        fields = EndpointSerializer.Meta.fields + ["secret"]


class SecretSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True, help_text="`whsec_` and the base64 of the HMAC key.")
    created_at = serializers.DateTimeField(read_only=True)


class ApiKeySerializer(serializers.ModelSerializer):
    tenant = serializers.CharField(source="tenant.uid", read_only=True, allow_null=True,
                                   help_text="The tenant this key is limited to; null for a platform key.")
    revoked = serializers.SerializerMethodField()

    class Meta:
        model = ApiKey
        fields = ["id", "name", "tenant", "prefix", "created_at", "last_used_at", "revoked_at", "revoked"]
        read_only_fields = fields

    def get_revoked(self, api_key) -> bool:
        return api_key.revoked_at is not None


class ApiKeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    tenant = serializers.CharField(max_length=128, required=False, allow_null=True, default=None,
                                   help_text="A tenant uid for a tenant key; omit or null for a platform key.")


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="The key itself, shown this once.")

    class Meta(ApiKeySerializer.Meta):
        fields = ApiKeySerializer.Meta.fields + ["key"]
        read_only_fields = fields
