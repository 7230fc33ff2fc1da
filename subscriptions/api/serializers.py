"""Request and response bodies of the catalogue, tenants, endpoints, secrets and API keys.

Serializers check types and shapes only; the rules (names, URLs, headers,
limits) are the domain functions', which the views call.
"""

from rest_framework import serializers

from subscriptions.api.base import KnownFieldsOnly
from subscriptions.api.fields import (
    ContentFilterField,
    EventDataField,
    EventTypeFilterField,
    HeadersField,
    JsonSchemaField,
    MetadataField,
)
from subscriptions.models import ApiKey, Endpoint, EventType, PayloadFormat, Tenant
from subscriptions.receiver_auth import shown_oauth2


class ErrorSerializer(serializers.Serializer):
    """An error other than bad input (the same shape as the ``Error`` component)."""

    detail = serializers.CharField()

    class Meta:
        ref_name = "Error"


class EventTypeSerializer(KnownFieldsOnly, serializers.ModelSerializer):
    schema = JsonSchemaField(required=False, allow_null=True)

    class Meta:
        model = EventType
        fields = ["name", "description", "schema", "archived", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"name": {"validators": []}}  # uniqueness is the domain's answer


class EventTypeUpdateSerializer(EventTypeSerializer):
    class Meta(EventTypeSerializer.Meta):
        read_only_fields = ["name", "created_at", "updated_at"]


class TenantSerializer(KnownFieldsOnly, serializers.ModelSerializer):
    metadata = MetadataField(required=False)

    class Meta:
        model = Tenant
        fields = ["uid", "name", "metadata", "contact_email", "created_at"]
        read_only_fields = ["created_at"]
        extra_kwargs = {"uid": {"validators": []}}


class TenantUpdateSerializer(TenantSerializer):
    class Meta(TenantSerializer.Meta):
        read_only_fields = ["uid", "created_at"]


class SecondsField(serializers.FloatField):
    """Seconds as given: a whole number stays an int (``[5, 300]``, not ``[5.0, 300.0]``)."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        return int(value) if value.is_integer() else value


class OAuth2Serializer(KnownFieldsOnly, serializers.Serializer):
    """OAuth2 client credentials (RFC 6749 4.4) the worker uses to get the bearer token it sends."""

    token_url = serializers.CharField(help_text="Token endpoint (checked like the endpoint URL).")
    client_id = serializers.CharField()
    client_secret = serializers.CharField(write_only=True, required=False, help_text=(
        "Write-only, stored encrypted. On a change, omit it to keep the stored one (same token URL origin)."))
    scope = serializers.CharField(required=False, allow_blank=True)
    audience = serializers.CharField(required=False, allow_blank=True)

    class Meta:
        ref_name = "EndpointOAuth2"


PEM_FIELD = {"required": False, "allow_blank": True, "trim_whitespace": False}


class EndpointSerializer(KnownFieldsOnly, serializers.ModelSerializer):
    url = serializers.CharField(max_length=2048, required=False, allow_blank=True,
                                help_text="http(s) URL that receives the webhooks; required for an `http` "
                                          "endpoint, left out (empty) for a `polling` one.")
    event_types = EventTypeFilterField(required=False)
    headers = HeadersField(required=False)
    metadata = MetadataField(required=False)
    rate_limit = serializers.IntegerField(required=False, allow_null=True,
                                          help_text="Requests per second, 1 to 100000; null for none.")
    disabled = serializers.BooleanField(required=False, help_text="Stop (true) or resume (false) sending.")
    # What it gets and in what shape (issue 15).
    filter = ContentFilterField(required=False, allow_null=True)
    payload_format = serializers.ChoiceField(
        choices=PayloadFormat.values, required=False,
        help_text="`standard` (default): `{\"type\", \"timestamp\", \"data\"}` as `application/json`; "
                  "`cloudevents`: a CloudEvents 1.0 JSON event (structured mode, "
                  "`application/cloudevents+json`), `id` the `webhook-id`. Signed alike.")
    body_template = serializers.CharField(
        required=False, allow_blank=True, max_length=8192, trim_whitespace=False,
        help_text="Only with `WEBHOOKS_BODY_TEMPLATES` on: a Jinja2 template of the body, rendered in a sandbox "
                  "with the event's `type`, `timestamp`, `id` and `data` (use `| tojson` for values in JSON). "
                  "Takes precedence over `payload_format`. Empty: no template.")
    content_type = serializers.CharField(required=False, allow_blank=True, max_length=255,
                                         help_text="Content type of a templated body; empty: `application/json` "
                                                   "(JSON content types are checked to be JSON).")
    # Kept by the send path in its own row (``endpoint.send_state``); null for an endpoint without one.
    failing_since = serializers.DateTimeField(source="send_state.failing_since", read_only=True, allow_null=True)
    last_success_at = serializers.DateTimeField(source="send_state.last_success_at", read_only=True, allow_null=True)
    # Edge policy: signing headers, retries, timeout, fallback URL (README, "Per-endpoint retry policy").
    signature_scheme = serializers.ChoiceField(
        choices=["standard", "svix"], required=False,
        help_text="Names of the signing headers: `standard` (default: `webhook-id`, `webhook-timestamp`, "
                  "`webhook-signature`) or `svix` (`svix-id`, `svix-timestamp`, `svix-signature`, same values).")
    retry_schedule = serializers.ListField(
        child=SecondsField(), max_length=1000, required=False, allow_null=True,
        help_text="Delays in seconds after each failed attempt, instead of the platform's (`[]`: no retry); "
                  "null for the platform's. At most WEBHOOKS_ENDPOINT_MAX_RETRIES delays (default 20), each from "
                  "1 s to WEBHOOKS_ENDPOINT_MAX_RETRY_DELAY (default 1 day).")
    retry_on_4xx = serializers.BooleanField(
        required=False, help_text="false: a 4xx answer other than 408, 409, 425 and 429 fails the delivery at "
                                  "once. Default true.")
    timeout = SecondsField(
        required=False, allow_null=True,
        help_text="Seconds for one attempt, within WEBHOOKS_ENDPOINT_TIMEOUT_MIN and _MAX (default 1 to 60); "
                  "null for WEBHOOKS_TIMEOUT.")
    fallback_url = serializers.CharField(
        max_length=2048, required=False, allow_blank=True,
        help_text="Where an attempt goes at once when the URL gives no answer or a 5xx (same body, id and "
                  "signatures); empty for none. Checked like the URL; no credentials in it.")
    # Authentication to receivers: mTLS and OAuth2 client credentials (secrets write-only).
    tls_client_cert = serializers.CharField(**PEM_FIELD, help_text=(
        "PEM client certificate (and chain) presented to a receiver that asks for one (mTLS); \"\" for none."))
    tls_client_key = serializers.CharField(**PEM_FIELD, write_only=True, help_text=(
        "Write-only PEM private key of tls_client_cert, unencrypted (stored encrypted); on a change, omit it "
        "to keep the stored one."))
    tls_ca_bundle = serializers.CharField(**PEM_FIELD, help_text=(
        "PEM CA certificates trusted for this receiver only, instead of the public ones; \"\" for none."))
    oauth2 = OAuth2Serializer(required=False, allow_null=True, help_text=(
        "OAuth2 client credentials: the worker sends `Authorization: Bearer <token>`; null for none."))
    # Ordered delivery.
    ordered = serializers.BooleanField(
        required=False, help_text="Deliver one at a time, in the order the events were published; the next "
                                  "waits until the one before has succeeded, failed for good or been cancelled.")
    # Polling endpoints (issue 17).
    kind = serializers.ChoiceField(
        choices=Endpoint.Kind.choices, required=False,
        help_text="`http` (default): deliveries are POSTed to `url`. `polling`: no URL; the consumer pulls the "
                  "events with `GET .../endpoints/{id}/poll/`. Set at creation only.")

    class Meta:
        model = Endpoint
        fields = ["id", "url", "description", "event_types", "headers", "rate_limit", "metadata",
                  "disabled", "disabled_reason", "disabled_at", "failing_since", "last_success_at",
                  "created_at", "updated_at",
                  "tls_client_cert", "tls_client_key", "tls_ca_bundle", "oauth2", "ordered"]
        fields += ["signature_scheme", "retry_schedule", "retry_on_4xx", "timeout", "fallback_url"]  # edge policy
        fields += ["filter", "payload_format", "body_template", "content_type"]
        fields += ["kind"]
        read_only_fields = ["id", "disabled_reason", "disabled_at", "failing_since", "last_success_at",
                            "created_at", "updated_at"]

    def to_representation(self, endpoint):
        """The URL as stored (its credentials read ``<redacted>``); custom headers by name, values
        ``<redacted>`` (they are kept encrypted and only ever sent)."""
        data = super().to_representation(endpoint)
        data["url"] = endpoint.redacted_url
        data["headers"] = endpoint.shown_headers
        data["oauth2"] = shown_oauth2(endpoint)
        return data

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        if values.get("oauth2") is not None:
            values["oauth2"] = dict(values["oauth2"])
        return values


class EndpointCreatedSerializer(EndpointSerializer):
    secret = serializers.CharField(read_only=True, help_text="The signing secret, shown this once.")

    class Meta(EndpointSerializer.Meta):
        fields = EndpointSerializer.Meta.fields + ["secret"]


class PortalSessionSerializer(KnownFieldsOnly, serializers.Serializer):
    read_only = serializers.BooleanField(default=False, help_text="The portal shows, but changes nothing.")
    expires_in = serializers.IntegerField(required=False, min_value=1, max_value=24 * 3600,
                                          help_text="Seconds the link works (default WEBHOOKS_PORTAL_LINK_AGE, "
                                                    "600).")


class PortalSessionCreatedSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="Open it in a browser, once, to enter the tenant's portal.")
    expires_at = serializers.DateTimeField(help_text="The link opens nothing after this.")


class FilterTestSerializer(KnownFieldsOnly, serializers.Serializer):
    event_type = serializers.CharField(max_length=128, help_text="The event's type, as the filter's `type` sees it.")
    data = EventDataField(help_text="The event's data: a JSON object.")
    filter = ContentFilterField(required=False, allow_null=True, default=None,
                                help_text="A filter to try instead of the saved one; left out or null: the saved one.")

    def validate_data(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError("data must be a JSON object.")
        return data


class FilterTestResultSerializer(serializers.Serializer):
    matches = serializers.BooleanField(help_text="Whether the event passes the filter (event types aside).")


class TemplatePreviewSerializer(KnownFieldsOnly, serializers.Serializer):
    event_type = serializers.CharField(max_length=128, required=False,
                                       help_text="The sample event's type; default: the endpoint's first type.")
    data = EventDataField(required=False, allow_null=True, default=None,
                          help_text="The sample event's data; default `{\"example\": true}`.")
    body_template = serializers.CharField(required=False, allow_null=True, default=None, max_length=8192,
                                          trim_whitespace=False,
                                          help_text="A template to try instead of the saved one.")
    content_type = serializers.CharField(required=False, allow_null=True, default=None, max_length=255,
                                         help_text="A content type to try instead of the saved one.")

    def validate_data(self, data):
        if data is not None and not isinstance(data, dict):
            raise serializers.ValidationError("data must be a JSON object.")
        return data


class TemplatePreviewResultSerializer(serializers.Serializer):
    body = serializers.CharField(help_text="The rendered body, as a delivery would send it.")
    content_type = serializers.CharField()


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


class ApiKeyCreateSerializer(KnownFieldsOnly, serializers.Serializer):
    name = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    tenant = serializers.CharField(max_length=128, required=False, allow_null=True, default=None,
                                   help_text="A tenant uid for a tenant key; omit or null for a platform key.")


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="The key itself, shown this once.")

    class Meta(ApiKeySerializer.Meta):
        fields = ApiKeySerializer.Meta.fields + ["key"]
        read_only_fields = fields
